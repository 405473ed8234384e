"""Analytics over the viewer's visible graph: centrality, and Leiden finding planted groups."""

from __future__ import annotations

from typing import Any

import igraph
import pytest

from cairn.accounts.choices import Role
from cairn.accounts.models import User
from cairn.core.testing import OrganisationFactory, UserFactory, submit_report
from cairn.entities.models import Entity
from cairn.entities.normalise import normalise
from cairn.intelligence.inputs import SubjectInput
from cairn.network import analytics, graph

pytestmark = pytest.mark.django_db


def make_user(**kwargs: Any) -> User:
    return UserFactory(**kwargs)  # type: ignore[return-value]


def submit(author, *numbers: str, level: str = "shared", person: str = "") -> None:
    subjects = [SubjectInput(kind="phone", value=n, role="user") for n in numbers]
    if person:
        subjects.append(SubjectInput(kind="person", value=person, role="suspect"))
    submit_report(author, *subjects, level=level, text="Analytics test report.")


def pid(number: str) -> int:
    return Entity.unscoped_objects.get(kind="phone", key=normalise("phone", number)).pk


@pytest.fixture
def cliques():
    """Two five-phone cliques of Aldermoor and Brackenridge joined by one bridge; a hidden third clique."""
    alder = OrganisationFactory(code="alder", region="North")
    bracken = OrganisationFactory(code="bracken", region="South")
    a_author = make_user(organisation=alder, roles=[Role.ANALYST])
    b_author = make_user(organisation=bracken, roles=[Role.ANALYST])
    left = [f"07700 9003{i:02d}" for i in range(5)]
    right = [f"07700 9004{i:02d}" for i in range(5)]
    hidden = [f"07700 9005{i:02d}" for i in range(5)]
    for group, author in ((left, a_author), (right, b_author)):
        for i, x in enumerate(group):
            for y in group[i + 1 :]:
                submit(author, x, y)
    submit(a_author, left[0], right[0])  # the bridge
    submit(a_author, left[1], person="Lena Broker")
    for i, x in enumerate(hidden):
        for y in hidden[i + 1 :]:
            submit(b_author, x, y, level="confidential")
    viewer = make_user(organisation=OrganisationFactory(code="calder"), roles=[Role.ANALYST])
    return viewer, [pid(x) for x in left], [pid(x) for x in right], [pid(x) for x in hidden]


def test_leiden_finds_the_two_planted_cliques(cliques) -> None:
    viewer, left, right, hidden = cliques
    g = graph.visible_graph(viewer)
    assert not set(hidden) & set(g.vs["entity_id"])  # confidential material is not in the viewer's graph
    for objective, resolution in (("auto", 0.02), ("modularity", 1.0), ("cpm", 0.5)):
        membership = analytics.leiden(g, objective=objective, resolution=resolution, seed=1)
        group_of = dict(zip(g.vs["entity_id"], membership, strict=True))
        assert len({group_of[e] for e in left}) == 1, objective
        assert len({group_of[e] for e in right}) == 1, objective
        assert group_of[left[0]] != group_of[right[0]], objective
    # Seeded: the same graph gives the same groups.
    assert analytics.leiden(g, seed=3) == analytics.leiden(g, seed=3)
    assert analytics.leiden(g, engine="leidenalg", objective="modularity", seed=3) == analytics.leiden(
        g, engine="leidenalg", objective="modularity", seed=3
    )
    truth = [0 if e in left else 1 for e in g.vs["entity_id"]]
    found = [0 if group_of[e] == group_of[left[0]] else 1 for e in g.vs["entity_id"]]
    assert analytics.compare(truth, found) == (1.0, 1.0)


def test_candidate_groups_list_members_by_kind_and_their_spread(cliques) -> None:
    viewer, left, right, _ = cliques
    groups = analytics.candidate_groups(viewer, graph.visible_graph(viewer), seed=1)
    assert [g.size for g in groups] == [6, 5]
    first, second = groups
    assert first.members["phones"] == sorted(left) and len(first.members["people"]) == 1
    assert second.members == {"phones": sorted(right)}
    assert first.organisations == {"alder": 6} and first.regions == {"North": 6}
    assert second.organisations == {"alder": 1, "bracken": 5}  # the bridge report is Aldermoor's
    assert first.external_links == second.external_links == 1
    assert first.internal_links == 11 and second.density == 1.0
    assert set(first.central) <= set(left) | set(first.members["people"])
    assert first.as_dict()["members"]["phones"] == sorted(left)


def test_centrality_ranks_the_bridge_ends_highest(cliques) -> None:
    viewer, left, right, _ = cliques
    scores = analytics.centrality(graph.visible_graph(viewer))
    by_betweenness = sorted(scores, key=lambda s: -s.betweenness)
    assert {s.entity_id for s in by_betweenness[:2]} == {left[0], right[0]}
    degree = {s.entity_id: s.degree for s in scores}
    assert degree[left[0]] == 5 and degree[right[1]] == 4
    approximate = analytics.centrality(graph.visible_graph(viewer), betweenness_cutoff=2)
    assert len(approximate) == len(scores)


def test_empty_graphs_and_bad_objectives() -> None:
    empty = igraph.Graph()
    empty.vs["entity_id"] = []
    assert analytics.centrality(empty) == []
    with pytest.raises(ValueError, match="Unknown objective"):
        analytics.leiden(igraph.Graph(2), objective="louvain")
