"""Proposals, judgements, merged people and splits, as analysts of different organisations see them."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.urls import reverse

from cairn.accounts.choices import Role
from cairn.audit.models import AuditEntry
from cairn.core.testing import OrganisationFactory, UserFactory, verified_client
from cairn.entities.choices import EntityKind
from cairn.entities.models import Statement
from cairn.intelligence import services as intelligence
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.linking import selectors, services
from cairn.linking.choices import Decision
from cairn.linking.models import Judgement, MatchProposal

pytestmark = pytest.mark.django_db

SPELLINGS = [
    ("alder", "Nguyen Van Minh", "1994-03-07"),
    ("bracken", "Nguyễn Văn Minh", "1994"),
    ("calder", "Minh NGUYEN", ""),
]


def person_entity(report) -> int:
    return Statement.unscoped_objects.get(report=report, entity__kind=EntityKind.PERSON, prop="subject").entity_id


@pytest.fixture
def world():
    """Three forces each record the same man; Calder's record is restricted."""
    made: dict = {}
    for code, name, dob in SPELLINGS:
        org = OrganisationFactory(code=code)
        made[code] = UserFactory(username=f"{code}.analyst", organisation=org, roles=[Role.ANALYST])
        report = intelligence.report_submit(
            actor=made[code],
            data=ReportInput(
                text=f"{name} drives workers to the car wash.",
                source_evaluation="2",
                intelligence_assessment="B",
                handling_code="P",
                dissemination="restricted" if code == "calder" else "shared",
                subjects=[SubjectInput(kind="person", value=name, role="suspect", date_of_birth=dob)],
            ),
        )
        made[f"{code}.record"] = person_entity(report)
        made[f"{code}.report"] = report
    a, b, c = made["alder.record"], made["bracken.record"], made["calder.record"]
    services.proposals_save(
        [
            (a, b, 0.97, 8.2, [{"field": "name", "level": "transliteration", "weight": 6.1, "left": "", "right": ""}]),
            (b, c, 0.91, 5.0, []),
            (a, c, 0.90, 4.8, []),
        ]
    )
    return made


def proposal(world, x: str, y: str) -> MatchProposal:
    left, right = sorted((world[f"{x}.record"], world[f"{y}.record"]))
    return MatchProposal.unscoped_objects.get(left_id=left, right_id=right)


def test_queue_shows_only_proposals_whose_records_you_may_read(world) -> None:
    alder_queue = set(selectors.review_queue(actor=world["alder"]))
    assert alder_queue == {proposal(world, "alder", "bracken")}  # Calder's record is only a flag to Alder
    calder_queue = set(selectors.review_queue(actor=world["calder"]))
    assert calder_queue == {
        proposal(world, "alder", "bracken"),
        proposal(world, "alder", "calder"),
        proposal(world, "bracken", "calder"),
    }
    officer = UserFactory(organisation=world["alder"].organisation, roles=[Role.OFFICER])
    assert list(selectors.review_queue(actor=officer)) == []  # officers do not resolve
    charity_worker = UserFactory(organisation=OrganisationFactory(code="haven", kind="charity"), roles=[Role.ANALYST])
    assert list(selectors.review_queue(actor=charity_worker)) == []  # sees neither side: never the proposal


def test_same_merges_and_each_viewer_sees_only_permitted_facts(world) -> None:
    calder = world["calder"]
    services.judge(
        actor=calder, proposal_id=proposal(world, "alder", "bracken").pk, decision="same", reason="DOB and name"
    )
    services.judge(actor=calder, proposal_id=proposal(world, "bracken", "calder").pk, decision="same", reason="photo")
    merged = {world["alder.record"], world["bracken.record"], world["calder.record"]}
    assert services.cluster_of(world["alder.record"]) == merged

    page = verified_client(calder).get(reverse("linking:person", args=[world["alder.record"]])).content.decode()
    assert "Merged person" in page and "Minh NGUYEN" in page and "Nguyễn Văn Minh" in page
    assert 'data-testid="split"' in page

    # Alder may read two of the three records: it sees those, and a flag for Calder's.
    page = verified_client(world["alder"]).get(reverse("linking:person", args=[world["alder.record"]])).content.decode()
    assert "Nguyen Van Minh" in page and "Nguyễn Văn Minh" in page
    assert "Minh NGUYEN" not in page and world["calder.report"].reference not in page
    assert 'data-testid="person-flag"' in page and "Calder Police" in page
    assert 'data-testid="split"' not in page  # it cannot read every record, so it cannot split

    # The API says the same.
    body = verified_client(world["alder"]).get(f"/api/v1/people/{world['alder.record']}").json()
    assert body["merged"] and {r["entity_id"] for r in body["records"]} == merged - {world["calder.record"]}
    assert [f["organisation"] for f in body["flags"]] == ["Calder Police"]

    # Someone who can read none of it gets "not found".
    stranger = UserFactory(organisation=OrganisationFactory(code="haven", kind="charity"), roles=[Role.VICTIM_CARE])
    assert verified_client(stranger).get(reverse("linking:person", args=[world["alder.record"]])).status_code == 404


def test_split_restores_every_record_exactly(world) -> None:
    calder = world["calder"]
    before = {
        r: list(
            Statement.unscoped_objects.filter(entity_id=world[f"{r}.record"]).values_list("id", "value").order_by("id")
        )
        for r in ("alder", "bracken", "calder")
    }
    for x, y in (("alder", "bracken"), ("bracken", "calder")):
        services.judge(actor=calder, proposal_id=proposal(world, x, y).pk, decision="same", reason="same man")
    with pytest.raises(PermissionDenied):
        services.split(actor=world["alder"], entity_id=world["alder.record"], reason="wrong")  # cannot read Calder's
    with pytest.raises(ValidationError):
        services.split(actor=calder, entity_id=world["alder.record"], reason="")
    response = verified_client(calder).post(
        reverse("linking:split", args=[world["bracken.record"]]), {"reason": "twins"}
    )
    assert response.status_code == 302
    for r in ("alder", "bracken", "calder"):
        assert services.cluster_of(world[f"{r}.record"]) == {world[f"{r}.record"]}
        after = list(
            Statement.unscoped_objects.filter(entity_id=world[f"{r}.record"]).values_list("id", "value").order_by("id")
        )
        assert after == before[r]
    assert not Judgement.objects.filter(undone_at__isnull=True, decision=Decision.SAME).exists()
    assert Judgement.objects.filter(undo_reason="twins").count() == 2  # history kept
    assert AuditEntry.objects.filter(object_type="linking.person", reason="twins").exists()


def test_a_judgement_on_records_you_cannot_read_is_refused(world) -> None:
    hidden = proposal(world, "alder", "calder")
    with pytest.raises(PermissionDenied):
        services.judge(actor=world["alder"], proposal_id=hidden.pk, decision="same", reason="looks alike")
    response = verified_client(world["alder"]).post(
        f"/api/v1/proposals/{hidden.pk}/judgements",
        {"decision": "same", "reason": "x"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert verified_client(world["alder"]).get(reverse("linking:proposal", args=[hidden.pk])).status_code == 404


def test_same_needs_a_reason_and_bad_decisions_are_refused(world) -> None:
    p = proposal(world, "alder", "bracken")
    client = verified_client(world["alder"])
    response = client.post(reverse("linking:proposal", args=[p.pk]), {"decision": "same", "reason": ""})
    assert response.status_code == 200 and "Say why" in response.content.decode()
    bad = client.post(f"/api/v1/proposals/{p.pk}/judgements", {"decision": "maybe"}, content_type="application/json")
    assert bad.status_code == 422 and "same, not same or unsure" in bad.json()["message"]
    ok = client.post(f"/api/v1/proposals/{p.pk}/judgements", {"decision": "not_same"}, content_type="application/json")
    assert ok.status_code == 201
    p.refresh_from_db()
    assert p.decision == Decision.NOT_SAME
    assert p not in selectors.review_queue(actor=world["alder"])  # decided: off the queue


def test_proposal_page_shows_both_records_and_the_models_reasons(world) -> None:
    p = proposal(world, "alder", "bracken")
    page = verified_client(world["bracken"]).get(reverse("linking:proposal", args=[p.pk])).content.decode()
    assert "Nguyen Van Minh" in page and "Nguyễn Văn Minh" in page and "1994-03-07" in page
    assert "transliteration" in page and "0.970" in page
    assert AuditEntry.objects.filter(object_type="linking.proposal", object_id=str(p.pk)).exists()


@override_settings(CAIRN_AUTO_MERGE_THRESHOLD="0.95")
def test_automatic_merge_is_marked_and_undone_in_one_click(world) -> None:
    a, b = world["alder.record"], world["bracken.record"]
    MatchProposal.unscoped_objects.all().delete()
    services.proposals_save([(a, b, 0.99, 9.0, []), (a, world["calder.record"], 0.6, 1.0, [])])
    [auto] = Judgement.objects.filter(automatic=True)
    assert auto.judged_by is None and "automatic" in auto.reason
    assert services.cluster_of(a) == {a, b}
    page = verified_client(world["alder"]).get(reverse("linking:person", args=[a])).content.decode()
    assert "merged automatically" in page
    response = verified_client(world["alder"]).post(reverse("linking:undo", args=[auto.pk]), {"reason": "not him"})
    assert response.status_code == 302
    assert services.cluster_of(a) == {a}
    auto.refresh_from_db()
    assert auto.undone_by == world["alder"] and auto.undo_reason == "not him"


def test_a_merge_with_a_record_confidential_to_you_does_not_show(world) -> None:
    """Alder may not know Dunmere's confidential record exists: not as a record, a flag or "merged"."""
    secret_org = OrganisationFactory(code="dunmere")
    insider = UserFactory(organisation=secret_org, roles=[Role.ANALYST])
    secret = intelligence.report_submit(
        actor=insider,
        data=ReportInput(
            text="Source: Nguyen Van Minh moves workers at night.",
            source_evaluation="2",
            intelligence_assessment="B",
            handling_code="P",
            dissemination="confidential",
            subjects=[SubjectInput(kind="person", value="Nguyen Van Minh", role="suspect", date_of_birth="1994")],
        ),
    )
    hidden = person_entity(secret)
    services.proposals_save([(world["alder.record"], hidden, 0.95, 6.0, [])])
    # Dunmere's analyst sees both records and merges them.
    p = MatchProposal.unscoped_objects.get(
        left_id=min(world["alder.record"], hidden), right_id=max(world["alder.record"], hidden)
    )
    services.judge(actor=insider, proposal_id=p.pk, decision="same", reason="source identifies him")
    assert services.cluster_of(world["alder.record"]) == {world["alder.record"], hidden}

    page = verified_client(world["alder"]).get(reverse("linking:person", args=[world["alder.record"]])).content.decode()
    assert "Merged person" not in page and "moves workers" not in page and "Dunmere" not in page
    body = verified_client(world["alder"]).get(f"/api/v1/people/{world['alder.record']}").json()
    assert body["merged"] is False and body["flags"] == [] and len(body["records"]) == 1
    assert selectors.resolved_person(actor=insider, entity_id=hidden).merged
