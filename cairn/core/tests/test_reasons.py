"""A stated reason before restricted or confidential intelligence is opened, recorded with the view."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from cairn.accounts.choices import Role
from cairn.audit.models import AuditEntry
from cairn.core.testing import OrganisationFactory, UserFactory, submit_report, verified_client
from cairn.intelligence.inputs import SubjectInput


def _report(level: str):
    author = UserFactory(organisation=OrganisationFactory(code="origin"), roles=[Role.OFFICER])
    phone = SubjectInput(kind="phone", value="07700 900777", role="user")
    return author, submit_report(author, phone, level=level, text="Seen at the farm.")


@pytest.mark.django_db
def test_restricted_report_asks_for_a_reason_once_and_records_it() -> None:
    author, report = _report("restricted")
    client = verified_client(author, reason="")
    url = reverse("intelligence:detail", args=[report.pk])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("core:reason"))
    empty = client.post(reverse("core:reason"), {"reason": " ", "next": url})
    assert empty.status_code == 422 and "Give a reason" in empty.content.decode()
    saved = client.post(reverse("core:reason"), {"reason": "Op Lantern 42", "next": url})
    assert saved.status_code == 302 and saved["Location"] == url
    assert client.get(url).status_code == 200
    entry = AuditEntry.objects.filter(action="view", object_type="intelligence.report").latest("id")
    assert entry.reason == "Op Lantern 42"


@pytest.mark.django_db
def test_reason_page_refuses_offsite_next() -> None:
    author, _ = _report("shared")
    response = verified_client(author).post(reverse("core:reason"), {"reason": "x", "next": "https://evil.example/"})
    assert response["Location"] == reverse("core:home")


@pytest.mark.django_db
def test_shared_report_needs_no_reason() -> None:
    author, report = _report("shared")
    assert verified_client(author, reason="").get(reverse("intelligence:detail", args=[report.pk])).status_code == 200


@pytest.mark.django_db
def test_api_needs_a_reason_for_restricted_reports() -> None:
    author, report = _report("restricted")
    client = verified_client(author, reason="")
    response = client.get(f"/api/v1/reports/{report.pk}")
    assert response.status_code == 422 and "reason" in response.json()["message"]
    assert client.get(f"/api/v1/reports/{report.pk}?reason=Op+Lantern").status_code == 200


@pytest.mark.django_db
@override_settings(AUDIT_REQUIRE_JUSTIFICATION=False)
def test_the_requirement_can_be_switched_off() -> None:
    author, report = _report("confidential")
    client = verified_client(author, reason="")
    assert client.get(reverse("intelligence:detail", args=[report.pk])).status_code == 200


@pytest.mark.django_db
def test_a_reason_is_kept_on_one_line_without_control_characters() -> None:
    """A NUL byte cannot be written to the audit log: a reason stated with one must not break what it opens."""
    author, report = _report("restricted")
    client = verified_client(author, reason="")
    url = reverse("intelligence:detail", args=[report.pk])
    client.post(reverse("core:reason"), {"reason": "Op \x00Lantern\n 42", "next": url})
    assert client.get(url).status_code == 200
    assert client.get(reverse("search:search"), {"q": "07700 900777"}).status_code == 200
    entry = AuditEntry.objects.filter(action="view", object_type="intelligence.report").latest("id")
    assert entry.reason == "Op Lantern 42"
