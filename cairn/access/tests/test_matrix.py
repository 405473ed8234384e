"""The access test matrix: every page and API operation × every persona.

A route with no row here fails ``test_every_route_has_a_row``: adding a page or
an endpoint means deciding, in the same change, who may use it.
Outcomes: OK (200), SIGN_IN (redirect to sign-in / 401 for the API),
HIDDEN (404: the page is not there for this user), REDIRECT (a 302 elsewhere).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cairn.accounts.choices import Role
from cairn.api import api
from cairn.core.testing import OrganisationFactory, UserFactory, verified_client

OK, SIGN_IN, HIDDEN, REDIRECT, INVALID = "ok", "sign-in", "hidden", "redirect", "invalid"
CREATED, NO_CONTENT, ACCEPTED = "created", "no content", "accepted"
PERSONAS = ["anonymous", "no_role", *Role.values]


@dataclass(frozen=True)
class Row:
    signed_in: str  # the outcome for any signed-in persona not named in ``only``
    anonymous: str = SIGN_IN
    only: dict[str, str] = field(default_factory=dict)
    method: str = "get"
    kwargs: dict[str, object] = field(default_factory=dict)
    body: dict[str, object] = field(default_factory=dict)

    def expected(self, persona: str) -> str:
        if persona == "anonymous":
            return self.anonymous
        return self.only.get(persona, self.signed_in)


READERS = {
    r: OK
    for r in (Role.OFFICER, Role.ANALYST, Role.SUPERVISOR, Role.SIO, Role.VICTIM_CARE, Role.FINANCIAL_INVESTIGATOR)
}
SUBMITTERS = {r: OK for r in (Role.OFFICER, Role.ANALYST, Role.SUPERVISOR, Role.SIO)}
READERS_WHO_SEARCH = READERS
# Analysts and supervisors link, resolve and chart (they also read intelligence).
LINKERS = {r: OK for r in (Role.ANALYST, Role.SUPERVISOR)}

PAGES: dict[str, Row] = {
    "core:home": Row(OK),
    "accounts:sign-in": Row(REDIRECT, anonymous=OK),
    # Without a password step first, the code and enrolment pages send you back to sign in.
    "accounts:code": Row(REDIRECT, anonymous=REDIRECT),
    "accounts:enrol": Row(REDIRECT, anonymous=REDIRECT),
    "accounts:sign-out": Row(REDIRECT, anonymous=REDIRECT, method="post"),
    "accounts:tokens": Row(OK),
    "accounts:token-revoke": Row(HIDDEN, method="post", kwargs={"token_id": 999999}),
    "audit:log": Row(HIDDEN, only={Role.AUDITOR: OK}),
    "core:reason": Row(OK),
    "intelligence:list": Row(HIDDEN, only=READERS),
    "intelligence:new": Row(HIDDEN, only=SUBMITTERS),
    "intelligence:extract": Row(HIDDEN, only=SUBMITTERS, method="post"),
    "intelligence:queue": Row(HIDDEN, only={Role.SUPERVISOR: OK}),
    # Object pages for an id that does not exist are "not found" for everyone signed in;
    # who sees which report is the dissemination matrix (test_intelligence_matrix.py).
    "intelligence:detail": Row(HIDDEN, kwargs={"pk": 999999}),
    "intelligence:edit": Row(HIDDEN, kwargs={"pk": 999999}),
    "intelligence:review": Row(HIDDEN, kwargs={"pk": 999999}),
    "intelligence:sanitise": Row(HIDDEN, kwargs={"pk": 999999}),
    "intelligence:revision": Row(HIDDEN, kwargs={"pk": 999999, "number": 1}),
    # A flag page for a token that opens to no flag of yours is "not found" for everyone signed in.
    "intelligence:flag": Row(HIDDEN, kwargs={"token": "A" * 22}),
    # A request with no reason goes back to the flag page with a message, before any lookup.
    "intelligence:request-access": Row(
        HIDDEN, method="post", kwargs={"token": "A" * 22}, only={r: REDIRECT for r in READERS}
    ),
    # An incomplete decision goes back to the queue with a message, before any lookup.
    "intelligence:decide": Row(HIDDEN, method="post", kwargs={"pk": 999999}, only={Role.SUPERVISOR: REDIRECT}),
    "entities:detail": Row(HIDDEN, kwargs={"pk": 999999}),
    "search:search": Row(HIDDEN, only=READERS_WHO_SEARCH),
    "search:watches": Row(HIDDEN, only=READERS_WHO_SEARCH),
    "search:watch-stop": Row(
        HIDDEN, method="post", kwargs={"pk": 999999}, only={r: REDIRECT for r in READERS_WHO_SEARCH}
    ),
    # Your own notifications only: every signed-in person has an inbox.
    "notifications:inbox": Row(OK),
    "notifications:read-all": Row(REDIRECT, anonymous=SIGN_IN, method="post"),
    "linking:queue": Row(HIDDEN, only=LINKERS),
    "linking:runs": Row(HIDDEN, only=LINKERS),
    "linking:noise": Row(HIDDEN, only={Role.SUPERVISOR: OK}),
    # Proposals and people the user cannot read are "not found", the same as ones that do not exist.
    "linking:proposal": Row(HIDDEN, kwargs={"pk": 999999}),
    "linking:person": Row(HIDDEN, kwargs={"entity_id": 999999}),
    # A split without a reason goes back to the person page with a message, before any lookup.
    "linking:split": Row(HIDDEN, method="post", kwargs={"entity_id": 999999}, only={r: REDIRECT for r in LINKERS}),
    "linking:undo": Row(HIDDEN, method="post", kwargs={"pk": 999999}),
    # The link chart page: analysts and supervisors (it loads everything through the network API).
    "network:chart": Row(HIDDEN, only=LINKERS),
    # Crime groups: analysts and supervisors. A group or run the viewer may not know is "not found".
    "groups:list": Row(HIDDEN, only=LINKERS),
    "groups:run-start": Row(HIDDEN, method="post", only={r: REDIRECT for r in LINKERS}),
    "groups:run": Row(HIDDEN, kwargs={"pk": 999999}),
    # With no members offered, the adoption page says where to start from.
    "groups:adopt": Row(HIDDEN, only=LINKERS),
    "groups:detail": Row(HIDDEN, kwargs={"pk": 999999}),
    "groups:assess": Row(HIDDEN, method="post", kwargs={"pk": 999999}),
    "groups:schemes": Row(HIDDEN, only=LINKERS),
}

# Staff administration (Django admin): administrators only; a hidden page for everyone else.
STAFF = Row(HIDDEN, anonymous=REDIRECT, only={Role.ADMINISTRATOR: OK})

API_OPERATIONS: dict[str, Row] = {
    "GET /api/v1/me": Row(OK),
    "GET /api/v1/reports": Row(HIDDEN, only=READERS),
    # A well-formed but invalid report: submitters get "invalid input", everyone else "not found".
    "POST /api/v1/reports": Row(
        HIDDEN,
        only={r: INVALID for r in SUBMITTERS},
        method="post",
        body={"text": "", "source_evaluation": "9", "intelligence_assessment": "Z", "handling_code": "P"},
    ),
    "POST /api/v1/extract": Row(HIDDEN, only=SUBMITTERS, method="post", body={"text": "call 07700 900123"}),
    "GET /api/v1/reports/{report_id}": Row(HIDDEN, kwargs={"report_id": 999999}),
    # A file with one bad line: submitters get its rejections, everyone else "not found".
    "POST /api/v1/report-imports": Row(HIDDEN, only={r: INVALID for r in SUBMITTERS}, method="post", body={"text": ""}),
    "GET /api/v1/entities/{entity_id}": Row(HIDDEN, kwargs={"entity_id": 999999}),
    "GET /api/v1/search": Row(HIDDEN, only=READERS_WHO_SEARCH, kwargs={"query": "?q=Ana+Popescu&reason=test"}),
    "GET /api/v1/watches": Row(HIDDEN, only=READERS_WHO_SEARCH),
    "POST /api/v1/watches": Row(
        HIDDEN,
        only={r: CREATED for r in READERS_WHO_SEARCH},
        method="post",
        body={"query": "07700 900123", "reason": "test"},
    ),
    "DELETE /api/v1/watches/{watch_id}": Row(
        HIDDEN, only={r: NO_CONTENT for r in READERS_WHO_SEARCH}, method="delete", kwargs={"watch_id": 999999}
    ),
    "GET /api/v1/notifications": Row(OK),
    "GET /api/v1/flags/{token}": Row(HIDDEN, kwargs={"token": "A" * 22}),
    "POST /api/v1/flags/{token}/access-requests": Row(
        HIDDEN, method="post", kwargs={"token": "A" * 22}, body={"reason": "Op Lantern"}
    ),
    "POST /api/v1/access-requests/{request_id}/decision": Row(
        HIDDEN, method="post", kwargs={"request_id": 999999}, body={"grant": True, "reason": "agreed"}
    ),
    "GET /api/v1/reports/{report_id}/correlations": Row(HIDDEN, kwargs={"report_id": 999999}),
    "GET /api/v1/proposals": Row(HIDDEN, only=LINKERS),
    "GET /api/v1/proposals/{proposal_id}": Row(HIDDEN, kwargs={"proposal_id": 999999}),
    "POST /api/v1/proposals/{proposal_id}/judgements": Row(
        HIDDEN, method="post", kwargs={"proposal_id": 999999}, body={"decision": "unsure"}
    ),
    "POST /api/v1/judgements/{judgement_id}/undo": Row(
        HIDDEN, method="post", kwargs={"judgement_id": 999999}, body={"reason": "mistake"}
    ),
    "GET /api/v1/people/{entity_id}": Row(HIDDEN, kwargs={"entity_id": 999999}),
    # A record no one may read, or none at all, is not found: a hidden record and a missing one
    # answer alike, so splitting cannot tell whether a hidden record is merged.
    "POST /api/v1/people/{entity_id}/split": Row(
        HIDDEN, method="post", kwargs={"entity_id": 999999}, body={"reason": "wrong"}
    ),
    "POST /api/v1/noise": Row(
        HIDDEN, method="post", body={"entity_id": 999999, "reason": "helpline"}, only={Role.SUPERVISOR: INVALID}
    ),
    "DELETE /api/v1/noise/{entity_id}": Row(
        HIDDEN, method="delete", kwargs={"entity_id": 999999, "query": "?reason=x"}, only={Role.SUPERVISOR: INVALID}
    ),
    "POST /api/v1/resolution-runs": Row(HIDDEN, method="post", only={r: ACCEPTED for r in LINKERS}),
    "GET /api/v1/resolution-runs/{run_id}": Row(HIDDEN, kwargs={"run_id": 999999}),
    # The network: linkers only. An entity that does not exist is "no such entity" for them too.
    "GET /api/v1/network/neighbourhood": Row(HIDDEN, kwargs={"query": "?seeds=999999"}),
    "GET /api/v1/network/paths": Row(HIDDEN, kwargs={"query": "?a=999998&b=999999"}),
    "GET /api/v1/network/common": Row(HIDDEN, kwargs={"query": "?a=999998&b=999999"}),
    # Entities the viewer may not see simply score nothing.
    "GET /api/v1/network/centrality": Row(HIDDEN, only=LINKERS, kwargs={"query": "?entities=999999"}),
    # Candidate groups among entities the viewer may not see: none.
    "GET /api/v1/network/communities": Row(HIDDEN, only=LINKERS, kwargs={"query": "?entities=999999"}),
    "POST /api/v1/detection-runs": Row(HIDDEN, method="post", only={r: ACCEPTED for r in LINKERS}),
    "GET /api/v1/detection-runs/{run_id}": Row(HIDDEN, kwargs={"run_id": 999999}),
    "GET /api/v1/crime-groups": Row(HIDDEN, only=LINKERS),
    # Members the adopter may not read (or that do not exist): "invalid input" naming the member.
    "POST /api/v1/crime-groups": Row(
        HIDDEN,
        method="post",
        only={r: INVALID for r in LINKERS},
        body={"name": "Op Lantern", "members": [999998, 999999]},
    ),
    "GET /api/v1/crime-groups/{group_id}": Row(HIDDEN, kwargs={"group_id": 999999}),
    "POST /api/v1/crime-groups/{group_id}/assessments": Row(
        HIDDEN, method="post", kwargs={"group_id": 999999}, body={"scores": {}, "rationale": "x"}
    ),
    "GET /api/v1/threat-schemes": Row(HIDDEN, only=LINKERS),
    # Recording a drawing of entities: linkers are recorded (an audit entry), no data is read.
    "POST /api/v1/network/drawings": Row(
        HIDDEN, method="post", only={r: CREATED for r in LINKERS}, body={"format": "png", "entities": [999999]}
    ),
    "GET /api/v1/network/export": Row(HIDDEN, kwargs={"query": "?format=graphml&seeds=999999"}),
    "GET /api/v1/network/charts": Row(HIDDEN, only=LINKERS),
    # A chart of an entity the saver may not know cannot be saved: "no such entity".
    "POST /api/v1/network/charts": Row(
        HIDDEN, method="post", body={"title": "Op Lantern", "state": {"entity_ids": [999999]}}
    ),
    "GET /api/v1/network/charts/{chart_id}": Row(HIDDEN, kwargs={"chart_id": 999999}),
    "POST /api/v1/network/charts/{chart_id}/share": Row(
        HIDDEN, method="post", kwargs={"chart_id": 999999}, body={"username": "matrix.analyst"}
    ),
    # Only the owner unshares or deletes; a chart you do not own, or that does not exist, is not there.
    "DELETE /api/v1/network/charts/{chart_id}/share/{username}": Row(
        HIDDEN, method="delete", kwargs={"chart_id": 999999, "username": "matrix.analyst"}
    ),
    "DELETE /api/v1/network/charts/{chart_id}": Row(HIDDEN, method="delete", kwargs={"chart_id": 999999}),
}


def _route_names(resolvers: list, namespace: str = "") -> list[str]:
    names: list[str] = []
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or ""
            if ns in {"admin", "api"}:
                continue
            names += _route_names(entry.url_patterns, f"{namespace}{ns}:" if ns else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            names.append(f"{namespace}{entry.name}")
    return names


def test_every_route_has_a_row() -> None:
    missing = sorted(set(_route_names(get_resolver().url_patterns)) - set(PAGES))
    assert not missing, f"routes with no row in the access matrix: {missing}"


def test_every_api_operation_has_a_row() -> None:
    schema = api.get_openapi_schema(path_prefix="/api/v1")
    operations = {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops}
    missing = sorted(operations - set(API_OPERATIONS))
    assert not missing, f"API operations with no row in the access matrix: {missing}"


def _client_for(persona: str):
    from django.test import Client

    if persona == "anonymous":
        return Client()
    org = OrganisationFactory(code="matrixorg")
    roles = [] if persona == "no_role" else [persona]
    return verified_client(UserFactory(username=f"matrix.{persona}", organisation=org, roles=roles))


def _outcome(status: int, location: str = "") -> str:
    if status == 200:
        return OK
    if status == 404:
        return HIDDEN
    if status == 401:
        return SIGN_IN
    if status == 422:
        return INVALID
    if status == 201:
        return CREATED
    if status == 204:
        return NO_CONTENT
    if status == 202:
        return ACCEPTED
    if status == 302:
        return SIGN_IN if "/sign-in/" in location and "next=" in location else REDIRECT
    return f"status {status}"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", sorted(PAGES))
def test_page_access(route: str, persona: str) -> None:
    row = PAGES[route]
    client = _client_for(persona)
    response = getattr(client, row.method)(reverse(route, kwargs=row.kwargs))
    assert _outcome(response.status_code, response.get("Location", "")) == row.expected(persona)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_staff_pages_access(persona: str) -> None:
    client = _client_for(persona)
    for url in ["/staff/", "/staff/accounts/user/", "/staff/accounts/organisation/"]:
        response = client.get(url)
        assert _outcome(response.status_code, response.get("Location", "")) == STAFF.expected(persona), url


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", sorted(API_OPERATIONS))
def test_api_access(operation: str, persona: str) -> None:
    row = API_OPERATIONS[operation]
    method, path = operation.split(" ", 1)
    path = path.format(**row.kwargs) + str(row.kwargs.get("query", ""))
    client = _client_for(persona)
    if method == "POST":
        response = client.post(path, data=json.dumps(row.body), content_type="application/json")
    elif method == "DELETE":
        response = client.delete(path)
    else:
        response = client.get(path)
    outcome = _outcome(response.status_code)
    # Anonymous callers are asked to authenticate before anything else.
    assert outcome == row.expected(persona), response.content


@pytest.mark.django_db
def test_administrator_sees_no_intelligence_capability() -> None:
    from cairn.access.capabilities import Capability
    from cairn.access.policy import capabilities

    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    caps = capabilities(admin)
    assert Capability.READ_INTELLIGENCE not in caps
    assert Capability.SEARCH not in caps
    assert caps == {Capability.MANAGE_ACCOUNTS}


@pytest.mark.django_db
def test_auditor_sees_own_organisation_and_its_data_only() -> None:
    from cairn.audit import services as audit

    mine, other = OrganisationFactory(code="mine"), OrganisationFactory(code="other")
    auditor = UserFactory(organisation=mine, roles=[Role.AUDITOR])
    stranger = UserFactory(organisation=other, roles=[Role.OFFICER])
    own = audit.record(action="view", actor=UserFactory(organisation=mine), object_type="t", object_repr="own-org act")
    about_us = audit.record(
        action="view", actor=stranger, object_type="t", object_repr="looked at ours", subject_organisation=mine
    )
    unrelated = audit.record(action="view", actor=stranger, object_type="t", object_repr="unrelated act")
    page = verified_client(auditor).get(reverse("audit:log")).content.decode()
    assert own.object_repr in page and about_us.object_repr in page
    assert unrelated.object_repr not in page
