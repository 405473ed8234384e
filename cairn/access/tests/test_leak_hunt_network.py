"""Leak hunt over network analysis, link charts and crime groups.

An analyst (or officer) of one organisation probes the network API and pages, crime groups and detection
runs for anything about another organisation's restricted or confidential intelligence, or about reports
awaiting review. Each test asserts the safe behaviour: a failing test is a leak. Confirmed leaks are kept
as strict expected failures (``LEAK: ...``); probes that came out safe are kept as ``test_safe_...``.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import pytest
from django.test import Client

from cairn.accounts.choices import OrganisationKind, Role
from cairn.accounts.models import User
from cairn.audit.models import AuditEntry
from cairn.core.testing import (
    OrganisationFactory,
    SharingGroupFactory,
    UserFactory,
    ask_for_access,
    flag_report,
    submit_report,
    verified_client,
)
from cairn.entities.models import Entity
from cairn.entities.normalise import normalise
from cairn.groups import detection
from cairn.groups.models import CrimeGroup
from cairn.groups.selectors import active_scheme
from cairn.intelligence import services as intelligence
from cairn.intelligence.inputs import SubjectInput
from cairn.intelligence.models import IntelligenceReport

pytestmark = pytest.mark.django_db

API = "/api/v1"
NET = f"{API}/network"
HUB = "07700 900111"
RESTRICTED_PHONE = "07700 900222"
CONFIDENTIAL_PHONE = "07700 900333"
AWAITING_PHONE = "07700 900444"
# What another organisation must never learn from Bracken's hidden material.
HIDDEN_TEXT = ("Marta", "Olga", "Adam", "900222", "900333", "900444")


def person(name: str) -> SubjectInput:
    return SubjectInput(kind="person", value=name, role="suspect")


def used_phone(number: str) -> SubjectInput:
    return SubjectInput(kind="phone", value=number, role="user", linked_to=0, relation="uses")


def bare_phone(number: str) -> SubjectInput:
    return SubjectInput(kind="phone", value=number, role="user")


def submit(author: User, *subjects: SubjectInput, level: str = "shared", **fields: Any) -> IntelligenceReport:
    return submit_report(author, *subjects, level=level, text="Leak hunt network report.", **fields)  # type: ignore[no-any-return]


def phone_id(number: str) -> int:
    return Entity.unscoped_objects.get(kind="phone", key=normalise("phone", number)).pk


def person_of(report: IntelligenceReport) -> int:
    return report.statements.filter(prop="subject", entity__kind="person").values_list("entity_id", flat=True)[0]  # type: ignore[attr-defined,no-any-return]


@dataclass
class World:
    author: User  # Bracken analyst: wrote everything below
    supervisor: User  # Bracken supervisor: decides access requests
    viewer: User  # Alder analyst, in Juniper with Bracken and in Rowan with Calder
    colleague: User  # another Alder analyst
    outsider: User  # Calder analyst, in Rowan with Alder only
    officer: User  # Alder officer: no network capability
    charity: User  # an analyst-role user of a charity in no group
    hub: int
    ivan: int  # shared
    marta: int  # restricted (a flag to other law enforcement)
    olga: int  # confidential
    gregor: int  # confidential to Juniper (Alder reads it)
    adam: int  # shared but awaiting review (source 3): Bracken only
    lone: int  # shared, joined to nothing
    restricted_phone: int
    confidential_phone: int
    awaiting_phone: int
    restricted_report: IntelligenceReport
    juniper: Any
    rowan: Any

    @property
    def missing(self) -> int:
        return max(Entity.unscoped_objects.values_list("pk", flat=True)) + 987_654


@pytest.fixture
def world() -> World:
    alder, bracken, calder = (
        OrganisationFactory(code=c, name=f"{c.title()} Police") for c in ("alder", "bracken", "calder")
    )
    haven = OrganisationFactory(code="haven", name="Haven Charity", kind=OrganisationKind.CHARITY)
    juniper = SharingGroupFactory(name="Operation Juniper", members=[alder, bracken])
    rowan = SharingGroupFactory(name="Rowan cell", members=[alder, calder])
    author = UserFactory(username="bracken.analyst", organisation=bracken, roles=[Role.ANALYST])
    shared = submit(author, person("Ivan Petrov"), used_phone(HUB))
    restricted = submit(
        author, person("Marta Restricted"), used_phone(HUB), used_phone(RESTRICTED_PHONE), level="restricted"
    )
    confidential = submit(
        author, person("Olga Confidential"), used_phone(HUB), used_phone(CONFIDENTIAL_PHONE), level="confidential"
    )
    grouped = submit(
        author, person("Gregor Group"), used_phone(HUB), level="confidential", sharing_group_ids=[juniper.pk]
    )
    awaiting = submit(
        author, person("Adam Awaiting"), used_phone(HUB), used_phone(AWAITING_PHONE), source_evaluation="3"
    )
    assert awaiting.review_state == "awaiting"
    lone = submit(author, person("Lena Alone"))
    return World(
        author=author,
        supervisor=UserFactory(username="bracken.sup", organisation=bracken, roles=[Role.SUPERVISOR]),
        viewer=UserFactory(username="alder.analyst", organisation=alder, roles=[Role.ANALYST]),
        colleague=UserFactory(username="alder.colleague", organisation=alder, roles=[Role.ANALYST]),
        outsider=UserFactory(username="calder.analyst", organisation=calder, roles=[Role.ANALYST]),
        officer=UserFactory(username="alder.officer", organisation=alder, roles=[Role.OFFICER]),
        charity=UserFactory(username="haven.analyst", organisation=haven, roles=[Role.ANALYST]),
        hub=phone_id(HUB),
        ivan=person_of(shared),
        marta=person_of(restricted),
        olga=person_of(confidential),
        gregor=person_of(grouped),
        adam=person_of(awaiting),
        lone=person_of(lone),
        restricted_phone=phone_id(RESTRICTED_PHONE),
        confidential_phone=phone_id(CONFIDENTIAL_PHONE),
        awaiting_phone=phone_id(AWAITING_PHONE),
        restricted_report=restricted,
        juniper=juniper,
        rowan=rowan,
    )


def get(client: Client, path: str, **params: Any) -> Any:
    return client.get(path, params)


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def chart_nodes(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [n["data"] for n in data["elements"]["nodes"]]


def entity_ids(data: dict[str, Any]) -> set[int]:
    return {n["entity_id"] for n in chart_nodes(data) if n["kind"] != "flag"}


def flags(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in chart_nodes(data) if n["kind"] == "flag"]


def hidden_ids(w: World) -> set[int]:
    return {w.marta, w.olga, w.adam, w.restricted_phone, w.confidential_phone, w.awaiting_phone}


def assert_nothing_hidden(text: str, *extra: str) -> None:
    for word in (*HIDDEN_TEXT, *extra):
        assert word not in text, (word, text[:3000])


def adopt(client: Client, members: list[int], **extra: Any) -> Any:
    body = {"name": "Mill Lane group", "members": members, "summary": "Runs the car wash."} | extra
    return post(client, f"{API}/crime-groups", body)


# ==== the link chart API ===============================================================================


def test_safe_neighbourhood_shows_no_hidden_names_numbers_or_awaiting_flags(world: World) -> None:
    """Two hops from the hub: Alder sees Ivan and Gregor (Juniper), one flag (Marta's restricted report) and
    nothing of Olga's confidential report or Adam's report awaiting review; Calder not even Gregor."""
    for user, extra, expected in (
        (world.viewer, (), {world.hub, world.ivan, world.gregor}),
        (world.outsider, ("Gregor",), {world.hub, world.ivan}),
    ):
        response = get(verified_client(user), f"{NET}/neighbourhood", seeds=world.hub, hops=2)
        assert response.status_code == 200
        data = response.json()
        assert entity_ids(data) == expected
        assert_nothing_hidden(response.content.decode(), *extra)
        assert [flag_report(user, f["flag"]["token"]) for f in flags(data)] == [world.restricted_report.pk]
        assert data["left_out"]["count"] == 0 and not data["left_out"]["at_least"]
        hub = next(n for n in chart_nodes(data) if n["entity_id"] == world.hub)
        assert hub["organisations"] == ["bracken"]
        behind = {world.ivan} | ({world.gregor} if user == world.viewer else set())
        readable = set(
            IntelligenceReport.unscoped_objects.filter(statements__entity_id__in=behind).values_list("pk", flat=True)
        )
        assert set(hub["report_ids"]) == readable
        assert set(data["elements"]["edges"][0]["data"]["report_ids"]) <= readable


def test_safe_hidden_awaiting_and_missing_seeds_answer_alike(world: World) -> None:
    client = verified_client(world.viewer)
    answers = []
    for hidden in (world.olga, world.confidential_phone, world.adam, world.awaiting_phone, world.missing):
        answers += [
            get(client, f"{NET}/neighbourhood", seeds=hidden),
            get(client, f"{NET}/neighbourhood", seeds=f"{world.ivan},{hidden}", hops=0),
            get(client, f"{NET}/paths", a=world.ivan, b=hidden),
            get(client, f"{NET}/paths", a=hidden, b=hidden),
            get(client, f"{NET}/common", a=hidden, b=world.ivan),
            get(client, f"{NET}/export", format="graphml", seeds=hidden),
        ]
    assert {(r.status_code, r.content) for r in answers} == {
        (404, b'{"code": "not_found", "message": "No such entity."}')
    }


def test_safe_a_flag_only_seed_shows_its_kind_and_flag_never_its_number(world: World) -> None:
    client = verified_client(world.outsider)
    response = get(client, f"{NET}/neighbourhood", seeds=world.restricted_phone, hops=2)
    assert response.status_code == 200
    data = response.json()
    [node] = [n for n in chart_nodes(data) if n["kind"] != "flag"]
    assert node["access"] == "flag" and node["kind"] == "phone"
    assert node["organisations"] == [] and node["report_ids"] == [] and node["first_date"] is None
    assert [f["flag"]["organisation"] for f in flags(data)] == ["Bracken Police"]
    assert_nothing_hidden(response.content.decode())
    # Paths and common neighbours through a flag-only end: nothing, in the words used for "no path".
    path = get(client, f"{NET}/paths", a=world.restricted_phone, b=world.hub).json()
    apart = get(client, f"{NET}/paths", a=world.lone, b=world.hub).json()
    assert path["paths"] == [] and path["message"] == apart["message"] and path["left_out"] == apart["left_out"]
    common = get(client, f"{NET}/common", a=world.restricted_phone, b=world.hub).json()
    assert entity_ids(common) == {world.restricted_phone, world.hub}
    assert_nothing_hidden(json.dumps(common))


def test_safe_own_report_on_a_hidden_phone_shows_only_own_material(world: World) -> None:
    """Alder names Bracken's confidential and restricted phones itself: the chart shows Alder's reports, the
    restricted one as a flag, and not who else (confidentially) named the number."""
    own = submit(world.viewer, person("Alder Subject"), used_phone(CONFIDENTIAL_PHONE), used_phone(RESTRICTED_PHONE))
    client = verified_client(world.viewer)
    for phone in (world.confidential_phone, world.restricted_phone):
        response = get(client, f"{NET}/neighbourhood", seeds=phone, hops=2)
        data = response.json()
        node = next(n for n in chart_nodes(data) if n["entity_id"] == phone)
        assert node["access"] == "full" and node["organisations"] == ["alder"] and node["report_ids"] == [own.pk]
        assert "Olga" not in response.content.decode() and "Marta" not in response.content.decode()
        # The only flag is Marta's report on the restricted phone: nothing on the confidential one.
        assert {flag_report(world.viewer, f["flag"]["token"]) for f in flags(data)} == {world.restricted_report.pk}
        flag_edges = [e["data"] for e in data["elements"]["edges"] if e["data"]["type"] == "flag"]
        assert {e["source"] for e in flag_edges} == {f"e{world.restricted_phone}"}
        assert entity_ids(data) == {world.confidential_phone, world.restricted_phone, person_of(own)}
    scores = get(client, f"{NET}/centrality", entities=f"{world.confidential_phone},{world.restricted_phone}").json()
    assert {s["entity_id"]: s["degree"] for s in scores} == {world.confidential_phone: 1, world.restricted_phone: 1}


def test_safe_paths_never_run_through_hidden_or_awaiting_reports(world: World) -> None:
    """A1-A2-A3-A4 in shared reports; A1-A4 directly in confidential, restricted and awaiting reports."""
    numbers = [f"07700 90060{i}" for i in range(1, 5)]
    for x, y in pairwise(numbers):
        submit(world.author, bare_phone(x), bare_phone(y))
    submit(world.author, bare_phone(numbers[0]), bare_phone(numbers[3]), level="confidential")
    submit(world.author, bare_phone(numbers[0]), bare_phone(numbers[3]), level="restricted")
    submit(world.author, bare_phone(numbers[0]), bare_phone(numbers[3]), source_evaluation="3")
    a = [phone_id(n) for n in numbers]
    for user in (world.viewer, world.outsider):
        client = verified_client(user)
        found = get(client, f"{NET}/paths", a=a[0], b=a[3]).json()
        assert found["paths"] == [a], found["paths"]
        assert {e["data"]["type"] for e in found["elements"]["edges"]} <= {"co_mentioned", "flag"}
        short = get(client, f"{NET}/paths", a=a[0], b=a[3], max_hops=2).json()
        unrelated = get(client, f"{NET}/paths", a=a[0], b=world.hub, max_hops=2).json()
        assert short["paths"] == [] and short["message"] == unrelated["message"]
        assert short["left_out"] == unrelated["left_out"]
        one_hop = get(client, f"{NET}/neighbourhood", seeds=a[0], hops=1).json()
        assert entity_ids(one_hop) == {a[0], a[1]}


def test_safe_common_neighbours_and_centrality_ignore_hidden_links(world: World) -> None:
    numbers = ["07700 900611", "07700 900612", "07700 900613"]
    p1, p2, k = numbers
    submit(world.author, bare_phone(p1))
    submit(world.author, bare_phone(p2))
    for level, extra in (("confidential", {}), ("shared", {"source_evaluation": "3"})):
        submit(world.author, bare_phone(p1), bare_phone(k), level=level, **extra)
        submit(world.author, bare_phone(p2), bare_phone(k), level=level, **extra)
    ids = [phone_id(n) for n in numbers]
    client = verified_client(world.outsider)
    common = get(client, f"{NET}/common", a=ids[0], b=ids[1])
    assert common.status_code == 200 and entity_ids(common.json()) == {ids[0], ids[1]}
    assert common.json()["message"] == "No common neighbours in intelligence you may read."
    assert "900613" not in common.content.decode()
    scores = get(client, f"{NET}/centrality", entities=",".join(map(str, ids))).json()
    assert {s["entity_id"] for s in scores} <= {ids[0], ids[1]} and all(s["degree"] == 0 for s in scores)
    everything = [world.hub, world.ivan, world.gregor, *hidden_ids(world)]
    for user, visible in (
        (world.viewer, {world.hub, world.ivan, world.gregor}),
        (world.outsider, {world.hub, world.ivan}),
    ):
        scores = get(verified_client(user), f"{NET}/centrality", entities=",".join(map(str, everything))).json()
        assert {s["entity_id"] for s in scores} == visible
        hub = next(s for s in scores if s["entity_id"] == world.hub)
        assert hub["degree"] == len(visible) - 1


def test_safe_communities_over_hidden_ids_use_only_visible_links(world: World) -> None:
    ids = [world.hub, world.ivan, world.gregor, world.lone, *hidden_ids(world)]
    found = get(verified_client(world.outsider), f"{NET}/communities", entities=",".join(map(str, ids)), min_size=2)
    assert found.status_code == 200
    data = found.json()
    assert data["entities"] == 3 and data["links"] == 1, data  # hub, Ivan, Lena; one visible link
    members = {e for g in data["groups"] for m in g["members"].values() for e in m}
    assert members == {world.hub, world.ivan}
    assert data["groups"][0]["organisations"] == {"bracken": 2}
    assert_nothing_hidden(found.content.decode(), "Gregor")


def test_safe_a_sanitised_version_charts_only_what_it_keeps(world: World) -> None:
    """Bracken's supervisor passes on the confidential report's phone in a shared sanitised version: Calder
    charts the phone through the version only, never Olga, the hub or the original."""
    original = IntelligenceReport.unscoped_objects.filter(statements__entity_id=world.olga).distinct().get()
    version = intelligence.sanitised_version_create(
        actor=world.supervisor,
        report=original,
        text="A phone of interest.",
        dissemination="shared",
        subject_entity_ids=[world.confidential_phone],
    )
    client = verified_client(world.outsider)
    response = get(client, f"{NET}/neighbourhood", seeds=world.confidential_phone, hops=3)
    data = response.json()
    assert entity_ids(data) == {world.confidential_phone} and flags(data) == []
    [node] = chart_nodes(data)
    assert node["access"] == "full" and node["report_ids"] == [version.pk]
    assert str(original.pk) not in json.dumps(node) and "Olga" not in response.content.decode()
    assert get(client, f"{NET}/paths", a=world.confidential_phone, b=world.hub).json()["paths"] == []
    scores = get(client, f"{NET}/centrality", entities=f"{world.confidential_phone},{world.hub}").json()
    assert all(s["degree"] == 0 for s in scores)


@pytest.mark.parametrize("fmt", ["graphml", "csv", "anx"])
def test_safe_exports_hold_only_what_the_viewer_may_see(world: World, fmt: str) -> None:
    response = get(verified_client(world.outsider), f"{NET}/export", format=fmt, seeds=world.hub, hops=2)
    assert response.status_code == 200
    if fmt == "csv":
        with zipfile.ZipFile(io.BytesIO(response.content)) as z:
            text = "\n".join(z.read(name).decode() for name in z.namelist())
    else:
        text = response.content.decode()
    assert_nothing_hidden(text, "Gregor", "confidential")
    handling = response["X-Cairn-Handling"]
    assert "strictest dissemination restricted" not in handling  # the flag's report is not behind the chart
    assert "strictest dissemination shared" in handling and "from 1 report" in handling, handling
    entry = AuditEntry.objects.get(actor_username=world.outsider.username, object_type="network.export")
    assert entry.action == "export" and entry.detail["flags"] == 1
    shared = IntelligenceReport.unscoped_objects.filter(statements__entity_id=world.ivan).distinct().get()
    assert entry.detail["reports"] == [shared.pk]


def test_safe_filters_do_not_move_flags_by_what_the_restricted_report_says(world: World) -> None:
    """Flags are narrowed only by who holds them and when; switching relationship or kind filters on and
    off must not say how the restricted report relates its subjects."""
    client = verified_client(world.outsider)
    seen = set()
    for params in (
        {},
        {"relationship": "uses"},
        {"relationship": "co_mentioned"},
        {"relationship": "owns"},
        {"kind": "person"},
        {"kind": "vehicle"},
    ):
        data = get(client, f"{NET}/neighbourhood", seeds=world.hub, hops=1, **params).json()
        seen.add(tuple(sorted((f["id"], f["flag"]["token"]) for f in flags(data))))
    assert len(seen) == 1, seen


def test_flag_nodes_do_not_tell_that_one_restricted_report_names_two_entities(world: World) -> None:
    """Two phones Calder knows from two unrelated shared reports; Bracken's restricted report names both."""
    one, two = "07700 900701", "07700 900702"
    submit(world.author, bare_phone(one))
    submit(world.author, bare_phone(two))
    submit(world.author, bare_phone(one), bare_phone(two), level="restricted")
    ids = f"{phone_id(one)},{phone_id(two)}"
    data = get(verified_client(world.outsider), f"{NET}/neighbourhood", seeds=ids, hops=1).json()
    assert not [e for e in data["elements"]["edges"] if e["data"]["type"] != "flag"]  # not linked visibly
    found = flags(data)
    assert len(found) == 2
    assert not [f for f in found if "report_id" in f["flag"]], found
    # Each flag is addressed by a token of its own, in its node's id and its edge's.
    tokens = {f["flag"]["token"] for f in found}
    assert len(tokens) == 2 and {f["id"] for f in found} == {f"f{t}" for t in tokens}
    flag_edges = {e["data"]["id"] for e in data["elements"]["edges"] if e["data"]["type"] == "flag"}
    assert flag_edges == {f"x{t}" for t in tokens}
    # Each opens its own flag page, which says only who holds it.
    outsider = verified_client(world.outsider)
    for token in tokens:
        page = outsider.get(f"/intelligence/flags/{token}/")
        assert page.status_code == 200 and "07700" not in page.content.decode()


# ==== saved charts and drawings ===========================================================================


def test_safe_a_saved_chart_is_rederived_for_each_viewer(world: World) -> None:
    every = [
        world.hub,
        world.ivan,
        world.marta,
        world.olga,
        world.gregor,
        world.restricted_phone,
        world.confidential_phone,
    ]
    state = {
        "entity_ids": every,
        "positions": {f"e{e}": {"x": 1.0, "y": 2.0} for e in every},
        "pinned": [f"e{e}" for e in every],
        "hidden": [f"e{world.olga}"],
        "groups": {"olga-ring": [world.olga, world.confidential_phone], "mixed": [world.ivan, world.olga]},
        "notes": {str(e): f"note-for-{e}" for e in every},
        "filters": {},
    }
    author = verified_client(world.author)
    made = post(author, f"{NET}/charts", {"title": "Bracken network", "state": state})
    assert made.status_code == 201, made.content
    chart_id = made.json()["id"]
    for user in (world.viewer, world.outsider):
        assert post(author, f"{NET}/charts/{chart_id}/share", {"username": user.username}).status_code == 200

    for user, full in (
        (world.viewer, {world.hub, world.ivan, world.gregor}),
        (world.outsider, {world.hub, world.ivan}),
    ):
        response = verified_client(user).get(f"{NET}/charts/{chart_id}")
        assert response.status_code == 200
        body = response.json()
        text = response.content.decode()
        assert_nothing_hidden(text, *(() if user == world.viewer else ("Gregor",)))
        known = full | {world.marta, world.restricted_phone}
        assert set(body["state"]["entity_ids"]) == known
        assert set(body["state"]["notes"]) == {str(e) for e in full}
        assert set(body["state"]["positions"]) == {f"e{e}" for e in full}
        assert set(body["state"]["pinned"]) == {f"e{e}" for e in full} and body["state"]["hidden"] == []
        assert body["state"]["groups"] == {"mixed": [world.ivan]}
        for e in {world.olga, world.confidential_phone} | ({world.gregor} if user == world.outsider else set()):
            assert f"note-for-{e}" not in text and f'"e{e}"' not in text
        assert body["shared_with"] == [] and not body["mine"]
        listed = verified_client(user).get(f"{NET}/charts").json()
        assert [c["shared_with"] for c in listed] == [[]]
    # Someone it is not shared with: the same 404 as a chart that does not exist.
    colleague = verified_client(world.colleague)
    assert colleague.get(f"{NET}/charts/{chart_id}").content == colleague.get(f"{NET}/charts/{chart_id + 999}").content
    assert colleague.get(f"{NET}/charts/{chart_id}").status_code == 404
    # A shared-with viewer may not change it: the same 404.
    viewer = verified_client(world.viewer)
    assert viewer.delete(f"{NET}/charts/{chart_id}").status_code == 404


def test_safe_saving_a_chart_with_a_hidden_entity_answers_as_missing(world: World) -> None:
    client = verified_client(world.viewer)
    answers = [
        post(client, f"{NET}/charts", {"title": "t", "state": {"entity_ids": [world.ivan, hidden]}})
        for hidden in (world.olga, world.adam, world.confidential_phone, world.missing)
    ]
    assert {(r.status_code, r.content) for r in answers} == {
        (404, b'{"code": "not_found", "message": "No such entity."}')
    }
    flag_only = post(client, f"{NET}/charts", {"title": "t", "state": {"entity_ids": [world.ivan, world.marta]}})
    assert flag_only.status_code == 201


def test_safe_drawings_answer_alike_for_hidden_and_missing_and_are_audited(world: World) -> None:
    client = verified_client(world.viewer)
    answers = [
        post(client, f"{NET}/drawings", {"format": "png", "entities": [world.ivan, e], "title": "x"})
        for e in (world.olga, world.missing, world.lone)
    ]
    assert {(r.status_code, r.content) for r in answers} == {(201, b'{"recorded": true}')}
    assert AuditEntry.objects.filter(actor_username=world.viewer.username, object_type="network.drawing").count() == 3


# ==== who may use it at all; audit ==========================================================================


def test_safe_officer_and_charity_learn_nothing(world: World) -> None:
    officer = verified_client(world.officer)
    for path, params in (
        ("/neighbourhood", {"seeds": world.hub}),
        ("/communities", {"entities": world.hub}),
        ("/centrality", {"entities": world.hub}),
        ("/export", {"format": "csv", "seeds": world.hub}),
    ):
        assert get(officer, f"{NET}{path}", **params).status_code == 404
    for path in (f"{API}/crime-groups", f"{API}/detection-runs/1", "/groups/", "/network/chart/"):
        assert officer.get(path).status_code == 404
    assert officer.post(f"{API}/detection-runs").status_code == 404

    charity = verified_client(world.charity)  # not law enforcement: no shared material, no flags
    assert get(charity, f"{NET}/neighbourhood", seeds=world.hub).status_code == 404
    assert get(charity, f"{NET}/neighbourhood", seeds=world.marta).status_code == 404
    assert get(charity, f"{NET}/centrality", entities=f"{world.hub},{world.ivan}").json() == []
    assert charity.get(f"{API}/crime-groups").json() == []


def test_safe_every_network_read_is_audited(world: World) -> None:
    client = verified_client(world.viewer)
    ids = f"{world.hub},{world.ivan}"
    get(client, f"{NET}/neighbourhood", seeds=world.hub)
    get(client, f"{NET}/paths", a=world.ivan, b=world.gregor)
    get(client, f"{NET}/common", a=world.ivan, b=world.gregor)
    get(client, f"{NET}/centrality", entities=ids)
    get(client, f"{NET}/communities", entities=ids, min_size=2)
    get(client, f"{NET}/export", format="anx", seeds=world.hub)
    chart_id = post(client, f"{NET}/charts", {"title": "t", "state": {"entity_ids": [world.hub]}}).json()["id"]
    client.get(f"{NET}/charts/{chart_id}")
    client.get(f"{NET}/charts")
    types = set(AuditEntry.objects.filter(actor_username=world.viewer.username).values_list("object_type", flat=True))
    assert {
        "network.neighbourhood",
        "network.paths",
        "network.common",
        "network.centrality",
        "network.communities",
        "network.export",
        "network.saved_charts",
    } <= types, types
    assert AuditEntry.objects.filter(
        actor_username=world.viewer.username, action="view", object_id=str(chart_id)
    ).exists()


# ==== crime groups ===========================================================================================


def test_safe_confidential_and_awaiting_groups_do_not_exist_for_others_and_restricted_is_a_bare_flag(
    world: World,
) -> None:
    author = verified_client(world.author)
    restricted = adopt(author, [world.ivan, world.hub, world.marta], name="Mill Lane group", summary="car-wash-secret")
    confidential = adopt(author, [world.ivan, world.olga], name="Olga ring", dissemination="confidential")
    awaiting = adopt(author, [world.ivan, world.hub], name="Adam crew", source_evaluation="3")
    assert {restricted.status_code, confidential.status_code, awaiting.status_code} == {201}, awaiting.content
    r, c, a = restricted.json()["id"], confidential.json()["id"], awaiting.json()["id"]
    assert CrimeGroup.unscoped_objects.get(pk=a).report.review_state == "awaiting"
    scheme = active_scheme()
    assert scheme is not None
    scores = {f["key"]: 1 for f in scheme.factors}
    assert (
        post(
            author, f"{API}/crime-groups/{r}/assessments", {"scores": scores, "rationale": "rationale-secret"}
        ).status_code
        == 201
    )

    secret_words = ("Mill Lane", "Olga ring", "Adam crew", "car-wash-secret", "rationale-secret", "Ivan", "900111")
    for user in (world.viewer, world.outsider):
        client = verified_client(user)
        listed = client.get(f"{API}/crime-groups")
        assert [g["id"] for g in listed.json()] == [r]
        assert set(listed.json()[0]) == {"id", "access", "organisation", "contact_point", "recorded", "flag"}
        detail = client.get(f"{API}/crime-groups/{r}")
        assert detail.json()["access"] == "flag"
        for text in (listed.content.decode(), detail.content.decode()):
            assert_nothing_hidden(text, *secret_words)
        page = client.get(f"/groups/{r}/")
        assert page.status_code == 200
        assert_nothing_hidden(page.content.decode(), *secret_words)
        assert_nothing_hidden(client.get("/groups/").content.decode(), *secret_words)
        missing = max(c, a) + 1000
        answers = [client.get(f"{API}/crime-groups/{g}") for g in (c, a, missing)]
        assert {(x.status_code, x.content) for x in answers} == {
            (404, b'{"code": "not_found", "message": "Not found."}')
        }
        assert {client.get(f"/groups/{g}/").status_code for g in (c, a, missing)} == {404}
        refused = [
            post(client, f"{API}/crime-groups/{g}/assessments", {"scores": scores, "rationale": "x"})
            for g in (r, c, missing)
        ]
        assert {(x.status_code, x.content) for x in refused} == {
            (404, b'{"code": "not_found", "message": "Not found."}')
        }
        # On the link chart the group's entity is a flag (restricted) or nothing (confidential, awaiting).
        groups = {g.pk: g for g in CrimeGroup.unscoped_objects.all()}
        chart = get(client, f"{NET}/neighbourhood", seeds=groups[r].entity_id, hops=2)
        assert chart.status_code == 200
        assert entity_ids(chart.json()) == {groups[r].entity_id}
        assert_nothing_hidden(chart.content.decode(), *secret_words[:5])
        for g in (c, a):
            assert get(client, f"{NET}/neighbourhood", seeds=groups[g].entity_id).status_code == 404
        hub_chart = get(client, f"{NET}/neighbourhood", seeds=world.hub, hops=2)
        assert_nothing_hidden(hub_chart.content.decode(), *secret_words[:5])
        assert groups[c].entity_id not in entity_ids(hub_chart.json())
        assert {flag_report(user, f["flag"]["token"]) for f in flags(hub_chart.json())} == {
            world.restricted_report.pk,
            groups[r].report_id,
        }


def test_safe_adoption_refuses_hidden_flag_only_and_missing_members_alike(world: World) -> None:
    client = verified_client(world.viewer)
    answers = {}
    for hidden in (world.olga, world.adam, world.marta, world.restricted_phone, world.missing):
        response = adopt(client, [world.ivan, hidden])
        assert response.status_code == 422
        answers[hidden] = response.content.decode().replace(str(hidden), "ID")
    assert len(set(answers.values())) == 1, answers
    assert not CrimeGroup.unscoped_objects.exists()


def test_safe_the_adopt_page_offers_only_readable_members(world: World) -> None:
    ids = [world.ivan, world.hub, *hidden_ids(world), world.missing]
    page = verified_client(world.outsider).get("/groups/adopt/", {"members": ",".join(map(str, ids))})
    assert page.status_code == 200
    assert_nothing_hidden(page.content.decode(), "Gregor")
    assert "Ivan Petrov" in page.content.decode()


def test_the_adopt_page_is_audited(world: World) -> None:
    client = verified_client(world.viewer)
    before = AuditEntry.objects.filter(actor_username=world.viewer.username).count()
    page = client.get("/groups/adopt/", {"members": f"{world.ivan},{world.hub}"})
    assert page.status_code == 200 and "+447700900111" in page.content.decode()
    assert AuditEntry.objects.filter(actor_username=world.viewer.username).count() > before


def test_adopting_does_not_pass_on_members_known_only_through_a_personal_access_grant(world: World) -> None:
    """Adopting copied members' selectors and names (from a report granted to one user) into a new analysis
    report of the adopter's organisation, readable by every colleague. It is now refused."""
    request = ask_for_access(world.viewer, world.restricted_report.pk, "Op Lantern")
    intelligence.access_request_decide(actor=world.supervisor, request_id=request.pk, grant=True, reason="ok")
    before = CrimeGroup.unscoped_objects.count()
    made = adopt(verified_client(world.viewer), [world.marta, world.restricted_phone], name="Granted group")
    assert made.status_code == 422, made.content
    assert "would pass it on" in made.json()["errors"]["members"][0]
    assert CrimeGroup.unscoped_objects.count() == before
    colleague = verified_client(world.colleague)  # same organisation, no grant
    text = get(colleague, f"{NET}/neighbourhood", seeds=world.restricted_phone).content.decode()
    assert "900222" not in text and "Marta" not in text, text[:2000]
    # Members the whole organisation may read are adopted as before.
    assert adopt(verified_client(world.viewer), [world.ivan, world.hub], name="Mill Lane").status_code == 201


def test_adopting_does_not_pass_a_sharing_groups_confidential_member_to_another_group(world: World) -> None:
    """Adopting copied a member read only through Juniper's confidential report into a record shared with
    Rowan, whose members then read its name. It is now refused; shared with Juniper itself, it is not."""
    client = verified_client(world.viewer)
    spill = adopt(
        client,
        [world.gregor, world.ivan],
        name="Juniper spill",
        dissemination="confidential",
        sharing_group_ids=[world.rowan.pk],
    )
    assert spill.status_code == 422, spill.content
    assert get(verified_client(world.outsider), f"{NET}/neighbourhood", seeds=world.gregor).status_code == 404
    kept = adopt(
        client,
        [world.gregor, world.ivan],
        name="Juniper group",
        dissemination="confidential",
        sharing_group_ids=[world.juniper.pk],
    )
    assert kept.status_code == 201, kept.content


def test_a_restricted_groups_members_are_not_told_by_their_flags(world: World) -> None:
    made = adopt(verified_client(world.author), [world.ivan, world.hub], name="Mill Lane group")
    group = CrimeGroup.unscoped_objects.get(pk=made.json()["id"])
    outsider = verified_client(world.outsider)
    page = outsider.get(f"/groups/{group.pk}/").content.decode()
    assert "Mill Lane" not in page
    assert not re.findall(r"/intelligence/(?:reports/)?\d+/", page), page[:2000]
    linked = set(re.findall(r"/intelligence/flags/([A-Za-z0-9_-]+)/", page))
    assert len(linked) == 1, page[:2000]
    # Calder charts what it may read (Ivan and the hub) and Lena, who is in no group.
    data = get(outsider, f"{NET}/neighbourhood", seeds=f"{world.ivan},{world.hub},{world.lone}", hops=0).json()
    flagged = {f["flag"]["token"] for f in flags(data)} | {f["id"][1:] for f in flags(data)}
    assert flagged  # the record's flags on its members are there, each under a token of its own
    assert not (linked & flagged), (linked, flagged)
    # The group's flag page answers, and a request made from it is the group's own.
    (token,) = linked
    assert outsider.get(f"/intelligence/flags/{token}/").status_code == 200
    asked = outsider.post(
        f"/api/v1/flags/{token}/access-requests", {"reason": "Op Mill"}, content_type="application/json"
    )
    assert asked.status_code == 201 and asked.json()["report_id"] is None and asked.json()["flag"] == token


def test_crime_group_ids_do_not_count_groups_you_may_not_know_of(world: World) -> None:
    author = verified_client(world.author)
    first = adopt(author, [world.ivan, world.hub], name="One").json()["id"]
    adopt(author, [world.ivan, world.olga], name="Secret", dissemination="confidential")
    adopt(author, [world.ivan, world.hub], name="Pending", source_evaluation="3")
    last = adopt(author, [world.ivan, world.hub], name="Two").json()["id"]
    seen = [g["id"] for g in verified_client(world.outsider).get(f"{API}/crime-groups").json()]
    assert sorted(seen) == sorted([first, last])
    assert abs(last - first) != 3, (first, last)


# ==== detection runs =======================================================================================


def test_safe_another_analysts_detection_run_is_not_found(world: World) -> None:
    run_id = verified_client(world.viewer).post(f"{API}/detection-runs").json()["id"]
    detection.execute(run_id)
    other = verified_client(world.colleague)
    answers = [other.get(f"{API}/detection-runs/{i}") for i in (run_id, run_id + 1000)]
    assert {(r.status_code, r.content) for r in answers} == {(404, b'{"code": "not_found", "message": "Not found."}')}
    assert {other.get(f"/groups/runs/{i}/").status_code for i in (run_id, run_id + 1000)} == {404}
    assert f"Run {run_id}" not in other.get("/groups/").content.decode()


def test_safe_a_detection_run_sees_only_the_requesters_visible_graph(world: World) -> None:
    numbers = ["07700 900811", "07700 900812", "07700 900813"]
    submit(world.author, *(bare_phone(n) for n in numbers), level="confidential")
    submit(world.author, *(bare_phone(n) for n in numbers), level="restricted")
    submit(world.author, *(bare_phone(n) for n in numbers), source_evaluation="3")
    client = verified_client(world.outsider)
    run_id = client.post(f"{API}/detection-runs").json()["id"]
    detection.execute(run_id)
    run = client.get(f"{API}/detection-runs/{run_id}")
    body = run.json()
    assert body["state"] == "done"
    assert body["entities"] == 3 and body["links"] == 1, body  # hub, Ivan, Lena
    members = {e for c in body["candidates"] for ids in c["members"].values() for e in ids}
    assert not members & ({phone_id(n) for n in numbers} | hidden_ids(world) | {world.gregor})
    assert_nothing_hidden(run.content.decode(), "Gregor", "900811")


def test_a_detection_run_does_not_keep_an_organisation_whose_report_was_made_confidential(world: World) -> None:
    numbers = ["07700 900821", "07700 900822", "07700 900823"]
    submit(world.viewer, *(bare_phone(n) for n in numbers))
    theirs = submit(world.author, *(bare_phone(n) for n in numbers))
    client = verified_client(world.viewer)
    run_id = client.post(f"{API}/detection-runs").json()["id"]
    detection.execute(run_id)
    before = client.get(f"{API}/detection-runs/{run_id}").json()
    mine = {phone_id(n) for n in numbers}
    candidate = next(c for c in before["candidates"] if mine <= {e for ids in c["members"].values() for e in ids})
    assert candidate["organisations"].get("bracken") == 3

    intelligence.report_edit(
        actor=world.author, report=theirs, changes={"dissemination": "confidential"}, reason="source at risk"
    )
    assert get(client, f"{NET}/communities", entities=",".join(map(str, mine))).json()["groups"][0][
        "organisations"
    ] == {"alder": 3}
    after = client.get(f"{API}/detection-runs/{run_id}")
    candidate = next(c for c in after.json()["candidates"] if mine <= {e for ids in c["members"].values() for e in ids})
    page = client.get(f"/groups/runs/{run_id}/").content.decode()
    assert "bracken" not in candidate["organisations"], candidate
    # The page's card for this candidate (another candidate, read through Juniper, is Bracken's by right).
    [card] = [part for part in page.split("Candidate ")[1:] if "900821" in part]
    assert "bracken" not in card, card
    # Alder's own report names the three phones: three links among them, counted again from it alone.
    assert (candidate["internal_links"], candidate["density"]) == (3, 1.0), candidate


def test_the_group_list_audit_counts_flags_as_flags(world: World) -> None:
    """The list's audit entry counted every group as a flag (`flags=len(views)`)."""
    adopt(verified_client(world.author), [world.ivan, world.hub], name="Flagged group")
    for path in (f"{API}/crime-groups", "/groups/"):
        assert verified_client(world.outsider).get(path).status_code == 200
        entry = AuditEntry.objects.filter(actor_username=world.outsider.username, object_type="groups.crime_groups")
        assert entry.latest("pk").detail == {"full": 0, "flags": 1}, (path, entry.latest("pk").detail)
