"""The access test matrix: every page and API operation × every persona.

A route with no row here fails ``test_every_route_has_a_row``: adding a page or
an endpoint means deciding, in the same change, who may use it.
Outcomes: OK (200), SIGN_IN (redirect to sign-in / 401 for the API),
HIDDEN (404: the page is not there for this user), REDIRECT (a 302 elsewhere).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from cairn.accounts.choices import Role
from cairn.api import api
from cairn.core.testing import OrganisationFactory, UserFactory, verified_client

OK, SIGN_IN, HIDDEN, REDIRECT = "ok", "sign-in", "hidden", "redirect"
PERSONAS = ["anonymous", "no_role", *Role.values]


@dataclass(frozen=True)
class Row:
    signed_in: str  # the outcome for any signed-in persona not named in ``only``
    anonymous: str = SIGN_IN
    only: dict[str, str] = field(default_factory=dict)
    method: str = "get"
    kwargs: dict[str, object] = field(default_factory=dict)

    def expected(self, persona: str) -> str:
        if persona == "anonymous":
            return self.anonymous
        return self.only.get(persona, self.signed_in)


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
}

# Staff administration (Django admin): administrators only; a hidden page for everyone else.
STAFF = Row(HIDDEN, anonymous=REDIRECT, only={Role.ADMINISTRATOR: OK})

API_OPERATIONS: dict[str, Row] = {
    "GET /api/v1/me": Row(OK),
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
    response = getattr(_client_for(persona), method.lower())(path)
    assert _outcome(response.status_code) == row.expected(persona)


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
    about_us = audit.record(action="view", actor=stranger, object_type="t", object_repr="looked at ours",
                            subject_organisation=mine)
    unrelated = audit.record(action="view", actor=stranger, object_type="t", object_repr="unrelated act")
    page = verified_client(auditor).get(reverse("audit:log")).content.decode()
    assert own.object_repr in page and about_us.object_repr in page
    assert unrelated.object_repr not in page
