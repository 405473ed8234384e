"""The dissemination matrix: personas of several organisations × levels × every read path.

Each cell says what a persona must get for a report at that level: FULL (the
report), FLAG (that it exists and whom to call) or NONE (not even that). Every
read path is checked against every cell, from the outside: pages and API over
the test client, and the policy querysets that search, exports and jobs use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from cairn.access import intelligence as policy
from cairn.access.flags import flag_token, open_token
from cairn.accounts.choices import OrganisationKind, Role
from cairn.accounts.models import Organisation, User
from cairn.core.testing import OrganisationFactory, SharingGroupFactory, UserFactory, verified_client
from cairn.intelligence import services
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.intelligence.models import IntelligenceReport

FULL, FLAG, NONE = "full", "flag", "none"
LEVELS = ["shared", "restricted", "confidential", "restricted_group", "confidential_group", "shared_awaiting"]

MATRIX: dict[str, list[str]] = {
    #                      shared restricted confidential restricted_g confidential_g shared_awaiting
    "origin_officer": [FULL, FULL, FULL, FULL, FULL, FULL],
    "origin_supervisor": [FULL, FULL, FULL, FULL, FULL, FULL],
    "partner_officer": [FULL, FLAG, NONE, FULL, FULL, NONE],  # law enforcement, in the named group
    "other_le_analyst": [FULL, FLAG, NONE, FLAG, NONE, NONE],  # law enforcement, not in the group
    "prosecutor_analyst": [NONE, NONE, NONE, NONE, NONE, NONE],  # not law enforcement, not in the group
    "group_charity_victim_care": [NONE, NONE, NONE, FULL, FULL, NONE],  # not law enforcement, in the group
    "charity_caseworker": [NONE] * 6,
    "statistician": [NONE] * 6,
    "origin_administrator": [NONE] * 6,  # manages accounts; sees no intelligence by that role
    "origin_auditor": [NONE] * 6,
}


@dataclass
class World:
    users: dict[str, User]
    reports: dict[str, IntelligenceReport]
    phones: dict[str, str]  # level -> E.164 of the phone only that report names


PERSONAS: dict[str, tuple[str, list[str]]] = {
    "origin_officer": ("origin", [Role.OFFICER]),
    "origin_supervisor": ("origin", [Role.SUPERVISOR]),
    "partner_officer": ("partner", [Role.OFFICER]),
    "other_le_analyst": ("other", [Role.ANALYST]),
    "prosecutor_analyst": ("prosecutor", [Role.ANALYST]),
    "group_charity_victim_care": ("groupcharity", [Role.VICTIM_CARE]),
    "charity_caseworker": ("groupcharity", [Role.CASEWORKER]),
    "statistician": ("government", [Role.STATISTICIAN]),
    "origin_administrator": ("origin", [Role.ADMINISTRATOR]),
    "origin_auditor": ("origin", [Role.AUDITOR]),
}


def build_world() -> World:
    orgs: dict[str, Organisation] = {
        "origin": OrganisationFactory(code="origin"),
        "partner": OrganisationFactory(code="partner"),
        "other": OrganisationFactory(code="other"),
        "prosecutor": OrganisationFactory(code="prosecutor", kind=OrganisationKind.PROSECUTOR),
        "groupcharity": OrganisationFactory(code="groupcharity", kind=OrganisationKind.CHARITY),
        "government": OrganisationFactory(code="government", kind=OrganisationKind.GOVERNMENT),
    }
    group = SharingGroupFactory(
        name="Operation Lantern", members=[orgs["origin"], orgs["partner"], orgs["groupcharity"]]
    )
    users = {
        name: UserFactory(username=name, organisation=orgs[org], roles=roles) for name, (org, roles) in PERSONAS.items()
    }
    author = users["origin_officer"]
    reports: dict[str, IntelligenceReport] = {}
    phones: dict[str, str] = {}
    for n, level in enumerate(LEVELS):
        base_level = level.split("_")[0]
        phone = f"07700 9001{n:02d}"
        awaiting = level.endswith("awaiting")
        reports[level] = services.report_submit(
            actor=author,
            data=ReportInput(
                text=f"Secret detail {level}: Lena Petrova uses {phone}.",
                source_evaluation="2",
                intelligence_assessment="B",
                handling_code="C" if awaiting else "P",
                handling_conditions=["A1"] if awaiting else [],
                dissemination=base_level,
                sharing_group_ids=[group.pk] if level.endswith("group") else [],
                subjects=[
                    SubjectInput(kind="person", value="Lena Petrova", role="victim"),
                    SubjectInput(kind="phone", value=phone, role="user", linked_to=0, relation="uses"),
                ],
            ),
        )
        phones[level] = f"+4477009001{n:02d}"
    return World(users, reports, phones)


def _phone_entity_id(world: World, level: str) -> int:
    from cairn.entities.models import Entity

    return Entity.unscoped_objects.get(kind="phone", key=world.phones[level]).pk


def _client(user: User) -> Client:
    return verified_client(user)


# --- read paths ---------------------------------------------------------------------------------


def _token(user: User, world: World, level: str) -> str:
    """The token of the report's flag on its phone, as the entity page would show it to ``user``."""
    return flag_token(user.pk, world.reports[level].pk, _phone_entity_id(world, level))


def path_report_page(client: Client, user: User, world: World, level: str) -> str:
    """By id, a report read in full; one known by flag answers only at its flag's page (by token)."""
    report = world.reports[level]
    response = client.get(reverse("intelligence:detail", args=[report.pk]))
    if response.status_code == 200:
        assert f"Secret detail {level}" in response.content.decode()
        return FULL
    assert response.status_code == 404
    flag_page = client.get(reverse("intelligence:flag", args=[_token(user, world, level)]))
    if flag_page.status_code == 404:
        return NONE
    body = flag_page.content.decode()
    assert 'data-testid="flag"' in body and report.reference not in body and f"Secret detail {level}" not in body
    return FLAG


def path_report_api(client: Client, user: User, world: World, level: str) -> str:
    response = client.get(f"/api/v1/reports/{world.reports[level].pk}?reason=Op+Lantern")
    if response.status_code == 200:
        assert f"Secret detail {level}" in response.json()["text"]
        return FULL
    assert response.status_code == 404
    flag = client.get(f"/api/v1/flags/{_token(user, world, level)}?reason=Op+Lantern")
    if flag.status_code == 404:
        return NONE
    body = flag.json()
    assert body["token"] == _token(user, world, level) and "reference" not in body and "text" not in body
    return FLAG


def path_entity_page(client: Client, user: User, world: World, level: str) -> str:
    response = client.get(reverse("entities:detail", args=[_phone_entity_id(world, level)]))
    if response.status_code == 404:
        return NONE
    body = response.content.decode()
    if world.reports[level].reference in body:
        return FULL
    assert 'data-testid="flag"' in body
    assert world.phones[level] not in body  # a flag is who holds it: the number itself is restricted
    return FLAG


def path_entity_api(client: Client, user: User, world: World, level: str) -> str:
    response = client.get(f"/api/v1/entities/{_phone_entity_id(world, level)}?reason=Op+Lantern")
    if response.status_code == 404:
        return NONE
    body = response.json()
    if any(s["report_id"] == world.reports[level].pk for s in body["statements"]):
        return FULL
    assert body["flags"] and not body["statements"]
    assert body["key"] is None and world.phones[level] not in str(body)
    return FLAG


def path_statements(client: Client, user: User, world: World, level: str) -> str:
    has = policy.statements_visible_to(user).filter(report=world.reports[level]).exists()
    flagged = bool(policy.flags_for(user, report_ids=[world.reports[level].pk]))
    return FULL if has else FLAG if flagged else NONE


def path_person_flags(client: Client, user: User, world: World, level: str) -> str:
    # The flag travels with the report's subjects: the phone entity carries it.
    flags = policy.flags_for(user, entity_ids=[_phone_entity_id(world, level)])
    visible = policy.entities_visible_to(user).filter(pk=_phone_entity_id(world, level)).exists()
    assert len(flags) <= 1, "one flag per report and subject, however many statements it holds"
    return FULL if visible else FLAG if flags else NONE


def path_list_page(client: Client, user: User, world: World, level: str) -> str:
    response = client.get(reverse("intelligence:list"))
    if response.status_code == 404:
        return NONE
    listed = world.reports[level].reference in response.content.decode()
    return FULL if listed else _flag_or_none(user, world, level)


def path_list_api(client: Client, user: User, world: World, level: str) -> str:
    response = client.get("/api/v1/reports?limit=100")
    if response.status_code == 404:
        return NONE
    listed = any(item["id"] == world.reports[level].pk for item in response.json()["items"])
    return FULL if listed else _flag_or_none(user, world, level)


def path_revisions(client: Client, user: User, world: World, level: str) -> str:
    response = client.get(reverse("intelligence:revision", args=[world.reports[level].pk, 1]))
    if response.status_code == 200:
        return FULL
    assert response.status_code == 404
    return _flag_or_none(user, world, level)


def _flag_or_none(user: User, world: World, level: str) -> str:
    # Lists show only what is readable; a flag is reached through the report or its subjects.
    return FLAG if policy.flags_for(user, report_ids=[world.reports[level].pk]) else NONE


def path_search_page(client: Client, user: User, world: World, level: str) -> str:
    response = client.get(reverse("search:search"), {"q": world.phones[level]})
    if response.status_code == 404:
        return NONE
    body = response.content.decode()
    if world.reports[level].reference in body:
        return FULL
    flag_link = f"/intelligence/flags/{_token(user, world, level)}/"
    return FLAG if 'data-testid="flag"' in body and flag_link in body else NONE


def path_search_api(client: Client, user: User, world: World, level: str) -> str:
    phone = world.phones[level].replace("+44", "0")  # written another way
    response = client.get("/api/v1/search", {"q": phone, "reason": "Op Lantern"})
    if response.status_code == 404:
        return NONE
    body = response.json()
    report_id = world.reports[level].pk
    if any(r["id"] == report_id for h in body["hits"] for r in h["reports"]):
        return FULL
    return FLAG if any(_opens_to(user, f["token"]) == report_id for f in body["flags"]) else NONE


def path_person_search(client: Client, user: User, world: World, level: str) -> str:
    from cairn.search.selectors import search_people

    hits, flags = search_people(actor=user, name="Lena Petrowa")  # misspelled on purpose
    report_id = world.reports[level].pk
    if any(r.id == report_id for h in hits for r in h.reports):
        return FULL
    return FLAG if any(_opens_to(user, f.token) == report_id for f in flags) else NONE


def _opens_to(user: User, token: str) -> int | None:
    address = open_token(user.pk, token)
    return address.report_id if address else None


READ_PATHS: dict[str, Callable[[Client, User, World, str], str]] = {
    "search page": path_search_page,
    "search API": path_search_api,
    "person search": path_person_search,
    "report page": path_report_page,
    "report API": path_report_api,
    "entity page": path_entity_page,
    "entity API": path_entity_api,
    "statements": path_statements,
    "entity flags": path_person_flags,
    "report list page": path_list_page,
    "report list API": path_list_api,
    "revision page": path_revisions,
}

# Every route that reads intelligence is one of the paths above; routes that only write or
# show the actor's own work are named here with why they are not read paths.
ROUTES_COVERED = {
    "intelligence:detail": "report page",
    "intelligence:flag": "report page",
    "intelligence:list": "report list page",
    "intelligence:revision": "revision page",
    "entities:detail": "entity page",
    "search:search": "search page",
}
ROUTES_NOT_READ_PATHS = {
    "intelligence:new": "a form; its subject proposals come from intelligence:extract",
    "intelligence:extract": "names come only from visible statements (test_extract_uses_only_visible_names)",
    "intelligence:edit": "originator only (access matrix in test_matrix.py)",
    "intelligence:review": "originating supervisors only (test_matrix.py)",
    "intelligence:sanitise": "originating supervisors only (test_matrix.py)",
    "intelligence:request-access": "a write, refused unless the actor holds a flag",
    "intelligence:queue": "the supervisor's own organisation's work",
    "intelligence:decide": "a write by the originating supervisors",
    "search:watches": "the actor's own watches; alerts are checked in test_search.py",
    "search:watch-stop": "a write on the actor's own watch",
}


def test_every_intelligence_route_is_a_read_path_or_says_why_not() -> None:
    names = set()
    for pattern in get_resolver().url_patterns:
        ns = getattr(pattern, "namespace", None)
        if ns in {"intelligence", "entities", "search"}:
            names |= {f"{ns}:{p.name}" for p in pattern.url_patterns}
    undeclared = names - set(ROUTES_COVERED) - set(ROUTES_NOT_READ_PATHS)
    assert not undeclared, f"intelligence routes with no row in the dissemination matrix: {sorted(undeclared)}"
    assert set(ROUTES_COVERED.values()) <= set(READ_PATHS)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", sorted(MATRIX))
def test_dissemination_matrix(persona: str) -> None:
    world = build_world()
    user = world.users[persona]
    client = _client(user)
    failures = []
    for level, expected in zip(LEVELS, MATRIX[persona], strict=True):
        for path_name, path in READ_PATHS.items():
            got = path(client, user, world, level)
            if got != expected:
                failures.append(f"{path_name} / {level}: expected {expected}, got {got}")
    assert not failures, f"{persona}:\n" + "\n".join(failures)


@pytest.mark.django_db
def test_granted_access_request_shows_one_report_to_one_named_user() -> None:
    world = build_world()
    asker, colleague = (
        world.users["other_le_analyst"],
        UserFactory(organisation=world.users["other_le_analyst"].organisation, roles=[Role.ANALYST]),
    )
    report = world.reports["restricted"]
    token = flag_token(asker.pk, report.pk, _phone_entity_id(world, "restricted"))
    req = services.access_request_create(actor=asker, flag_token=token, reason="Op Lantern ref 42")
    services.access_request_decide(
        actor=world.users["origin_supervisor"], request_id=req.pk, grant=True, reason="Joint tasking agreed"
    )
    assert policy.report_access(asker, report.pk) == FULL
    assert policy.report_access(colleague, report.pk) == FLAG
    assert policy.report_access(asker, world.reports["confidential"].pk) == NONE


@pytest.mark.django_db
def test_extract_uses_only_visible_names() -> None:
    world = build_world()
    from cairn.intelligence.names import name_matcher_for

    outsider = world.users["prosecutor_analyst"]
    insider = world.users["partner_officer"]
    assert not name_matcher_for(outsider).find("We met Lena Petrova yesterday")
    assert name_matcher_for(insider).find("We met Lena Petrova yesterday")
