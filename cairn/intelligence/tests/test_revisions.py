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


def _submit(
    author: User, dissemination: str = "shared", text: str = "Original words about a car wash on the ring road."
) -> IntelligenceReport:
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


def test_widening_a_report_does_not_open_what_its_earlier_revisions_said_under_a_narrower_marking() -> None:
    """Filed confidential with the source's name, then edited to shared with the name taken out: a reader
    the shared revision reaches may read that revision, not the confidential one before it."""
    author = UserFactory(organisation=OrganisationFactory(code="rev"), roles=[Role.OFFICER])
    outsider = UserFactory(organisation=OrganisationFactory(code="other"), roles=[Role.ANALYST])
    report = _submit(author, dissemination="confidential", text="Informant Jane Keeper says the house is used.")
    services.report_edit(
        actor=author,
        report=report,
        changes={"text": "A source says the house is used.", "dissemination": "shared"},
        reason="sanitised for partners",
    )
    client = verified_client(outsider)
    assert _page(client, report.pk, 2)[0] == 200
    status, body = _page(client, report.pk, 1)
    assert "Jane Keeper" not in body
    assert status == 404
    detail = client.get(reverse("intelligence:detail", args=[report.pk])).content.decode()
    assert "Jane Keeper" not in detail


def test_earlier_revisions_open_to_whoever_their_own_marking_reached() -> None:
    """Shared from the start: a partner force reads every revision. Confidential to a sharing group, then
    widened: the group's member reads the earlier revision, a force outside it only the widened one."""
    from cairn.core.testing import SharingGroupFactory

    home = OrganisationFactory(code="rev")
    partner, outside = OrganisationFactory(code="partner"), OrganisationFactory(code="outside")
    group = SharingGroupFactory(name="Operation Alder", members=[home, partner])
    author = UserFactory(organisation=home, roles=[Role.OFFICER])
    colleague = UserFactory(organisation=home, roles=[Role.ANALYST])
    partner_client = verified_client(UserFactory(organisation=partner, roles=[Role.ANALYST]))
    outside_client = verified_client(UserFactory(organisation=outside, roles=[Role.ANALYST]))

    shared = _submit(author)
    services.report_edit(actor=author, report=shared, changes={"text": "Corrected."}, reason="typo")
    assert [_page(outside_client, shared.pk, n)[0] for n in (1, 2)] == [200, 200]

    narrow = submit_report(
        author, level="confidential", sharing_group_ids=[group.pk], text="Informant Jane Keeper says so."
    )
    services.report_edit(
        actor=author, report=narrow, changes={"text": "A source says so.", "dissemination": "shared"}, reason="wider"
    )
    assert [_page(partner_client, narrow.pk, n)[0] for n in (1, 2)] == [200, 200]
    assert [_page(outside_client, narrow.pk, n)[0] for n in (1, 2)] == [404, 200]
    assert [_page(verified_client(colleague), narrow.pk, n)[0] for n in (1, 2)] == [200, 200]
    listed = outside_client.get(reverse("intelligence:detail", args=[narrow.pk])).content.decode()
    assert "Revision 2" in listed and "Revision 1" not in listed


def test_a_revision_is_reached_by_its_groups_not_their_names() -> None:
    """A group renamed after a revision, and its old name given to a group of another force: the revision
    still reaches the partner, and not the force now in a group of that name."""
    from cairn.accounts.models import SharingGroup
    from cairn.core.testing import SharingGroupFactory

    home, partner, outside = (OrganisationFactory(code=c) for c in ("rev", "partner", "outside"))
    group = SharingGroupFactory(name="Operation Alder", members=[home, partner])
    author = UserFactory(organisation=home, roles=[Role.OFFICER])
    report = submit_report(author, level="confidential", sharing_group_ids=[group.pk], text="Jane Keeper says so.")
    services.report_edit(
        actor=author, report=report, changes={"text": "A source says so.", "dissemination": "shared"}, reason="wider"
    )
    SharingGroup.objects.filter(pk=group.pk).update(name="Operation Birch")
    SharingGroupFactory(name="Operation Alder", members=[outside])
    partner_client = verified_client(UserFactory(organisation=partner, roles=[Role.ANALYST]))
    outside_client = verified_client(UserFactory(organisation=outside, roles=[Role.ANALYST]))
    assert _page(partner_client, report.pk, 1)[0] == 200
    status, body = _page(outside_client, report.pk, 1)
    assert (status, "Jane Keeper" in body) == (404, False)


def test_a_revision_that_was_confidential_asks_for_a_reason_though_the_report_is_shared_now(settings) -> None:
    settings.AUDIT_REQUIRE_JUSTIFICATION = True
    author = UserFactory(organisation=OrganisationFactory(code="rev"), roles=[Role.OFFICER])
    report = _submit(author, dissemination="confidential")
    services.report_edit(actor=author, report=report, changes={"dissemination": "shared"}, reason="wider")
    client = verified_client(UserFactory(organisation=author.organisation, roles=[Role.ANALYST]), reason="")
    first = client.get(reverse("intelligence:revision", args=[report.pk, 1]))
    assert first.status_code == 302 and reverse("core:reason") in first["Location"]
    assert client.get(reverse("intelligence:revision", args=[report.pk, 2])).status_code == 200
