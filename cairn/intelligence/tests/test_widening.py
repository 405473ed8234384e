"""A report an edit lets more people read tells them what it meets, once."""

from __future__ import annotations

import pytest

from cairn.accounts.choices import Role
from cairn.core.testing import OrganisationFactory, UserFactory, submit_report
from cairn.intelligence import services
from cairn.intelligence.inputs import SubjectInput
from cairn.notifications.models import Notification

pytestmark = pytest.mark.django_db


def submit(author, text: str, level: str = "shared"):
    return submit_report(author, SubjectInput(kind="phone", value="07700 900461", role="user"), text=text, level=level)


def test_an_edit_that_widens_a_report_tells_the_other_side_of_its_hits_once(
    django_capture_on_commit_callbacks,
) -> None:
    alder = UserFactory(organisation=OrganisationFactory(code="alder"), roles=[Role.OFFICER])
    bracken = UserFactory(organisation=OrganisationFactory(code="bracken"), roles=[Role.OFFICER])
    with django_capture_on_commit_callbacks(execute=True):
        secret = submit(alder, "Informant: 07700 900461.", level="confidential")
        submit(bracken, "Advert 07700 900461.")
    # Bracken may not know the confidential report exists: told nothing yet.
    assert not Notification.objects.filter(recipient=bracken).exists()

    for text in ("Informant says 07700 900461.", "Informant said 07700 900461."):
        with django_capture_on_commit_callbacks(execute=True):
            services.report_edit(
                actor=alder, report=secret, changes={"text": text, "dissemination": "shared"}, reason="cleared"
            )
    [told] = Notification.objects.filter(recipient=bracken)
    assert secret.reference in told.text and told.link == f"/intelligence/{secret.pk}/"


def test_editing_a_sanitised_version_makes_no_hits_of_its_own(django_capture_on_commit_callbacks) -> None:
    from cairn.entities.models import Statement
    from cairn.linking.models import Hit

    alder = UserFactory(organisation=OrganisationFactory(code="alder"), roles=[Role.OFFICER])
    supervisor = UserFactory(organisation=alder.organisation, roles=[Role.SUPERVISOR])
    bracken = UserFactory(organisation=OrganisationFactory(code="bracken"), roles=[Role.OFFICER])
    with django_capture_on_commit_callbacks(execute=True):
        original = submit(alder, "Informant: 07700 900461.", level="confidential")
        submit(bracken, "Advert 07700 900461.")
    phone = Statement.unscoped_objects.get(report=original, prop="subject").entity_id
    with django_capture_on_commit_callbacks(execute=True):
        version = services.sanitised_version_create(
            actor=supervisor,
            report=original,
            text="A phone, 07700 900461, is of interest.",
            dissemination="shared",
            subject_entity_ids=[phone],
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.report_edit(
            actor=supervisor, report=version, changes={"text": "07700 900461 is of interest."}, reason="wording"
        )
    # The original made the hits; its sanitised version, edited, makes none of its own.
    assert not Hit.unscoped_objects.filter(report=version).exists()
    assert not Hit.unscoped_objects.filter(other_report=version).exists()
