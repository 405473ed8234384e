"""Leak hunt over crime groups: candidate detection, adoption, flags, threat assessments, pages and API.

An analyst (or a user without the analyst's capability) of one organisation probes ``cairn/groups/`` from
the outside for anything drawn from another organisation's restricted or confidential intelligence, or
from reports awaiting review. Each test asserts the safe behaviour: a failing test is a leak on the
current code. Probes that came out safe are kept as ``test_safe_...`` regressions.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, cast

import pytest
from django.test import Client

from cairn.access.flags import flag_token
from cairn.accounts.choices import Role
from cairn.accounts.models import User
from cairn.audit.models import AuditEntry
from cairn.core.testing import (
    OrganisationFactory,
    SharingGroupFactory,
    UserFactory,
    ask_for_access,
    submit_report,
    verified_client,
)
from cairn.entities.models import Entity
from cairn.entities.normalise import normalise
from cairn.groups import detection
from cairn.groups.models import CrimeGroup, DetectionRun, ThreatAssessment
from cairn.groups.selectors import active_scheme
from cairn.groups.services import scheme_load
from cairn.intelligence import services as intelligence
from cairn.intelligence.inputs import SubjectInput
from cairn.intelligence.models import IntelligenceReport
from cairn.network.graph import GraphScope, visible_graph
from cairn.search.selectors import search

pytestmark = pytest.mark.django_db

API = "/api/v1"
NOT_FOUND = b'{"code": "not_found", "message": "Not found."}'
HUB = "07700 900111"


def person(name: str) -> SubjectInput:
    return SubjectInput(kind="person", value=name, role="suspect")


def phone(number: str) -> SubjectInput:
    return SubjectInput(kind="phone", value=number, role="user")


def a_user(**fields: Any) -> User:
    """A user made by the factory, typed as the model it makes."""
    return cast(User, UserFactory(**fields))


def submit(author: User, *subjects: SubjectInput, level: str = "shared", **fields: Any) -> IntelligenceReport:
    return submit_report(author, *subjects, level=level, text="Leak hunt groups report.", **fields)  # type: ignore[no-any-return]


def phone_id(number: str) -> int:
    return Entity.unscoped_objects.get(kind="phone", key=normalise("phone", number)).pk


def people_of(report: IntelligenceReport) -> list[int]:
    return list(
        report.statements.filter(prop="subject", entity__kind="person")  # type: ignore[attr-defined]
        .order_by("entity_id")
        .values_list("entity_id", flat=True)
    )


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, data=json.dumps(body), content_type="application/json")


def adopt(client: Client, members: list[int], **extra: Any) -> Any:
    body = {"name": "Mill Lane group", "members": members, "summary": "Runs the car wash."} | extra
    return post(client, f"{API}/crime-groups", body)


def page_text(response: Any) -> str:
    """A page's HTML with its per-response CSRF token masked, to compare two answers."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", response.content.decode())


def lowest_scores() -> dict[str, int]:
    """A score of 1 for every factor of the active threat scheme."""
    scheme = active_scheme()
    assert scheme is not None
    return {f["key"]: 1 for f in scheme.factors}


def assess(client: Client, group_id: int, rationale: str, scores: dict[str, int] | None = None) -> Any:
    body = {"scores": scores or lowest_scores(), "rationale": rationale}
    return post(client, f"{API}/crime-groups/{group_id}/assessments", body)


def candidate_members(run: dict[str, Any]) -> list[set[int]]:
    return [{e for ids in c["members"].values() for e in ids} for c in run["candidates"]]


def run_for(user: User) -> dict[str, Any]:
    """Start a detection run over everything ``user`` may see, run it here, and read it back."""
    client = verified_client(user)
    run_id = client.post(f"{API}/detection-runs").json()["id"]
    detection.execute(run_id)
    body = client.get(f"{API}/detection-runs/{run_id}").json()
    assert body["state"] == "done", body
    return body  # type: ignore[no-any-return]


@dataclass
class World:
    alder: Any
    bracken: Any
    calder: Any
    juniper: Any  # sharing group: Alder and Bracken
    viewer: User  # Alder analyst
    author: User  # Bracken analyst
    supervisor: User  # Bracken supervisor
    outsider: User  # Calder analyst
    hub: int
    ivan: int  # shared (Bracken), uses the hub
    lena: int  # shared (Bracken), uses the hub


@pytest.fixture
def world() -> World:
    alder, bracken, calder = (
        OrganisationFactory(code=c, name=f"{c.title()} Police", region=r)
        for c, r in (("alder", "North"), ("bracken", "South"), ("calder", "West"))
    )
    juniper = SharingGroupFactory(name="Operation Juniper", members=[alder, bracken])
    author = a_user(username="bracken.analyst", organisation=bracken, roles=[Role.ANALYST])
    shared = submit(author, person("Ivan Petrov"), person("Lena Sokol"), phone(HUB))
    ivan, lena = people_of(shared)
    return World(
        alder=alder,
        bracken=bracken,
        calder=calder,
        juniper=juniper,
        viewer=a_user(username="alder.analyst", organisation=alder, roles=[Role.ANALYST]),
        author=author,
        supervisor=a_user(username="bracken.sup", organisation=bracken, roles=[Role.SUPERVISOR]),
        outsider=a_user(username="calder.analyst", organisation=calder, roles=[Role.ANALYST]),
        hub=phone_id(HUB),
        ivan=ivan,
        lena=lena,
    )


# ==== candidate detection ===================================================================================


def test_safe_a_detection_run_never_joins_visible_people_through_hidden_reports(world: World) -> None:
    """Five people each named alone in a shared report; confidential, restricted, awaiting-review and
    another sharing group's reports name them all together. Calder's run must not make them a group."""
    solo = [people_of(submit(world.author, person(f"Solo Person {i}")))[0] for i in range(5)]
    together = [
        SubjectInput(kind="person", value=f"Solo Person {i}", role="suspect", known_entity_id=e)
        for i, e in enumerate(solo)
    ]
    submit(world.author, *together, level="confidential")
    submit(world.author, *together, level="restricted")
    submit(world.author, *together, source_evaluation="3")
    submit(world.author, *together, level="confidential", sharing_group_ids=[world.juniper.pk])
    run = run_for(world.outsider)
    joined = [members & set(solo) for members in candidate_members(run)]
    assert all(len(j) < 2 for j in joined), run["candidates"]
    assert run["links"] == visible_graph(world.outsider).ecount(), run
    # Alder reads Juniper's report: for Alder they are one candidate, from that report alone.
    assert any(set(solo) <= members for members in candidate_members(run_for(world.viewer)))


def test_a_stale_candidate_does_not_keep_members_only_a_now_hidden_report_joined(world: World) -> None:
    """Bracken's shared report joins three people; Alder's run makes them a candidate; Bracken then makes
    the report confidential. Each person stays readable through a report naming them alone, but nothing
    Alder may read joins them any more: the run page must not still present them as one group."""
    joining = submit(world.author, person("Tom Trio"), person("Uma Trio"), person("Vic Trio"))
    trio = people_of(joining)
    for i, e in enumerate(trio):
        submit(world.author, SubjectInput(kind="person", value=f"Trio {i}", role="suspect", known_entity_id=e))
    client = verified_client(world.viewer)
    run_id = client.post(f"{API}/detection-runs").json()["id"]
    detection.execute(run_id)
    before = client.get(f"{API}/detection-runs/{run_id}").json()
    assert any(set(trio) <= m for m in candidate_members(before)), before
    intelligence.report_edit(
        actor=world.author, report=joining, changes={"dissemination": "confidential"}, reason="source at risk"
    )
    assert visible_graph(world.viewer, GraphScope(entity_ids=frozenset(trio))).ecount() == 0
    after = client.get(f"{API}/detection-runs/{run_id}").json()
    still = [c for c, m in zip(after["candidates"], candidate_members(after), strict=True) if len(m & set(trio)) >= 2]
    assert still == [], f"a candidate still groups people only a confidential report joins: {still}"
    # Nor does its list of central members name someone it no longer holds.
    for c, members in zip(after["candidates"], candidate_members(after), strict=True):
        assert set(c["central"]) <= members, c


def test_safe_a_finished_runs_totals_stay_as_counted_and_say_nothing_new(world: World) -> None:
    """A run's 'N entities, M links when it ran' are kept as counted (docs/crime-groups.md): after Bracken
    makes the report behind the links confidential, Alder's own reading of that report answers 404, so the
    totals tell Alder nothing it cannot see, and no candidate still counts the hidden links."""
    joining = submit(world.author, person("Wes Pair"), person("Xia Pair"), person("Yan Pair"))
    for i, e in enumerate(people_of(joining)):
        submit(world.author, SubjectInput(kind="person", value=f"Pair {i}", role="suspect", known_entity_id=e))
    client = verified_client(world.viewer)
    run = run_for(world.viewer)
    assert client.get(f"{API}/reports/{joining.pk}", {"reason": "Op Probe"}).status_code == 200
    intelligence.report_edit(
        actor=world.author, report=joining, changes={"dissemination": "confidential"}, reason="source at risk"
    )
    after = client.get(f"{API}/detection-runs/{run['id']}").json()
    assert (after["entities"], after["links"]) == (run["entities"], run["links"])
    assert client.get(f"{API}/reports/{joining.pk}", {"reason": "Op Probe"}).status_code == 404
    trio = set(people_of(joining))
    assert all(len(trio & members) < 2 for members in candidate_members(after)), after["candidates"]
    page = client.get(f"/groups/runs/{run['id']}/").content.decode()
    assert f"{run['entities']} entities and {run['links']} links when it ran" in page


def test_safe_candidate_labels_come_only_from_names_the_viewer_may_read(world: World) -> None:
    """Bracken's confidential report gives Ivan an alias; no candidate, adopt page or group shows it to Calder."""
    submit(
        world.author,
        SubjectInput(kind="person", value="Secret Alias", role="suspect", known_entity_id=world.ivan),
        phone("07700 900123"),
        level="confidential",
    )
    client = verified_client(world.outsider)
    run = run_for(world.outsider)
    assert any({world.ivan, world.hub} <= m for m in candidate_members(run)), run
    page = client.get(f"/groups/runs/{run['id']}/").content.decode()
    adopt_page = client.get("/groups/adopt/", {"members": f"{world.ivan},{world.hub},{world.lena}"}).content.decode()
    made = adopt(client, [world.ivan, world.hub, world.lena], name="Calder ring")
    assert made.status_code == 201, made.content
    detail = client.get(f"/groups/{made.json()['id']}/").content.decode()
    record = CrimeGroup.unscoped_objects.get(pk=made.json()["id"]).report.text
    for text in (json.dumps(run), page, adopt_page, json.dumps(made.json()), detail, record):
        assert "Secret Alias" not in text and "900123" not in text, text[:2000]
    assert "Ivan Petrov" in adopt_page


# ==== adoption =============================================================================================


def test_adopting_with_a_sharing_group_does_not_tell_whether_a_partner_holds_hidden_intelligence(
    world: World,
) -> None:
    """Alder records two phones in its own confidential report. Bracken holds a confidential report of its
    own (no sharing group: nothing to Alder) naming the first. Adopting each with Ivan, confidential to
    Juniper, must answer alike: otherwise the answer says what Bracken's hidden intelligence names."""
    held, not_held = "07700 900601", "07700 900602"
    submit(world.viewer, phone(held), phone(not_held), level="confidential")
    submit(world.author, phone(held), level="confidential")
    client = verified_client(world.viewer)
    answers = {}
    for number in (held, not_held):
        response = adopt(
            client,
            [phone_id(number), world.ivan],
            name=f"Probe {number}",
            dissemination="confidential",
            sharing_group_ids=[world.juniper.pk],
        )
        answers[number] = (response.status_code, response.content.decode().replace(str(phone_id(number)), "ID"))
    assert answers[held][0] == answers[not_held][0], (
        f"held by Bracken's confidential report -> {answers[held][0]}; held by nobody else -> "
        f"{answers[not_held][0]} {answers[not_held][1][:300]}"
    )


def test_a_restricted_group_does_not_flag_a_member_known_only_to_a_sharing_groups_confidential_report(
    world: World,
) -> None:
    """A phone only Bracken's confidential Juniper report names does not exist for Calder. After Alder adopts
    it into a restricted group (refused or not), Calder must still know nothing of it: no entity, no flag."""
    secret = "07700 900555"
    submit(
        world.author, phone(secret), person("Gregor Group"), level="confidential", sharing_group_ids=[world.juniper.pk]
    )
    entity = phone_id(secret)
    outsider = verified_client(world.outsider)

    def calder_sees() -> tuple[int, int]:
        answer = outsider.get(f"{API}/entities/{entity}", {"reason": "Op Probe"})
        return answer.status_code, len(search(actor=world.outsider, query=secret).flags)

    assert calder_sees() == (404, 0)
    made = adopt(verified_client(world.viewer), [entity, world.ivan], name="Juniper phone ring")
    assert calder_sees() == (404, 0), (
        f"adoption answered {made.status_code}; Calder now sees (entity API status, search flags) for a phone "
        "only a confidential Juniper report names"
    )


def test_safe_a_member_read_only_through_a_granted_request_or_awaiting_report_is_refused_alike(world: World) -> None:
    """Granted, awaiting-review, restricted and missing members: one refusal, the same words."""
    restricted = submit(world.author, phone("07700 900701"), level="restricted")
    awaiting = submit(world.author, phone("07700 900702"), source_evaluation="3")
    request = ask_for_access(world.viewer, restricted.pk, entity_id=phone_id("07700 900701"))
    intelligence.access_request_decide(actor=world.supervisor, request_id=request.pk, grant=True, reason="ok")
    client = verified_client(world.viewer)
    granted = adopt(client, [phone_id("07700 900701"), world.ivan])
    assert granted.status_code == 422 and "would pass it on" in granted.json()["errors"]["members"][0]
    missing = max(Entity.unscoped_objects.values_list("pk", flat=True)) + 4242
    flagged = submit(world.author, phone("07700 900703"), level="restricted")
    answers = {
        e: adopt(client, [world.ivan, e]).content.decode().replace(str(e), "ID")
        for e in (phone_id("07700 900702"), phone_id("07700 900703"), missing)
    }
    assert len(set(answers.values())) == 1, answers
    assert awaiting.review_state == "awaiting" and flagged.dissemination == "restricted"
    assert not CrimeGroup.unscoped_objects.exists()


# ==== the group record and its flag ==========================================================================


def restricted_group(world: World, **extra: Any) -> CrimeGroup:
    made = adopt(verified_client(world.author), [world.ivan, world.lena, world.hub], name="Mill Lane group", **extra)
    assert made.status_code == 201, made.content
    return CrimeGroup.unscoped_objects.get(pk=made.json()["id"])


def test_safe_the_groups_own_entity_and_flag_show_no_name_members_or_size(world: World) -> None:
    """Calder walks to the group's organisation entity (page and API) and opens its flag: kind and holder only."""
    group = restricted_group(world)
    outsider = verified_client(world.outsider)
    token = flag_token(world.outsider.pk, group.report_id, group.entity_id)
    texts = {
        "entity api": outsider.get(f"{API}/entities/{group.entity_id}", {"reason": "Op Probe"}),
        "entity page": outsider.get(f"/entities/{group.entity_id}/"),
        "flag api": outsider.get(f"{API}/flags/{token}", {"reason": "Op Probe"}),
        "flag page": outsider.get(f"/intelligence/flags/{token}/"),
        "group api": outsider.get(f"{API}/crime-groups/{group.pk}"),
        "group page": outsider.get(f"/groups/{group.pk}/"),
        "list": outsider.get("/groups/"),
    }
    for where, answer in texts.items():
        assert answer.status_code == 200, (where, answer.status_code)
        text = answer.content.decode()
        for word in ("Mill Lane", "Ivan", "Lena", "900111", "car wash", group.reference, "3 members", "members)"):
            assert word not in text, (where, word, text[:2000])
        assert f'"{world.ivan}"' not in text and f"/{world.ivan}/" not in text, where
    assert texts["entity api"].json()["key"] is None


def test_safe_hidden_group_ids_answer_exactly_as_missing_ones(world: World) -> None:
    """Confidential and awaiting-review groups, against a missing id: the same status and body on every
    route (page, API, assessment by form and by API), for Calder and for Alder outside the sharing group."""
    author = verified_client(world.author)
    hidden = [
        adopt(author, [world.ivan, world.hub], name="Conf", dissemination="confidential").json()["id"],
        adopt(author, [world.ivan, world.hub], name="Pend", source_evaluation="3").json()["id"],
    ]
    missing = max(hidden) + 7_777
    scores = lowest_scores()
    for user in (world.outsider, world.viewer):
        client = verified_client(user)
        for g in (*hidden, missing):
            answers = {
                "page": client.get(f"/groups/{g}/"),
                "api": client.get(f"{API}/crime-groups/{g}"),
                "assess form": client.post(f"/groups/{g}/assess/", {"rationale": "x"}),
                "assess api": post(client, f"{API}/crime-groups/{g}/assessments", {"scores": scores, "rationale": "x"}),
            }
            for where, answer in answers.items():
                assert answer.status_code == 404, (user.username, g, where)
            assert answers["api"].content == NOT_FOUND
            assert answers["assess api"].content == NOT_FOUND
        pages = {page_text(client.get(f"/groups/{g}/")).replace(str(g), "ID") for g in (*hidden, missing)}
        assert len(pages) == 1
        assert [x["id"] for x in client.get(f"{API}/crime-groups").json()] == []


# ==== threat assessments ==================================================================================


def test_safe_assessment_history_goes_only_to_full_readers(world: World) -> None:
    """Bracken assesses its Juniper-confidential group twice under two scheme versions. Alder (Juniper) reads
    the whole history but may not add to it; Calder sees nothing of a restricted group's band, scores or
    rationale; a confidential one does not exist for Calder."""
    restricted = restricted_group(world)
    confidential = adopt(
        verified_client(world.author),
        [world.ivan, world.hub],
        name="Juniper ring",
        dissemination="confidential",
        sharing_group_ids=[world.juniper.pk],
    ).json()["id"]
    author = verified_client(world.author)
    first = active_scheme()
    assert first is not None
    for g in (restricted.pk, confidential):
        assert assess(author, g, "first-rationale-secret", {f["key"]: 1 for f in first.factors}).status_code == 201
    second = scheme_load(data={"name": "Northshire", "factors": first.factors, "bands": first.bands})
    for g in (restricted.pk, confidential):
        made = post(
            author,
            f"{API}/crime-groups/{g}/assessments",
            {"scores": {f["key"]: 2 for f in second.factors}, "rationale": "second-rationale-secret"},
        )
        assert made.status_code == 201, made.content
    bands = {a.band for a in ThreatAssessment.unscoped_objects.all()}

    alder = verified_client(world.viewer)
    history = alder.get(f"{API}/crime-groups/{confidential}").json()
    assert [a["rationale"] for a in history["assessments"]] == ["second-rationale-secret", "first-rationale-secret"]
    assert [a["scheme"] for a in history["assessments"]] == [str(second), str(first)]
    assert (
        post(alder, f"{API}/crime-groups/{confidential}/assessments", {"scores": {}, "rationale": "mine"}).status_code
        == 404
    )

    outsider = verified_client(world.outsider)
    texts = [
        outsider.get(f"{API}/crime-groups").content.decode(),
        outsider.get("/groups/").content.decode(),
        outsider.get(f"{API}/crime-groups/{restricted.pk}").content.decode(),
        outsider.get(f"/groups/{restricted.pk}/").content.decode(),
    ]
    for text in texts:
        assert "rationale-secret" not in text and "Juniper ring" not in text
        for band in bands:
            assert f">{band}<" not in text and f'"{band}"' not in text, (band, text[:2000])
    assert outsider.get(f"{API}/crime-groups/{confidential}").status_code == 404
    assert [g["id"] for g in outsider.get(f"{API}/crime-groups").json()] == [restricted.pk]


def test_safe_a_grant_on_the_groups_flag_opens_it_to_that_user_only(world: World) -> None:
    """Calder asks for access from the group's flag; once granted that one user reads the group and its
    assessments (as designed) but may not assess; a Calder colleague still sees only the flag."""
    group = restricted_group(world)
    assess(verified_client(world.author), group.pk, "granted-rationale")
    request = ask_for_access(world.outsider, group.report_id, entity_id=group.entity_id)
    intelligence.access_request_decide(actor=world.supervisor, request_id=request.pk, grant=True, reason="ok")
    outsider = verified_client(world.outsider)
    seen = outsider.get(f"{API}/crime-groups/{group.pk}").json()
    assert seen["access"] == "full" and seen["assessments"][0]["rationale"] == "granted-rationale"
    assert assess(outsider, group.pk, "x").status_code == 404
    colleague = a_user(username="calder.two", organisation=world.calder, roles=[Role.ANALYST])
    other = verified_client(colleague)
    assert other.get(f"{API}/crime-groups/{group.pk}").json()["access"] == "flag"
    assert "granted-rationale" not in other.get(f"/groups/{group.pk}/").content.decode()


# ==== roles and audit ==================================================================================


@pytest.mark.parametrize(
    "role",
    [
        Role.OFFICER,
        Role.SIO,
        Role.VICTIM_CARE,
        Role.FINANCIAL_INVESTIGATOR,
        Role.STATISTICIAN,
        Role.AUDITOR,
        Role.ADMINISTRATOR,
        Role.CASEWORKER,
    ],
)
def test_safe_no_group_route_answers_a_non_analyst(world: World, role: str) -> None:
    """A Bracken user without the analyst's capability, on Bracken's own group: every route is not found,
    and nothing is written (no run, no group, no assessment)."""
    group = restricted_group(world)
    run_id = verified_client(world.author).post(f"{API}/detection-runs").json()["id"]
    user = a_user(username=f"bracken.{role}", organisation=world.bracken, roles=[role])
    client = verified_client(user)
    before = (
        DetectionRun.objects.count(),
        CrimeGroup.unscoped_objects.count(),
        ThreatAssessment.unscoped_objects.count(),
    )
    scores = lowest_scores()
    answers = {
        "list": client.get("/groups/"),
        "detail": client.get(f"/groups/{group.pk}/"),
        "run": client.get(f"/groups/runs/{run_id}/"),
        "adopt page": client.get("/groups/adopt/", {"members": f"{world.ivan},{world.hub}"}),
        "schemes": client.get("/groups/schemes/"),
        "detect": client.post("/groups/detect/"),
        "adopt form": client.post("/groups/adopt/", {"offered": f"{world.ivan},{world.hub}", "name": "x"}),
        "assess form": client.post(f"/groups/{group.pk}/assess/", {"rationale": "x"}),
        "api list": client.get(f"{API}/crime-groups"),
        "api detail": client.get(f"{API}/crime-groups/{group.pk}"),
        "api run": client.get(f"{API}/detection-runs/{run_id}"),
        "api detect": client.post(f"{API}/detection-runs"),
        "api adopt": adopt(client, [world.ivan, world.hub]),
        "api assess": post(client, f"{API}/crime-groups/{group.pk}/assessments", {"scores": scores, "rationale": "x"}),
        "api schemes": client.get(f"{API}/threat-schemes"),
    }
    wrong = {k: v.status_code for k, v in answers.items() if v.status_code != 404}
    assert wrong == {}, wrong
    assert "Mill Lane" not in "".join(a.content.decode(errors="replace") for a in answers.values())
    after = (
        DetectionRun.objects.count(),
        CrimeGroup.unscoped_objects.count(),
        ThreatAssessment.unscoped_objects.count(),
    )
    assert after == before


def test_safe_every_group_read_and_write_is_audited(world: World) -> None:
    """List, page and API reads, run start and view, adoption page and record, and assessment each leave an
    audit entry by the actor; so do Calder's reads of the flag."""
    client = verified_client(world.viewer)
    made = adopt(client, [world.ivan, world.hub], name="Audited group")
    g = made.json()["id"]
    run_id = client.post(f"{API}/detection-runs").json()["id"]
    detection.execute(run_id)

    def entries(user: User) -> list[tuple[str, str]]:
        return list(AuditEntry.objects.filter(actor_username=user.username).values_list("action", "object_type"))

    steps = [
        (lambda: client.get("/groups/"), ("view", "groups.crime_groups")),
        (lambda: client.get(f"{API}/crime-groups"), ("view", "groups.crime_groups")),
        (lambda: client.get(f"/groups/{g}/"), ("view", "groups.crime_group")),
        (lambda: client.get(f"{API}/crime-groups/{g}"), ("view", "groups.crime_group")),
        (lambda: client.get(f"/groups/runs/{run_id}/"), ("view", "groups.detection_run")),
        (lambda: client.get(f"{API}/detection-runs/{run_id}"), ("view", "groups.detection_run")),
        (lambda: client.get("/groups/adopt/", {"members": f"{world.ivan},{world.hub}"}), ("view", "groups.adoption")),
        (lambda: client.post("/groups/detect/"), ("search", "groups.detection_run")),
    ]
    for step, expected in steps:
        before = entries(world.viewer).count(expected)
        assert step().status_code in (200, 302)
        assert entries(world.viewer).count(expected) == before + 1, expected
    assert ("create", "groups.crime_group") in entries(world.viewer)
    outsider = verified_client(world.outsider)
    restricted = restricted_group(world)
    assess(verified_client(world.author), restricted.pk, "r")
    assert ("create", "groups.threat_assessment") in entries(world.author)
    outsider.get(f"/groups/{restricted.pk}/")
    outsider.get(f"{API}/crime-groups/{restricted.pk}")
    flagged = AuditEntry.objects.filter(actor_username=world.outsider.username, object_type="groups.crime_group")
    assert [e.detail["access"] for e in flagged] == ["flag", "flag"]
    # Nothing in Calder's own audit entries names the group's members or its name.
    text = json.dumps(
        [[e.object_repr, e.detail] for e in AuditEntry.objects.filter(actor_username=world.outsider.username)]
    )
    assert "Mill Lane" not in text and str(world.ivan) not in text and restricted.reference not in text


# ==== names and ordering ==================================================================================


def test_safe_a_restricted_groups_name_is_not_confirmed_by_search(world: World) -> None:
    """Calder guesses the name of the group listed to it as a flag: no search flag pairs with the group's."""
    group = restricted_group(world)
    listed = verified_client(world.outsider).get(f"{API}/crime-groups").json()
    (listed_flag,) = [g["flag"] for g in listed if g["id"] == group.pk]
    for kind in ("auto", "person", "text"):
        result = search(actor=world.outsider, query="Mill Lane group", kind=kind)
        assert listed_flag not in {f.token for f in result.flags}, kind
        assert all(r.id != group.report_id for h in result.hits for r in h.reports)


def test_safe_the_list_is_not_ordered_by_anything_hidden(world: World) -> None:
    """Flags in the list come newest first by adoption, never by threat score or member count."""
    scheme = active_scheme()
    assert scheme is not None
    author = verified_client(world.author)
    small = adopt(author, [world.ivan, world.hub], name="Small").json()["id"]
    big = adopt(author, [world.ivan, world.hub, world.lena], name="Big").json()["id"]
    assess(author, small, "r", {f["key"]: max(lv["score"] for lv in f["levels"]) for f in scheme.factors})
    listed = [g["id"] for g in verified_client(world.outsider).get(f"{API}/crime-groups").json()]
    assert listed == [big, small]
    page = verified_client(world.outsider).get("/groups/").content.decode()
    assert len(re.findall(r'data-testid="group-flag"', page)) == 2
