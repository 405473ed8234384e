"""The intelligence API over real HTTP, with a token, as another system would call it."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from cairn.accounts import services as accounts
from cairn.accounts.choices import Role
from cairn.core.testing import OrganisationFactory, UserFactory
from cairn.intelligence.models import IntelligenceReport

pytestmark = pytest.mark.django_db(transaction=True)


def call(
    url: str, token: str, *, body: object = None, raw: bytes | None = None, content_type: str = "application/json"
) -> tuple[int, dict]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def officer():
    user = UserFactory(username="api.officer", organisation=OrganisationFactory(code="aldermoor"), roles=[Role.OFFICER])
    return user, accounts.token_issue(actor=user, user=user, name="force RMS").secret


GOOD = {
    "text": "Dritan uses 07700 900123 and drives AB12 CDE.",
    "source_evaluation": "2",
    "intelligence_assessment": "B",
    "handling_code": "P",
    "dissemination": "shared",
    "exploitation_types": ["labour"],
    "subjects": [
        {"kind": "person", "value": "Dritan Hoxha", "role": "suspect", "date_of_birth": "1985"},
        {"kind": "phone", "value": "07700 900123", "role": "user", "linked_to": 0, "relation": "uses"},
        {"kind": "vrm", "value": "ab12 cde", "role": "user", "linked_to": 0, "relation": "uses"},
    ],
}


PLACE = {"kind": "address", "value": "14 Mill Lane, Aldermoor AM3 2QT", "role": "location"}


def test_a_place_is_recorded_with_its_premises_type(live_server, officer) -> None:
    from cairn.core.testing import verified_client

    user, token = officer
    place = PLACE | {"premises_type": "Car_Wash", "linked_to": 0, "relation": "works_at"}
    status, body = call(
        f"{live_server.url}/api/v1/reports", token, body=GOOD | {"subjects": [GOOD["subjects"][0], place]}
    )
    assert status == 201, body
    recorded = [(s["value"], s["value_normalised"]) for s in body["statements"] if s["prop"] == "premises_type"]
    assert recorded == [("Car wash", "car_wash")]
    page = verified_client(user).get(f"/intelligence/{body['id']}/").content.decode()
    assert "Premises type: Car wash" in page


def test_submit_and_read_back(live_server, officer) -> None:
    _, token = officer
    status, body = call(f"{live_server.url}/api/v1/reports", token, body=GOOD)
    assert status == 201, body
    assert body["access"] == "full" and body["grade"] == "2B P"
    values = {s["value_normalised"] for s in body["statements"]}
    assert {"+447700900123", "AB12CDE"} <= values
    status, again = call(f"{live_server.url}/api/v1/reports/{body['id']}", token)
    assert status == 200 and again["reference"] == body["reference"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": "   "}, "text"),
        ({"source_evaluation": "7"}, "source_evaluation"),
        ({"handling_code": "C"}, "handling_conditions"),
        ({"classification": "SECRET"}, "classification"),
        ({"text": "x" * 20001}, "text"),
        ({"subjects": [{"kind": "phone", "value": "12", "role": "user"}]}, "subjects[0].value"),
        (
            {"subjects": [{"kind": "iban", "value": "GB00 WEST 1234 5698 7654 32", "role": "owner"}]},
            "subjects[0].value",
        ),
        (
            {"subjects": [{"kind": "person", "value": "Dritan Hoxha", "role": "suspect", "premises_type": "car_wash"}]},
            "subjects[0].premises_type",
        ),
        ({"subjects": [{**PLACE, "premises_type": "castle"}]}, "subjects[0].premises_type"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(live_server, officer, change, field) -> None:
    _, token = officer
    status, body = call(f"{live_server.url}/api/v1/reports", token, body=GOOD | change)
    assert status == 422
    assert body["code"] == "invalid_input" and field in body["errors"]
    assert IntelligenceReport.unscoped_objects.count() == 0


def test_html_is_stored_as_text_and_rendered_escaped(live_server, officer, client) -> None:
    from cairn.core.testing import verified_client

    user, token = officer
    status, body = call(
        f"{live_server.url}/api/v1/reports",
        token,
        body=GOOD | {"text": "<script>alert(1)</script> seen at the car wash"},
    )
    assert status == 201
    page = verified_client(user).get(f"/intelligence/{body['id']}/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_import_endpoint_is_all_or_nothing(live_server, officer) -> None:
    _, token = officer
    good = json.dumps(
        {
            "text": "Seen at the farm.",
            "grading": {"model": "5x5x5", "source": "B", "intelligence": "2", "handling": "1"},
        }
    )
    bad = json.dumps(
        {"text": "Seen again.", "grading": {"model": "5x5x5", "source": "Q", "intelligence": "2", "handling": "1"}}
    )
    url = f"{live_server.url}/api/v1/report-imports"
    status, body = call(url, token, raw=f"{good}\n{bad}\n".encode(), content_type="application/x-ndjson")
    assert status == 422 and body["imported"] == 0
    assert [r["line"] for r in body["rejected"]] == [2]
    assert IntelligenceReport.unscoped_objects.count() == 0
    status, body = call(url, token, raw=f"{good}\n".encode(), content_type="application/x-ndjson")
    assert status == 200 and body["imported"] == 1
    report = IntelligenceReport.unscoped_objects.get()
    assert report.legacy_grading == "B2 1" and report.grade == "1A P"
