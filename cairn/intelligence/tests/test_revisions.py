"""Revisions: the report as submitted is revision 1, kept exactly once an edit supersedes it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cairn.accounts.choices import Role
from cairn.accounts.models import User
from cairn.core.testing import OrganisationFactory, UserFactory, submit_report, verified_client
from cairn.intelligence import services
from cairn.intelligence.models import IntelligenceReport, ReportRevision

pytestmark = pytest.mark.django_db


def _submit(author: User, dissemination: str = "shared") -> IntelligenceReport:
    text = "Original words about a car wash on the ring road."
    return submit_report(author, level=dissemination, text=text, intelligence_assessment="A")  # type: ignore[no-any-return]


def _page(client: Client, report_id: int, number: int) -> tuple[int, str]:
    response = client.get(reverse("intelligence:revision", args=[report_id, number]))
    return response.status_code, response.content.decode()


def test_an_unchanged_report_is_its_own_first_revision() -> None:
    author = UserFactory(organisation=OrganisationFactory(code="rev"), roles=[Role.OFFICER])
    report = _submit(author)
    client = verified_client(author)
    status, page = _page(client, report.pk, 1)
    assert status == 200 and "Original words" in page and "submitted" in page
    assert _page(client, report.pk, 2)[0] == 404
    assert not ReportRevision.unscoped_objects.filter(report=report).exists()


def test_an_edit_keeps_the_submitted_report_as_revision_1_once() -> None:
    org = OrganisationFactory(code="rev")
    author = UserFactory(organisation=org, roles=[Role.OFFICER])
    report = _submit(author)
    services.report_edit(actor=author, report=report, changes={"text": "Corrected words."}, reason="typo")
    services.report_edit(actor=author, report=report, changes={"text": "Corrected again."}, reason="more")
    stored = {r.number: r for r in ReportRevision.unscoped_objects.filter(report=report)}
    assert sorted(stored) == [1, 2, 3]
    assert stored[1].snapshot["text"] == "Original words about a car wash on the ring road."
    assert (stored[1].changed_by, stored[1].reason) == (author, "submitted")
    assert stored[1].changed_at == report.created_at
    assert (stored[2].snapshot["text"], stored[2].reason) == ("Corrected words.", "typo")
    assert stored[3].snapshot["text"] == "Corrected again."

    client = verified_client(author)
    assert "Original words" in _page(client, report.pk, 1)[1]
    assert "Corrected again." in _page(client, report.pk, 3)[1]
    detail = client.get(reverse("intelligence:detail", args=[report.pk])).content.decode()
    assert detail.index("Revision 3") < detail.index("Revision 2") < detail.index("Revision 1")


def test_no_revision_of_a_confidential_report_reaches_another_organisation() -> None:
    author = UserFactory(organisation=OrganisationFactory(code="rev"), roles=[Role.OFFICER])
    outsider = UserFactory(organisation=OrganisationFactory(code="other"), roles=[Role.ANALYST])
    report = _submit(author, dissemination="confidential")
    client = verified_client(outsider)
    assert _page(client, report.pk, 1)[0] == 404
    services.report_edit(actor=author, report=report, changes={"text": "Changed."}, reason="typo")
    assert _page(client, report.pk, 1)[0] == 404
    assert _page(client, report.pk, 2)[0] == 404
