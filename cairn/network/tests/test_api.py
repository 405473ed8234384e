"""The network API over HTTP: charts within the rule, saved charts derived for each viewer, exports, bad input."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from cairn.accounts.choices import Role
from cairn.accounts.models import SharingGroup, User
from cairn.audit.models import AuditEntry
from cairn.core.testing import OrganisationFactory, SharingGroupFactory, UserFactory, submit_report, verified_client
from cairn.entities.models import Entity
from cairn.intelligence.inputs import SubjectInput
from cairn.intelligence.models import IntelligenceReport
from cairn.network.models import SavedChart

pytestmark = pytest.mark.django_db

API = "/api/v1/network"
HUB = "07700 900111"


def make_user(**kwargs: Any) -> User:
    return UserFactory(**kwargs)  # type: ignore[return-value]


def make_group(**kwargs: Any) -> SharingGroup:
    return SharingGroupFactory(**kwargs)  # type: ignore[return-value]


def submit(author: User, *subjects: SubjectInput, level: str = "shared", groups: list[int] | None = None) -> Any:
    return submit_report(author, *subjects, level=level, groups=groups, text="Network API test report.")


def person(name: str) -> SubjectInput:
    return SubjectInput(kind="person", value=name, role="suspect")


def phone(number: str = HUB) -> SubjectInput:
    return SubjectInput(kind="phone", value=number, role="user", linked_to=0, relation="uses")


def person_id(report: IntelligenceReport) -> int:
    return report.statements.filter(prop="subject", entity__kind="person").values_list("entity_id", flat=True)[0]  # type: ignore[attr-defined,no-any-return]


@dataclass
class World:
    author: User  # Brackenridge analyst: wrote everything, sees everything
    viewer: User  # Aldermoor analyst, in a sharing group with Brackenridge
    outsider: User  # Calderfell analyst, in no group
    officer: User  # Aldermoor officer: reads intelligence but does not chart networks
    hub: int
    ivan: int  # shared
    marta: int  # restricted: a flag for other law enforcement
    olga: int  # confidential: nothing for anyone outside Brackenridge
    gregor: int  # confidential to the sharing group
    lone: int  # shared, joined to nothing


@pytest.fixture
def world() -> World:
    alder, bracken, calder = (OrganisationFactory(code=c) for c in ("alder", "bracken", "calder"))
    group = make_group(name="Operation Juniper", members=[alder, bracken])
    author = make_user(username="bracken.analyst", organisation=bracken, roles=[Role.ANALYST])
    shared = submit(author, person("Ivan Petrov"), phone())
    restricted = submit(author, person("Marta Restricted"), phone(), level="restricted")
    confidential = submit(author, person("Olga Confidential"), phone(), level="confidential")
    grouped = submit(author, person("Gregor Group"), phone(), level="confidential", groups=[group.pk])
    lone = submit(author, person("Lena Alone"))
    from cairn.entities.normalise import normalise

    return World(
        author=author,
        viewer=make_user(username="alder.analyst", organisation=alder, roles=[Role.ANALYST]),
        outsider=make_user(username="calder.analyst", organisation=calder, roles=[Role.ANALYST]),
        officer=make_user(username="alder.officer", organisation=alder, roles=[Role.OFFICER]),
        hub=Entity.unscoped_objects.get(kind="phone", key=normalise("phone", HUB)).pk,
        ivan=person_id(shared),
        marta=person_id(restricted),
        olga=person_id(confidential),
        gregor=person_id(grouped),
        lone=person_id(lone),
    )


def get(client: Client, path: str, **params: Any) -> Any:
    return client.get(f"{API}{path}", params)


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"{API}{path}", data=json.dumps(body), content_type="application/json")


def nodes(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [n["data"] for n in data["elements"]["nodes"]]


def labels(data: dict[str, Any]) -> set[str]:
    return {n["label"] for n in nodes(data) if n["kind"] != "flag"}


def test_the_neighbourhood_shows_what_the_viewer_may_see_with_flags_and_is_audited(world: World) -> None:
    response = get(verified_client(world.viewer), "/neighbourhood", seeds=str(world.hub), hops=1)

    assert response.status_code == 200
    data = response.json()
    assert labels(data) == {"+447700900111", "Ivan Petrov", "Gregor Group"}
    [flag] = [n for n in nodes(data) if n["kind"] == "flag"]
    assert flag["flag"]["organisation"] == "Bracken Police" and flag["flag"]["contact_point"]
    assert "Marta" not in response.content.decode() and "Olga" not in response.content.decode()
    entry = AuditEntry.objects.filter(actor_username=world.viewer.username, object_type="network.neighbourhood").get()
    assert entry.action == "view" and entry.detail["seeds"] == [world.hub] and entry.detail["flags"] == 1


def test_the_cap_says_what_was_left_out(world: World) -> None:
    data = get(verified_client(world.author), "/neighbourhood", seeds=str(world.hub), max_nodes=2).json()
    assert len(labels(data)) == 2
    assert data["left_out"]["count"] == 3 and "3 more neighbours not shown" in data["left_out"]["summary"]


def test_people_who_do_not_chart_networks_are_told_not_found(world: World) -> None:
    officer = verified_client(world.officer)
    chart = SavedChart.objects.create(owner=world.viewer, title="Op Juniper", state={"entity_ids": [world.hub]})
    calls = [
        get(officer, "/neighbourhood", seeds=str(world.hub)),
        get(officer, "/paths", a=world.hub, b=world.ivan),
        get(officer, "/common", a=world.hub, b=world.ivan),
        get(officer, "/centrality", entities=str(world.hub)),
        get(officer, "/export", format="graphml", seeds=str(world.hub)),
        get(officer, "/charts"),
        get(officer, f"/charts/{chart.pk}"),
        post(officer, "/charts", {"title": "x", "state": {"entity_ids": [world.hub]}}),
        post(officer, f"/charts/{chart.pk}/share", {"username": world.outsider.username}),
    ]
    assert [r.status_code for r in calls] == [404] * len(calls)
    assert verified_client(world.officer).get("/network/chart/").status_code == 404


@pytest.mark.parametrize(
    ("path", "params", "status", "message"),
    [
        ("/neighbourhood", {"seeds": "12,abc"}, 400, "seeds: entity ids are whole numbers"),
        ("/neighbourhood", {"seeds": ""}, 400, "seeds: give one or more entity ids"),
        ("/neighbourhood", {"seeds": "HUB", "hops": 4}, 400, "hops must be between 0 and 3"),
        ("/neighbourhood", {"seeds": "HUB", "max_nodes": 2001}, 400, "max_nodes must be between 1 and 2,000"),
        ("/neighbourhood", {"seeds": "HUB", "relationship": "knows"}, 400, "Unknown relationship type(s): knows"),
        ("/neighbourhood", {"seeds": "HUB", "kind": "spaceship"}, 400, "Unknown entity kind(s): spaceship"),
        ("/neighbourhood", {"seeds": "HUB", "date_from": "last week"}, 400, "date_from: give a date as YYYY-MM-DD"),
        ("/neighbourhood", {"seeds": "HUB", "organisation": "nowhere"}, 400, "organisation: unknown"),
        ("/paths", {"a": "abc", "b": "1"}, 422, "The request is not valid."),
        ("/paths", {"a": "HUB", "b": "HUB", "max_hops": 7}, 400, "max_hops must be between 1 and 6"),
        ("/export", {"format": "pdf", "seeds": "HUB"}, 400, "format must be one of: graphml, csv, anx"),
        ("/centrality", {"entities": "1;2"}, 400, "entities: entity ids are whole numbers"),
    ],
)
def test_bad_input_is_a_clear_error(world: World, path: str, params: dict[str, Any], status: int, message: str) -> None:
    params = {k: str(world.hub) if v == "HUB" else v for k, v in params.items()}
    response = get(verified_client(world.viewer), path, **params)
    assert response.status_code == status
    assert message in response.json()["message"]


def test_invisible_and_missing_entities_are_the_same_404(world: World) -> None:
    outsider = verified_client(world.outsider)
    missing = world.lone + 10_000
    answers = [
        get(outsider, "/neighbourhood", seeds=str(world.olga)),
        get(outsider, "/neighbourhood", seeds=str(missing)),
        get(outsider, "/paths", a=world.hub, b=world.olga),
        get(outsider, "/common", a=world.hub, b=missing),
        get(outsider, "/export", format="csv", seeds=str(world.gregor)),
    ]
    assert {(r.status_code, r.json()["message"]) for r in answers} == {(404, "No such entity.")}


def test_paths_and_common_neighbours(world: World) -> None:
    client = verified_client(world.viewer)
    found = get(client, "/paths", a=world.ivan, b=world.gregor).json()
    assert found["paths"] == [[world.ivan, world.hub, world.gregor]] and found["message"] == ""
    apart = get(client, "/paths", a=world.ivan, b=world.lone, max_hops=3)
    assert apart.status_code == 200
    assert apart.json()["paths"] == [] and "No path within 3 hops" in apart.json()["message"]
    common = get(client, "/common", a=world.ivan, b=world.gregor).json()
    assert labels(common) == {"Ivan Petrov", "Gregor Group", "+447700900111"}
    # The outsider cannot walk through the group's confidential report: Gregor does not exist for them.
    assert get(verified_client(world.outsider), "/paths", a=world.ivan, b=world.gregor).status_code == 404


def test_centrality_scores_only_what_the_viewer_may_see(world: World) -> None:
    ids = ",".join(str(i) for i in (world.hub, world.ivan, world.gregor, world.olga))
    scores = get(verified_client(world.viewer), "/centrality", entities=ids).json()
    assert {s["entity_id"] for s in scores} == {world.hub, world.ivan, world.gregor}
    top = max(scores, key=lambda s: s["betweenness"])
    assert top["entity_id"] == world.hub and top["degree"] == 2
    assert {"degree", "pagerank", "betweenness", "weighted_degree"} <= set(scores[0])
    assert AuditEntry.objects.filter(object_type="network.centrality", actor_username=world.viewer.username).exists()


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [
        ("graphml", "application/graphml+xml", "graphml"),
        ("csv", "application/zip", "zip"),
        ("anx", "application/xml", "anx"),
    ],
)
def test_exports_are_files_with_the_handling_and_are_audited(
    world: World, fmt: str, content_type: str, extension: str
) -> None:
    response = get(verified_client(world.viewer), "/export", format=fmt, seeds=str(world.hub), hops=1)

    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"].startswith('attachment; filename="cairn-chart-')
    assert response["Content-Disposition"].endswith(f'.{extension}"')
    if fmt == "csv":
        text = zipfile.ZipFile(io.BytesIO(response.content)).read("HANDLING.txt").decode()
    else:
        text = response.content.decode()
    assert "strictest dissemination confidential" in text  # Gregor's group report is behind the chart
    assert "Marta" not in text and "Olga" not in text
    entry = AuditEntry.objects.get(actor_username=world.viewer.username, object_type="network.export")
    assert entry.action == "export" and entry.detail["format"] == fmt
    assert "strictest dissemination confidential" in entry.detail["handling"]
    assert response["X-Cairn-Handling"] == entry.detail["handling"]


def test_a_colleague_opening_a_shared_chart_sees_flags_where_the_saver_saw_detail(world: World) -> None:
    saver = verified_client(world.author)
    state = {
        "entity_ids": [world.hub, world.ivan, world.marta, world.olga],
        "positions": {f"e{world.marta}": {"x": 10, "y": 20}, f"e{world.ivan}": {"x": 30, "y": 40}},
        "pinned": [f"e{world.marta}"],
        "hidden": [],
        "groups": {"Marta's cell": [world.marta, world.olga], "Phones": [world.hub]},
        "notes": {str(world.marta): "Marta runs the flat", str(world.ivan): "Driver"},
        "filters": {},
    }
    created = post(saver, "/charts", {"title": "Op Juniper", "state": state})
    assert created.status_code == 201
    chart_id = created.json()["id"]
    own = get(saver, f"/charts/{chart_id}").json()
    assert {"Marta Restricted", "Olga Confidential"} <= labels(own["chart"])

    shared = post(saver, f"/charts/{chart_id}/share", {"username": world.outsider.username})
    assert shared.status_code == 200 and shared.json()["shared_with"] == [world.outsider.username]

    colleague = verified_client(world.outsider)
    opened = get(colleague, f"/charts/{chart_id}")
    assert opened.status_code == 200
    data = opened.json()
    text = opened.content.decode()
    assert "Marta" not in text and "Olga" not in text and "runs the flat" not in text
    marta = next(n for n in nodes(data["chart"]) if n["entity_id"] == world.marta and n["kind"] != "flag")
    assert marta["access"] == "flag"
    # One flag per (restricted report, entity): on Marta, and on the phone the same report names.
    flags = [n for n in nodes(data["chart"]) if n["kind"] == "flag"]
    assert {n["flag"]["organisation"] for n in flags} == {"Bracken Police"}
    flag_ends = {e["data"]["source"] for e in data["chart"]["elements"]["edges"] if e["data"]["type"] == "flag"}
    assert flag_ends == {f"e{world.marta}", f"e{world.hub}"}
    assert world.olga not in {n["entity_id"] for n in nodes(data["chart"])}
    assert labels(data["chart"]) >= {"Ivan Petrov", "+447700900111"}
    # Layout and notes survive only for what the colleague may read in full.
    assert data["state"]["notes"] == {str(world.ivan): "Driver"}
    assert data["state"]["groups"] == {"Phones": [world.hub]}
    assert data["state"]["pinned"] == [] and list(data["state"]["positions"]) == [f"e{world.ivan}"]
    assert data["mine"] is False and data["shared_with"] == []
    assert [c["id"] for c in get(colleague, "/charts").json()] == [chart_id]
    # Only the owner shares; anyone else does not find the chart at all.
    assert post(colleague, f"/charts/{chart_id}/share", {"username": world.viewer.username}).status_code == 404
    assert get(verified_client(world.viewer), f"/charts/{chart_id}").status_code == 404
    assert AuditEntry.objects.filter(actor_username=world.outsider.username, object_type="network.savedchart").exists()


def test_saving_and_sharing_refuse_what_they_should(world: World) -> None:
    viewer = verified_client(world.viewer)
    assert post(viewer, "/charts", {"title": "", "state": {"entity_ids": [world.hub]}}).status_code == 422
    assert post(viewer, "/charts", {"title": "x", "state": {"entity_ids": []}}).status_code == 422
    assert post(viewer, "/charts", {"title": "x", "state": {"entity_ids": ["a"]}}).status_code == 422
    hidden = post(viewer, "/charts", {"title": "x", "state": {"entity_ids": [world.hub, world.olga]}})
    assert (hidden.status_code, hidden.json()["message"]) == (404, "No such entity.")
    chart_id = post(viewer, "/charts", {"title": "Mine", "state": {"entity_ids": [world.hub]}}).json()["id"]
    for username in ("nobody.here", world.officer.username, world.viewer.username):
        refused = post(viewer, f"/charts/{chart_id}/share", {"username": username})
        assert refused.status_code == 422, username
    assert post(viewer, f"/charts/{chart_id}/share", {"username": world.author.username}).status_code == 200


def test_the_owner_unshares_and_deletes_a_chart_and_no_one_else_can(world: World) -> None:
    saver, colleague = verified_client(world.viewer), verified_client(world.author)
    chart_id = post(saver, "/charts", {"title": "Op Rowan", "state": {"entity_ids": [world.hub]}}).json()["id"]
    assert post(saver, f"/charts/{chart_id}/share", {"username": world.author.username}).status_code == 200
    assert get(colleague, f"/charts/{chart_id}").status_code == 200
    # The colleague can neither take others off nor delete it.
    assert colleague.delete(f"{API}/charts/{chart_id}/share/{world.author.username}").status_code == 404
    assert colleague.delete(f"{API}/charts/{chart_id}").status_code == 404

    assert saver.delete(f"{API}/charts/{chart_id}/share/nobody.here").status_code == 422
    unshared = saver.delete(f"{API}/charts/{chart_id}/share/{world.author.username}")
    assert unshared.status_code == 200 and unshared.json()["shared_with"] == []
    assert get(colleague, f"/charts/{chart_id}").status_code == 404
    assert AuditEntry.objects.filter(detail__unshared_with=world.author.username).exists()

    assert saver.delete(f"{API}/charts/{chart_id}").status_code == 204
    assert get(saver, f"/charts/{chart_id}").status_code == 404
    erased = AuditEntry.objects.filter(action="erase", object_type="network.savedchart").latest("id")
    assert erased.detail["title"] == "Op Rowan" and erased.actor_username == world.viewer.username
