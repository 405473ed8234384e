"""Each user's graph shows full nodes, flag nodes or nothing, exactly as the dissemination says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

import pytest

from cairn.accounts.choices import OrganisationKind, Role
from cairn.accounts.models import SharingGroup, User
from cairn.core.testing import OrganisationFactory, SharingGroupFactory, UserFactory, ask_for_access
from cairn.entities.models import Entity
from cairn.intelligence import services
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.intelligence.models import IntelligenceReport
from cairn.network import graph
from cairn.network.graph import ChartFilters, EntityNotFound

pytestmark = pytest.mark.django_db


def make_user(**kwargs: Any) -> User:
    return UserFactory(**kwargs)  # type: ignore[return-value]


def make_group(**kwargs: Any) -> SharingGroup:
    return SharingGroupFactory(**kwargs)  # type: ignore[return-value]


def submit(
    author: User,
    *subjects: SubjectInput,
    level: str = "shared",
    groups: list[int] | None = None,
    conditions: list[str] | None = None,
    occurred_on: date | None = None,
) -> IntelligenceReport:
    return services.report_submit(
        actor=author,
        data=ReportInput(
            text="Graph test report.",
            source_evaluation="1",
            intelligence_assessment="B",
            handling_code="C" if conditions else "P",
            handling_conditions=conditions or [],
            dissemination=level,
            sharing_group_ids=groups or [],
            occurred_on=occurred_on,
            subjects=list(subjects),
        ),
    )


def person(name: str, role: str = "suspect") -> SubjectInput:
    return SubjectInput(kind="person", value=name, role=role)


def phone(number: str, *, user_of: int | None = 0) -> SubjectInput:
    return SubjectInput(kind="phone", value=number, role="user", linked_to=user_of, relation="uses")


def phone_id(number: str) -> int:
    from cairn.entities.normalise import normalise

    return Entity.unscoped_objects.get(kind="phone", key=normalise("phone", number)).pk


def person_ids(report: IntelligenceReport) -> list[int]:
    return sorted(
        report.statements.filter(prop="subject", entity__kind="person").values_list("entity_id", flat=True)  # type: ignore[attr-defined]
    )


@dataclass
class World:
    viewer: User  # officer of Aldermoor (law enforcement, in the group with Brackenridge)
    outsider: User  # officer of Calderfell (law enforcement, in no group)
    charity: User  # charity caseworker-analyst: not law enforcement, in no group
    author: User  # Brackenridge's analyst, who wrote everything
    shared: IntelligenceReport
    restricted: IntelligenceReport
    confidential: IntelligenceReport
    group_confidential: IntelligenceReport
    hub: int  # the phone all four reports name


@pytest.fixture
def world() -> World:
    alder, bracken, calder = (OrganisationFactory(code=c) for c in ("alder", "bracken", "calder"))
    charity = OrganisationFactory(code="helpers", kind=OrganisationKind.CHARITY)
    group = make_group(name="Operation Juniper", members=[alder, bracken])
    author = make_user(organisation=bracken, roles=[Role.ANALYST])
    supervisor = make_user(organisation=bracken, roles=[Role.SUPERVISOR])
    hub = "07700 900111"
    # Handling code C waits for review; the supervisor releases it with its condition.
    shared = submit(author, person("Ivan Petrov"), phone(hub), conditions=["A1"])
    shared = services.report_review(actor=supervisor, report=shared, changes={}, reason="released")
    restricted = submit(author, person("Marta Restricted"), phone(hub), level="restricted")
    confidential = submit(author, person("Olga Confidential"), phone(hub), level="confidential")
    group_confidential = submit(author, person("Gregor Group"), phone(hub), level="confidential", groups=[group.pk])
    return World(
        viewer=make_user(organisation=alder, roles=[Role.ANALYST]),
        outsider=make_user(organisation=calder, roles=[Role.ANALYST]),
        charity=make_user(organisation=charity, roles=[Role.VICTIM_CARE]),
        author=author,
        shared=shared,
        restricted=restricted,
        confidential=confidential,
        group_confidential=group_confidential,
        hub=phone_id(hub),
    )


def labels(chart: graph.Chart) -> set[str]:
    return {n.label for n in chart.nodes if n.kind != graph.FLAG}


def test_the_group_member_sees_shared_and_group_material_and_a_flag_for_restricted(world: World) -> None:
    chart = graph.neighbourhood(world.viewer, [world.hub], hops=1)

    assert labels(chart) == {"+447700900111", "Ivan Petrov", "Gregor Group"}
    flags = chart.flags
    assert len(flags) == 1
    flag = flags[0]
    assert flag.flag is not None and flag.flag.report_id == world.restricted.pk
    assert flag.label.startswith("Bracken Police holds intelligence on this subject — contact ")
    # The flag hangs off the phone only, and says nothing of who else the report names.
    flag_edges = [e for e in chart.edges if e.type == graph.FLAG]
    assert [(e.source, e.target) for e in flag_edges] == [(f"e{world.hub}", flag.id)]
    text = repr(chart.as_dict())
    assert "Marta" not in text and "Olga" not in text
    assert world.confidential.pk not in {r for e in chart.edges for r in e.report_ids}
    # Relationship edges are typed and carry their report; the co-mention they explain is not drawn twice.
    uses = [e for e in chart.edges if e.type == "uses"]
    assert {e.target for e in uses} == {f"e{world.hub}"} and len(uses) == 2
    assert not [e for e in chart.edges if e.type == graph.CO_MENTIONED]
    # The handling of the material behind the chart: the shared report carries handling code C (A1).
    assert chart.handling.handling_code == "C" and chart.handling.handling_conditions == ["A1"]
    assert chart.handling.dissemination == "confidential"


def test_other_law_enforcement_sees_shared_material_and_the_flag_only(world: World) -> None:
    chart = graph.neighbourhood(world.outsider, [world.hub], hops=2)

    assert labels(chart) == {"+447700900111", "Ivan Petrov"}
    assert [f.flag.report_id for f in chart.flags if f.flag] == [world.restricted.pk]
    assert chart.handling.dissemination == "shared"


def test_invisible_entities_are_indistinguishable_from_missing_ones(world: World) -> None:
    olga = person_ids(world.confidential)[0]
    missing = Entity.unscoped_objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    messages = set()
    for entity in (olga, missing):
        for call in (
            lambda e: graph.neighbourhood(world.outsider, [e]),
            lambda e: graph.within_k(world.outsider, e, 2),
            lambda e: graph.shortest_paths(world.outsider, world.hub, e),
            lambda e: graph.common_neighbours(world.outsider, world.hub, e),
        ):
            with pytest.raises(EntityNotFound) as caught:
                call(entity)
            messages.add(str(caught.value))
    assert messages == {"No such entity."}
    # A charity outside every group knows nothing of the phone at all.
    with pytest.raises(EntityNotFound):
        graph.neighbourhood(world.charity, [world.hub])


def test_an_entity_known_only_by_flag_is_a_flag_node_without_neighbours(world: World) -> None:
    marta = person_ids(world.restricted)[0]
    chart = graph.neighbourhood(world.outsider, [marta], hops=2)

    assert [(n.entity_id, n.access, n.label) for n in chart.nodes if n.kind != graph.FLAG] == [
        (marta, "flag", f"Person #{marta}")
    ]
    assert len(chart.flags) == 1 and not [e for e in chart.edges if e.type != graph.FLAG]
    assert graph.within_k(world.outsider, marta, 2) == {marta: 0}


def test_the_originator_sees_everything(world: World) -> None:
    chart = graph.neighbourhood(world.author, [world.hub])
    assert len(labels(chart)) == 5 and not chart.flags


def test_within_k_and_common_neighbours(world: World) -> None:
    ivan = person_ids(world.shared)[0]
    gregor = person_ids(world.group_confidential)[0]
    assert graph.within_k(world.viewer, ivan, 2) == {ivan: 0, world.hub: 1, gregor: 2}
    assert graph.within_k(world.outsider, ivan, 2) == {ivan: 0, world.hub: 1}
    common = graph.common_neighbours(world.viewer, ivan, gregor)
    assert {n.entity_id for n in common.nodes if n.kind != graph.FLAG} == {ivan, gregor, world.hub}
    with pytest.raises(EntityNotFound):
        graph.common_neighbours(world.outsider, ivan, gregor)


def test_the_chart_is_capped_and_says_what_it_left_out(world: World) -> None:
    for n in range(6):
        submit(world.author, person(f"Extra Person {n}"), phone("07700 900111"))
    chart = graph.neighbourhood(world.viewer, [world.hub], max_nodes=4)

    assert len([n for n in chart.nodes if n.kind != graph.FLAG]) == 4
    assert chart.left_out.count == 5
    assert chart.left_out.summary() == "5 more neighbours not shown (5 person)"


def test_filters_on_kind_type_organisation_and_date(world: World) -> None:
    other = make_user(organisation=world.viewer.organisation, roles=[Role.ANALYST])
    submit(other, person("Old Case"), phone("07700 900111"), occurred_on=date(2019, 5, 1))
    submit(other, person("Vera Vehicle"), SubjectInput(kind="vrm", value="AB12 CDE", linked_to=0, relation="owns"))

    by_kind = graph.neighbourhood(world.viewer, [world.hub], filters=ChartFilters(entity_kinds=frozenset({"phone"})))
    assert labels(by_kind) == {"+447700900111"}
    recent = graph.neighbourhood(world.viewer, [world.hub], filters=ChartFilters(date_from=date(2020, 1, 1)))
    assert "Old Case" not in labels(recent) and "Ivan Petrov" in labels(recent)
    old = graph.neighbourhood(world.viewer, [world.hub], filters=ChartFilters(date_to=date(2019, 12, 31)))
    assert labels(old) == {"+447700900111", "Old Case"} and not old.flags
    own = graph.neighbourhood(
        world.viewer, [world.hub], filters=ChartFilters(organisation_ids=frozenset({world.viewer.organisation_id}))
    )
    assert labels(own) == {"+447700900111", "Old Case"}
    owns = graph.neighbourhood(
        world.viewer, [world.hub], hops=3, filters=ChartFilters(relationship_types=frozenset({"owns"}))
    )
    assert labels(owns) == {"+447700900111"}
    with pytest.raises(ValueError, match="Unknown relationship"):
        ChartFilters(relationship_types=frozenset({"knows"}))


def test_shortest_path_runs_through_visible_nodes_only(world: World) -> None:
    author = world.author
    a, b, c, d = (f"07700 90020{i}" for i in range(4))
    submit(author, phone(a, user_of=None), phone(b, user_of=None))
    submit(author, phone(b, user_of=None), phone(c, user_of=None))
    submit(author, phone(c, user_of=None), phone(d, user_of=None))
    # The short cut is confidential to Brackenridge.
    submit(author, phone(a, user_of=None), phone(d, user_of=None), level="confidential")
    ids = [phone_id(x) for x in (a, b, c, d)]

    theirs = graph.shortest_paths(author, ids[0], ids[3])
    assert theirs.paths == [[ids[0], ids[3]]]
    ours = graph.shortest_paths(world.outsider, ids[0], ids[3])
    assert ours.paths == [ids]
    assert {n.entity_id for n in ours.nodes} == set(ids)
    assert {frozenset((e.source, e.target)) for e in ours.edges} == {
        frozenset((f"e{x}", f"e{y}")) for x, y in pairwise(ids)
    }
    assert graph.shortest_paths(world.outsider, ids[0], ids[3], max_hops=2).paths == []


def test_visible_graph_is_built_from_visible_statements_only(world: World) -> None:
    g = graph.visible_graph(world.outsider)
    assert sorted(g.vs["kind"]) == ["person", "phone"]
    assert g.ecount() == 1
    g_all = graph.visible_graph(world.author)
    assert g_all.vcount() == 5 and g_all.ecount() == 4 and g_all.es["weight"] == [1, 1, 1, 1]


# --- the raw queries of GraphRule against the rule's own querysets -----------------------------------


def granted_outsider(world: World) -> User:
    """Calderfell's officer, granted the restricted report by Brackenridge's supervisor."""
    from cairn.intelligence.services import access_request_decide

    requester = make_user(organisation=world.outsider.organisation, roles=[Role.ANALYST])
    supervisor = make_user(organisation=world.author.organisation, roles=[Role.SUPERVISOR])
    request = ask_for_access(requester, world.restricted.pk, "Operation Larch")
    access_request_decide(actor=supervisor, request_id=request.pk, grant=True, reason="needed")
    return requester


def test_the_raw_graph_queries_say_exactly_what_the_rule_says(world: World) -> None:
    from cairn.access.intelligence import flags_for, reports_visible_to, statements_flagged_to
    from cairn.access.network import GraphRule
    from cairn.entities.models import Statement

    submit(world.author, person("Nadia Name"), phone("07700 900999"), SubjectInput(kind="vrm", value="XY12 ZZZ"))
    everything = list(Entity.unscoped_objects.values_list("pk", flat=True))
    kinds = dict(Entity.unscoped_objects.values_list("pk", "kind"))
    viewers = [world.viewer, world.outsider, world.charity, world.author, granted_outsider(world)]
    for user in viewers:
        rule = GraphRule(user)
        visible = rule.statements()
        full = set(visible.values_list("entity_id", flat=True)) | set(
            visible.filter(related_entity__isnull=False).values_list("related_entity_id", flat=True)
        )
        flagged = set(statements_flagged_to(user).values_list("entity_id", flat=True)) - full
        expected = {e: ("full", kinds[e]) for e in full} | {e: ("flag", kinds[e]) for e in flagged}
        assert rule.entity_access(everything) == expected, user

        co = {
            (x, y, r)
            for x, y, r in rule.co_subjects(everything).values_list(
                "report__statements__entity_id", "entity_id", "report_id"
            )
            if x != y
        }
        rows = rule.co_subject_rows(everything)
        assert len(rows) == len(co) and set(rows) == co, user
        assert sorted(rule.frontier_rows(everything)) == sorted(co), user
        hub_reports = {r for x, _, r in co if x == world.hub}
        assert set(rule.frontier_rows(everything, done=hub_reports)) == {c for c in co if c[2] not in hub_reports}
        assert set(rule.frontier_rows(everything, towards=[world.hub])) == {c for c in co if c[1] == world.hub}

        relationships = set(
            visible.filter(
                related_entity__isnull=False, entity_id__in=everything, related_entity_id__in=everything
            ).values_list("entity_id", "related_entity_id", "prop", "report_id")
        )
        got_rel, got_co = rule.chart_edges(everything)
        assert set(got_rel) == relationships and len(got_rel) == len(relationships), user
        assert sorted(got_co) == sorted((x, y, r) for x, y, r in co if x < y), user
        uses = {(e, t, r) for e, t, p, r in relationships if p == "uses" and e != t}
        both_ways = uses | {(t, e, r) for e, t, r in uses}
        assert set(rule.relationship_rows(everything, ["uses"])) == both_ways, user

        props = ["subject", "name", "identifier"]
        labels = set(visible.filter(prop__in=props).values_list("entity_id", "prop", "report_id"))
        assert {(e, p, r) for e, p, _, _, r, *_ in rule.label_rows(everything, props)} == labels, user
        reports = set(Statement.unscoped_objects.values_list("report_id", flat=True))
        assert {m[0] for m in rule.markings(reports)} == set(
            reports_visible_to(user).filter(pk__in=reports).values_list("pk", flat=True)
        ), user
        assert rule.flags(everything) == flags_for(user, entity_ids=everything), user


def test_the_rule_must_be_a_test_on_the_report_row_alone() -> None:
    from django.db.models import Q

    from cairn.access.intelligence import report_predicate

    with pytest.raises(ValueError, match="report row alone"):
        report_predicate(Q(organisation__code="alder"))
    assert report_predicate(Q(pk__in=[])) == ("FALSE", [])


def test_a_grant_decided_now_opens_the_walk_at_once(world: World) -> None:
    marta = person_ids(world.restricted)[0]
    requester = make_user(organisation=world.outsider.organisation, roles=[Role.ANALYST])
    assert graph.within_k(requester, marta, 1) == {marta: 0}  # known by flag only
    assert graph.shortest_paths(requester, marta, world.hub).paths == []

    from cairn.intelligence.services import access_request_decide

    supervisor = make_user(organisation=world.author.organisation, roles=[Role.SUPERVISOR])
    request = ask_for_access(requester, world.restricted.pk, "Operation Larch")
    access_request_decide(actor=supervisor, request_id=request.pk, grant=True, reason="needed")

    assert graph.within_k(requester, marta, 1) == {marta: 0, world.hub: 1}
    assert graph.shortest_paths(requester, marta, world.hub).paths == [[marta, world.hub]]


def chain(author: User, numbers: list[str], level: str = "shared") -> list[int]:
    for x, y in pairwise(numbers):
        submit(author, phone(x, user_of=None), phone(y, user_of=None), level=level)
    return [phone_id(n) for n in numbers]


@pytest.mark.parametrize("both_sides_at_once", [0, 1, graph.BOTH_SIDES_AT_ONCE])
def test_shortest_paths_are_the_same_however_the_two_sides_grow(
    world: World, both_sides_at_once: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph, "BOTH_SIDES_AT_ONCE", both_sides_at_once)
    ids = chain(world.author, [f"07700 9003{i:02d}" for i in range(8)])
    # A diamond half way: two shortest paths from the first to the last.
    detour = chain(world.author, ["07700 900300", "07700 900390", "07700 900302"])
    viewer = world.outsider

    for hops in range(1, 9):
        found = graph.shortest_paths(viewer, ids[0], ids[-1], max_hops=hops)
        if hops < 7:
            assert found.paths == [] and found.left_out.paths == 0, hops
        else:
            assert sorted(found.paths) == sorted([ids, [ids[0], detour[1], *ids[2:]]]), hops
    one = graph.shortest_paths(viewer, ids[0], ids[-1], max_hops=7, limit=1)
    assert len(one.paths) == 1 and one.left_out.paths == 1
    assert graph.shortest_paths(viewer, ids[3], ids[4], max_hops=1).paths == [[ids[3], ids[4]]]
    assert graph.shortest_paths(viewer, ids[3], ids[5], max_hops=2).paths == [ids[3:6]]
    assert graph.shortest_paths(viewer, ids[2], ids[2]).paths == [[ids[2]]]
    near = {ids[1]: 2, detour[1]: 2, ids[2]: 1, ids[3]: 0, ids[4]: 1, ids[5]: 2}
    assert graph.within_k(viewer, ids[3], 2) == near


def test_a_path_to_an_end_known_only_by_flag_is_not_searched_through(world: World) -> None:
    marta = person_ids(world.restricted)[0]
    chart = graph.shortest_paths(world.outsider, world.hub, marta)
    assert chart.paths == [] and not [e for e in chart.edges if e.type != graph.FLAG]
    assert {(n.entity_id, n.access) for n in chart.nodes if n.kind != graph.FLAG} == {
        (world.hub, "full"),
        (marta, "flag"),
    }
    # The viewer who may read the restricted report finds it at once.
    assert graph.shortest_paths(world.viewer, world.hub, marta).paths == []  # restricted, not in their group
    assert graph.shortest_paths(world.author, world.hub, marta).paths == [[world.hub, marta]]


def test_a_path_along_relationships_only(world: World) -> None:
    ivan = person_ids(world.shared)[0]
    gregor = person_ids(world.group_confidential)[0]
    uses = ChartFilters(relationship_types=frozenset({"uses"}))
    chart = graph.shortest_paths(world.viewer, ivan, gregor, filters=uses)
    assert chart.paths == [[ivan, world.hub, gregor]]
    assert {e.type for e in chart.edges} == {"uses", graph.FLAG}  # the restricted report on the phone: a flag
    assert graph.shortest_paths(world.outsider, ivan, world.hub, filters=uses).paths == [[ivan, world.hub]]
    owns = ChartFilters(relationship_types=frozenset({"owns"}))
    assert graph.shortest_paths(world.viewer, ivan, gregor, filters=owns).paths == []


def test_a_scoped_graph_counts_each_report_once_per_pair(world: World) -> None:
    """Narrowing the pairs with a second filter joined the report's statements again: a pair named by one
    report of four subjects weighed 3 in a chart's graph and 1 in the whole one, and a kind filter let
    through pairs whose other end was of another kind."""
    author = world.author
    numbers = [f"07700 90030{i}" for i in range(3)]
    submit(author, person("Ilir Hoxha"), *(phone(n, user_of=None) for n in numbers))
    ids = frozenset(phone_id(n) for n in numbers)
    scoped = graph.visible_graph(author, graph.GraphScope(entity_ids=ids))
    assert scoped.vcount() == 3 and scoped.ecount() == 3 and scoped.es["weight"] == [1, 1, 1]
    phones = graph.visible_graph(author, graph.GraphScope(filters=ChartFilters(entity_kinds=frozenset({"phone"}))))
    assert set(phones.vs["kind"]) == {"phone"}
    assert all(w == 1 for w in phones.es["weight"]), phones.es["weight"]
