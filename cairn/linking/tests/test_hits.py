"""Correlation on shared selectors: hits for both originators within the rule, correlations on the page, noise."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cairn.accounts.choices import OrganisationKind, Role
from cairn.audit.models import AuditEntry
from cairn.core.testing import OrganisationFactory, SharingGroupFactory, UserFactory, verified_client
from cairn.intelligence import services
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.linking import selectors
from cairn.linking import services as linking
from cairn.linking.models import Hit, Sighting
from cairn.notifications.models import Notification

pytestmark = pytest.mark.django_db

PHONE = "07700 900461"


def phone(value: str = PHONE) -> SubjectInput:
    return SubjectInput(kind="phone", value=value, role="user")


def submit(author, text: str, *subjects: SubjectInput, level: str = "shared", source: str = "2"):
    return services.report_submit(
        actor=author,
        data=ReportInput(
            text=text,
            source_evaluation=source,
            intelligence_assessment="B",
            handling_code="P",
            dissemination=level,
            subjects=list(subjects),
        ),
    )


@pytest.fixture
def forces():
    made = {}
    for code in ("alder", "bracken", "calder"):
        org = OrganisationFactory(code=code)
        made[code] = UserFactory(username=f"{code}.officer", organisation=org, roles=[Role.OFFICER])
        made[f"{code}.supervisor"] = UserFactory(
            username=f"{code}.supervisor", organisation=org, roles=[Role.SUPERVISOR]
        )
    return made


def notes(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user).order_by("created_at", "id"))


def test_a_phone_shared_by_two_forces_tells_both_originators(forces, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(forces["alder"], "Driver uses 07700 900461.", phone())
    assert notes(forces["alder"]) == []  # nothing to meet yet
    with django_capture_on_commit_callbacks(execute=True):
        second = submit(forces["bracken"], "Parlour advert lists +44 7700 900461.", phone("+44 7700 900461"))
    [to_alder] = notes(forces["alder"])
    [to_bracken] = notes(forces["bracken"])
    assert to_alder.kind == "hit" and "Bracken Police" in to_alder.text and second.reference in to_alder.text
    assert to_alder.link == reverse("intelligence:detail", args=[second.pk])
    assert "+447700900461" in to_bracken.text and first.reference in to_bracken.text
    # Saving again (an edit, a review) tells nobody twice.
    linking.record_hits([second.pk])
    assert len(notes(forces["alder"])) == 1 and len(notes(forces["bracken"])) == 1


def test_restricted_counterpart_is_a_flag_and_confidential_is_nothing(
    forces, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        restricted = submit(forces["alder"], "Controller on 07700 900461.", phone(), level="restricted")
        hidden = submit(forces["calder"], "Informant: 07700 900461.", phone(), level="confidential")
        submit(forces["bracken"], "Advert with 07700 900461.", phone())
    bracken = notes(forces["bracken"])
    assert [n.kind for n in bracken] == ["hit_flag"]
    assert "Alder Police" in bracken[0].text and "Contact Alder Police intelligence desk" in bracken[0].text
    assert restricted.reference not in bracken[0].text
    assert all("Calder" not in n.text for n in bracken)
    # Calder's confidential report is told of the others as far as Calder may see them...
    assert sorted(n.kind for n in notes(forces["calder"])) == ["hit", "hit_flag"]
    assert all(hidden.reference in n.text for n in notes(forces["calder"]))
    # ...but nobody else learns that it exists.
    assert [n.kind for n in notes(forces["alder"])] == ["hit"]
    assert all("Calder" not in n.text for n in notes(forces["alder"]))


def test_same_organisation_and_unreviewed_reports_raise_no_hit_until_released(
    forces, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        submit(forces["alder"], "Phone 07700 900461 again.", phone())
        submit(forces["alder"], "Second Alder report, 07700 900461.", phone())
        waiting = submit(forces["bracken"], "Low grade tip: 07700 900461.", phone(), source="3")
    assert notes(forces["alder"]) == []  # its own reports, and one nobody else may see yet
    assert notes(forces["bracken"]) == []  # awaiting review: its originator is not told either
    with django_capture_on_commit_callbacks(execute=True):
        services.report_review(
            actor=forces["bracken.supervisor"], report=waiting, changes={"dissemination": "shared"}, reason="ok"
        )
    assert {n.kind for n in notes(forces["alder"])} == {"hit"}
    assert len(notes(forces["alder"])) == 2  # one per Alder report the new one meets
    assert len(notes(forces["bracken"])) == 2


def test_noise_stops_hits_and_shows_on_the_report(forces, django_capture_on_commit_callbacks) -> None:
    helpline = "0800 121 700"
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(forces["alder"], f"Victim called the helpline {helpline}.", phone(helpline))
    entity_id = selectors.selector_entity_ids(first)[0]
    with pytest.raises(Exception, match="supervisor"):
        linking.noise_mark(actor=forces["alder"], entity_id=entity_id, reason="helpline")
    with pytest.raises(Exception, match="Say why"):
        linking.noise_mark(actor=forces["alder.supervisor"], entity_id=entity_id, reason=" ")
    linking.noise_mark(actor=forces["alder.supervisor"], entity_id=entity_id, reason="Modern Slavery Helpline")
    with django_capture_on_commit_callbacks(execute=True):
        second = submit(forces["bracken"], f"Another call to {helpline}.", phone(helpline))
    assert notes(forces["alder"]) == [] and notes(forces["bracken"]) == []
    assert not Hit.unscoped_objects.exists()
    [correlation] = selectors.report_correlations(actor=forces["bracken"], report=second)
    assert correlation.noise and correlation.counterparts[0].reference == first.reference
    assert AuditEntry.objects.filter(object_type="linking.noise", reason="Modern Slavery Helpline").exists()


def test_report_page_lists_correlations_within_the_rule(forces) -> None:
    shared = submit(forces["alder"], "Driver on 07700 900461.", phone())
    restricted = submit(forces["calder"], "Controller on 07700 900461.", phone(), level="restricted")
    confidential = submit(forces["calder"], "Source says 07700 900461.", phone(), level="confidential")
    mine = submit(forces["bracken"], "Advert lists 07700 900461.", phone())
    page = verified_client(forces["bracken"]).get(reverse("intelligence:detail", args=[mine.pk])).content.decode()
    assert shared.reference in page
    assert 'data-testid="correlation-flag"' in page and "Calder Police holds restricted intelligence" in page
    assert restricted.reference not in page and confidential.reference not in page
    assert page.count('data-testid="correlation-flag"') == 1  # the confidential one is not even a flag


def test_a_charity_sees_no_flags_in_correlations(forces) -> None:
    charity = OrganisationFactory(code="haven", kind=OrganisationKind.CHARITY)
    worker = UserFactory(organisation=charity, roles=[Role.VICTIM_CARE])
    group = SharingGroupFactory(members=[charity, forces["bracken"].organisation])
    submit(forces["alder"], "Controller on 07700 900461.", phone(), level="restricted")
    theirs = services.report_submit(
        actor=forces["bracken"],
        data=ReportInput(
            text="Survivor was given 07700 900461 to call.",
            source_evaluation="2",
            intelligence_assessment="B",
            handling_code="P",
            dissemination="restricted",
            sharing_group_ids=[group.pk],
            subjects=[phone()],
        ),
    )
    # The charity reads Bracken's report through the group, but flags are for law enforcement only.
    assert selectors.report_correlations(actor=worker, report=theirs) == []


def test_correlations_api_matches_the_page(forces) -> None:
    shared = submit(forces["alder"], "Driver on 07700 900461.", phone())
    submit(forces["calder"], "Controller on 07700 900461.", phone(), level="restricted")
    mine = submit(forces["bracken"], "Advert lists 07700 900461.", phone())
    response = verified_client(forces["bracken"]).get(f"/api/v1/reports/{mine.pk}/correlations")
    assert response.status_code == 200
    [row] = response.json()
    assert row["value"] == "+447700900461"
    by_access = {c["access"]: c for c in row["counterparts"]}
    assert by_access["full"]["reference"] == shared.reference
    assert by_access["flag"]["reference"] == "" and by_access["flag"]["organisation"] == "Calder Police"
    assert verified_client(forces["alder"]).get("/api/v1/reports/999999/correlations").status_code == 404


def test_a_sanitised_version_meets_later_reports_of_another_force(forces, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        original = submit(
            forces["alder"], "Source says the controller uses 07700 900461.", phone(), level="confidential"
        )
    entity_id = selectors.selector_entity_ids(original)[0]
    with django_capture_on_commit_callbacks(execute=True):
        version = services.sanitised_version_create(
            actor=forces["alder.supervisor"],
            report=original,
            text="A controller is believed to use 07700 900461.",
            dissemination="shared",
            subject_entity_ids=[entity_id],
        )
    assert Sighting.unscoped_objects.filter(report=version, entity_id=entity_id).exists()
    with django_capture_on_commit_callbacks(execute=True):
        later = submit(forces["bracken"], "Advert with 07700 900461.", phone())
    # Bracken meets the sanitised version it may read; the confidential original stays unseen.
    [to_bracken] = notes(forces["bracken"])
    assert version.reference in to_bracken.text and original.reference not in to_bracken.text
    met = {frozenset(p) for p in Hit.unscoped_objects.values_list("report_id", "other_report_id")}
    assert frozenset((version.pk, later.pk)) in met  # stored lower id first, and ids are in no order


def test_a_selector_no_longer_noise_links_reports_saved_while_it_was(
    forces, django_capture_on_commit_callbacks
) -> None:
    helpline = "0800 121 700"
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(forces["alder"], f"Victim called {helpline}.", phone(helpline))
    entity_id = selectors.selector_entity_ids(first)[0]
    linking.noise_mark(actor=forces["alder.supervisor"], entity_id=entity_id, reason="helpline")
    with django_capture_on_commit_callbacks(execute=True):
        second = submit(forces["bracken"], f"Another call to {helpline}.", phone(helpline))
    assert not Hit.unscoped_objects.exists()
    # Stored as a sighting all the same, so clearing the mark lets a later report meet it.
    assert Sighting.unscoped_objects.filter(report=second, entity_id=entity_id).exists()
    linking.noise_clear(actor=forces["alder.supervisor"], entity_id=entity_id, reason="not the helpline after all")
    with django_capture_on_commit_callbacks(execute=True):
        third = submit(forces["calder"], f"Calls from {helpline}.", phone(helpline))
    met = {frozenset(pair) for pair in Hit.unscoped_objects.values_list("report_id", "other_report_id")}
    assert met == {frozenset((first.pk, third.pk)), frozenset((second.pk, third.pk))}
