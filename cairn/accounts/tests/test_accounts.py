"""Accounts: creation rules, the createuser CLI, API tokens over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from django.core.exceptions import ValidationError

from cairn.accounts import services
from cairn.accounts.models import ApiToken, User
from cairn.audit.models import AuditEntry
from cairn.core.testing import OrganisationFactory, UserFactory, run_cli


@pytest.mark.django_db
def test_user_create_hashes_with_argon2_and_audits() -> None:
    org = OrganisationFactory(code="aldermoor")
    user = services.user_create(
        actor=None,
        username="pc.jones",
        organisation_code="aldermoor",
        roles=["officer"],
        password="a-long-enough-passphrase",
    )
    assert user.password.startswith("argon2")
    assert user.organisation == org
    assert AuditEntry.objects.filter(action="create", object_type="accounts.user", object_id=str(user.pk)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"organisation_code": "nowhere"}, "organisation", "no organisation with the code 'nowhere'"),
        ({"roles": ["wizard"]}, "roles", "Unknown role(s): wizard"),
        ({"username": "  "}, "username", "Enter a username"),
    ],
)
def test_user_create_rejects_bad_input_with_a_named_field(kwargs: dict, field: str, message: str) -> None:
    OrganisationFactory(code="aldermoor")
    args = {"actor": None, "username": "pc.new", "organisation_code": "aldermoor", "roles": ["officer"]} | kwargs
    before = User.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.user_create(**args)
    assert message in " ".join(exc.value.message_dict[field])
    assert User.objects.count() == before


@pytest.mark.django_db
def test_duplicate_username_is_refused_whatever_the_case() -> None:
    UserFactory(username="pc.smith", organisation=OrganisationFactory(code="aldermoor"))
    with pytest.raises(ValidationError, match="already taken"):
        services.user_create(actor=None, username="PC.Smith", organisation_code="aldermoor", roles=[])


@pytest.mark.django_db(transaction=True)
def test_createuser_cli() -> None:
    OrganisationFactory(code="aldermoor")
    ok = run_cli(
        "createuser",
        "pc.cli",
        "--org",
        "aldermoor",
        "--role",
        "officer",
        "--password-stdin",
        input_text="a-long-enough-passphrase\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert User.objects.get(username="pc.cli").roles == ["officer"]

    dup = run_cli(
        "createuser", "pc.cli", "--org", "aldermoor", "--password-stdin", input_text="another-long-passphrase\n"
    )
    assert dup.returncode != 0
    assert "already taken" in dup.stderr and "Traceback" not in dup.stderr

    unknown = run_cli(
        "createuser", "pc.other", "--org", "atlantis", "--password-stdin", input_text="a-long-enough-passphrase\n"
    )
    assert unknown.returncode != 0
    assert "no organisation with the code 'atlantis'" in unknown.stderr
    assert not User.objects.filter(username="pc.other").exists()


def _get(url: str, token: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.mark.django_db(transaction=True)
def test_api_me_with_a_token_over_http(live_server) -> None:
    user = UserFactory(username="analyst.a", roles=["analyst"], organisation=OrganisationFactory(code="aldermoor"))
    issued = services.token_issue(actor=user, user=user, name="test client")
    assert issued.secret not in json.dumps(list(ApiToken.objects.values()), default=str)

    status, body = _get(f"{live_server.url}/api/v1/me", issued.secret)
    assert status == 200
    assert body["username"] == "analyst.a"
    assert body["organisation"]["code"] == "aldermoor"
    assert "search" in body["capabilities"]

    services.token_revoke(actor=user, token=issued.token)
    status, body = _get(f"{live_server.url}/api/v1/me", issued.secret)
    assert status == 401
    assert body["code"] == "not_authenticated"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("token", [None, "", "junk", "cairn_short_x", "cairn_0123456789_wrongsecret", "a" * 5000])
def test_api_refuses_malformed_tokens_with_a_code(live_server, token: str | None) -> None:
    status, body = _get(f"{live_server.url}/api/v1/me", token)
    assert status == 401
    assert body["code"] == "not_authenticated"


@pytest.mark.django_db
def test_a_requests_user_arrives_with_its_organisation(django_assert_num_queries) -> None:
    from cairn.accounts.backends import CairnModelBackend

    user = UserFactory(username="with.org")
    with django_assert_num_queries(1):
        loaded = CairnModelBackend().get_user(user.pk)
        assert loaded is not None and loaded.organisation.code == user.organisation.code
    user.is_active = False
    user.save()
    assert CairnModelBackend().get_user(user.pk) is None
