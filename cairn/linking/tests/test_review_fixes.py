"""Regressions found in review of linking: leaks through proposals and splits, auto-merges, races, the CLI."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from cairn.accounts.choices import Role
from cairn.audit.models import AuditEntry
from cairn.core.testing import (
    OrganisationFactory,
    UserFactory,
    two_rounds_at_once,
    verified_client,
)
from cairn.core.testing import (
    backend_pid as _backend_pid,
)
from cairn.core.testing import (
    in_thread as _in_thread,
)
from cairn.core.testing import (
    wait_until as _wait_until,
)
from cairn.core.testing import (
    waits_for_a_lock as _waits_for_a_lock,
)
from cairn.entities.choices import EntityKind
from cairn.entities.models import Statement
from cairn.intelligence import services as intelligence
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.intelligence.models import IntelligenceReport
from cairn.linking import matching, selectors, services
from cairn.linking.choices import Decision
from cairn.linking.models import Judgement, MatchProposal, NoiseSelector
from cairn.linking.tasks import match_reports
from cairn.linking.tests.test_resolve_cli import cairn, clusters, write
from cairn.notifications.models import Notification


def submit(
    author: Any,
    name: str = "",
    *,
    dob: str = "",
    nationality: str = "",
    phone: str = "",
    level: str = "shared",
    text: str = "",
) -> IntelligenceReport:
    subjects = []
    if name:
        subjects.append(
            SubjectInput(kind="person", value=name, role="suspect", date_of_birth=dob, nationality=nationality)
        )
    if phone:
        subjects.append(SubjectInput(kind="phone", value=phone, role="user"))
    return intelligence.report_submit(
        actor=author,
        data=ReportInput(
            text=text or f"{name or phone} seen at the nail bar.",
            source_evaluation="2",
            intelligence_assessment="B",
            handling_code="P",
            dissemination=level,
            subjects=subjects,
        ),
    )


def person(report: IntelligenceReport) -> int:
    return Statement.unscoped_objects.get(report=report, entity__kind=EntityKind.PERSON, prop="subject").entity_id


def analyst(code: str) -> Any:
    return UserFactory(organisation=OrganisationFactory(code=code), roles=[Role.ANALYST])


def pair(x: int, y: int) -> MatchProposal:
    return MatchProposal.unscoped_objects.get(left_id=min(x, y), right_id=max(x, y))


def split_via_api(user: Any, entity_id: int) -> Any:
    return verified_client(user).post(
        f"/api/v1/people/{entity_id}/split", {"reason": "twins"}, content_type="application/json"
    )


# --- a sanitised version and the proposals of its person ---------------------------------------------


def sanitised_world() -> dict[str, Any]:
    """Alder's confidential original on a man (date of birth, nationality, phone), a shared sanitised version
    keeping only his name, and Bracken's shared record of the same name born 1988, proposed with the original."""
    alder_org = OrganisationFactory(code="alder")
    alder = UserFactory(organisation=alder_org, roles=[Role.ANALYST])
    alder_supervisor = UserFactory(organisation=alder_org, roles=[Role.SUPERVISOR])
    bracken, calder = analyst("bracken"), analyst("calder")
    original = submit(
        alder, "Nguyen Van Minh", dob="1988-11-23", nationality="VN", phone="020 7946 0999", level="confidential"
    )
    version = intelligence.sanitised_version_create(
        actor=alder_supervisor,
        report=original,
        text="A man is believed to work at a nail bar.",
        dissemination="shared",
        subject_entity_ids=[person(original)],
    )
    theirs = submit(bracken, "Nguyễn Văn Minh", dob="1988", nationality="VN")
    match_reports.call([original.pk, theirs.pk, version.pk])
    return {
        "alder": alder,
        "bracken": bracken,
        "calder": calder,
        "original": original,
        "version": version,
        "theirs": theirs,
        "proposal": pair(person(original), person(theirs)),
    }


@pytest.mark.django_db
def test_a_sanitised_version_does_not_open_the_originals_facts_in_a_proposal() -> None:
    """Calder may read only the sanitised version: the original's date of birth and phone stay hidden."""
    world = sanitised_world()
    alder, bracken, calder, proposal = world["alder"], world["bracken"], world["calder"], world["proposal"]

    for outsider in (calder, bracken):  # each may read the sanitised version (and Bracken its own record)
        queue = verified_client(outsider).get("/api/v1/proposals").json()
        detail = verified_client(outsider).get(f"/api/v1/proposals/{proposal.pk}")
        seen = json.dumps(queue) + detail.content.decode()
        assert "1988-11-23" not in seen and "7946" not in seen
        assert detail.status_code == 404 and queue["total"] == 0  # one side is not theirs to read in full
    # The originator, who may read both records in full, still judges the pair.
    insider = verified_client(alder).get(f"/api/v1/proposals/{proposal.pk}")
    assert insider.status_code == 200 and "1988-11-23" in insider.content.decode()


@pytest.mark.django_db
def test_a_sanitised_version_is_not_a_second_record_of_its_person() -> None:
    """The version names the original's person: the model scores that person once, from the original."""
    alder_org = OrganisationFactory(code="alder")
    alder = UserFactory(organisation=alder_org, roles=[Role.ANALYST])
    alder_supervisor = UserFactory(organisation=alder_org, roles=[Role.SUPERVISOR])
    original = submit(alder, "Nguyen Van Minh", dob="1988-11-23", level="confidential")
    version = intelligence.sanitised_version_create(
        actor=alder_supervisor,
        report=original,
        text="A man is believed to work at a nail bar.",
        dissemination="shared",
        subject_entity_ids=[person(original)],
    )
    [theirs] = matching.records_for_reports([submit(analyst("bracken"), "Nguyễn Văn Minh", dob="1988").pk])
    found = [(c.entity_id, c.report_id, c.birth_date) for c in matching.candidates_for(theirs)]
    assert found == [(person(original), original.pk, "1988-11-23")]
    assert matching.records_for_reports([version.pk]) == []


# --- the explanation's columns -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_explanations_columns_belong_to_the_records_they_are_shown_under() -> None:
    """Each column of the explanation is the record shown on that side, whichever record's id is the lower
    (entity ids are in no order, so the later record is on the left about half the time)."""
    alder, bracken = analyst("alder"), analyst("bracken")
    first = submit(alder, "Nguyen Van Minh", dob="1994-03-07", nationality="VN")
    later = submit(bracken, "Minh NGUYEN", dob="1994", nationality="VN")
    match_reports.call([later.pk])
    proposal = pair(person(first), person(later))
    body = verified_client(alder).get(f"/api/v1/proposals/{proposal.pk}").json()
    fields = {f["field"]: f for f in body["explanation"]}
    dob = {person(first): "1994-03-07", person(later): "1994"}
    name = {person(first): "nguyen van minh", person(later): "minh nguyen"}
    assert body["left"]["dates_of_birth"] == [dob[body["left_id"]]]
    assert (fields["dob"]["left"], fields["dob"]["right"]) == (dob[body["left_id"]], dob[body["right_id"]])
    assert (fields["name"]["left"], fields["name"]["right"]) == (name[body["left_id"]], name[body["right_id"]])


# --- automatic merges --------------------------------------------------------------------------------


@pytest.fixture
def two_records() -> tuple[Any, Any, int, int]:
    a, b = analyst("alder"), analyst("bracken")
    x = person(submit(a, "Ann Lee"))
    y = person(submit(b, "Ann Lee"))
    return a, b, x, y


@pytest.mark.django_db
@override_settings(CAIRN_AUTO_MERGE_THRESHOLD="0.95")
def test_an_undone_automatic_merge_stays_undone_when_the_pair_is_scored_again(two_records) -> None:
    a, _, x, y = two_records
    services.proposals_save([(x, y, 0.99, 9.0, [])])
    [auto] = Judgement.objects.filter(automatic=True)
    services.judgement_undo(actor=a, judgement_id=auto.pk, reason="not her")
    services.proposals_save([(y, x, 0.99, 9.0, [])])  # a re-resolution run, or the report saved again
    assert services.cluster_of(x) == {x}
    assert Judgement.objects.filter(undone_at__isnull=True).count() == 0
    assert pair(x, y) in selectors.review_queue(actor=a)  # back with an analyst, where the undo put it


@pytest.mark.django_db
@override_settings(CAIRN_AUTO_MERGE_THRESHOLD="0.95")
def test_each_automatic_merge_is_audited(two_records) -> None:
    a, _, x, y = two_records
    z = person(submit(a, "Ann Lee", text="Ann Lee again."))
    services.proposals_save([(x, y, 0.99, 9.0, []), (y, z, 0.97, 8.0, [])])
    for left, right in ((x, y), (y, z)):
        proposal = pair(left, right)
        entries = AuditEntry.objects.filter(object_type="linking.proposal", object_id=str(proposal.pk))
        # One for each organisation holding a side, so both sets of auditors see it.
        assert sorted(e.subject_organisation.code for e in entries) == ["alder", "bracken"]
        for entry in entries:
            assert entry.actor is None and entry.detail["automatic"] is True
            assert entry.detail["decision"] == Decision.SAME


# --- a split reveals nothing about records you may not read ------------------------------------------


@pytest.mark.django_db
def test_a_split_answers_the_same_for_hidden_and_missing_records(two_records) -> None:
    a, _, x, _ = two_records
    calder = analyst("calder")
    secret = person(submit(calder, "Ann Lee", level="confidential"))
    secret_twin = person(submit(calder, "Ann Lee", text="Ann Lee once more.", level="confidential"))
    lone_secret = person(submit(calder, "Bob Ray", level="confidential"))
    services.proposals_save([(secret, secret_twin, 0.9, 5.0, []), (x, secret_twin, 0.9, 5.0, [])])
    services.judge(actor=calder, proposal_id=pair(secret, secret_twin).pk, decision="same", reason="same")

    merged_hidden, lone_hidden, missing = (split_via_api(a, i) for i in (secret, lone_secret, 99_999_999))
    assert merged_hidden.status_code == lone_hidden.status_code == missing.status_code == 404
    assert merged_hidden.json() == lone_hidden.json() == missing.json()

    # Alder's own record merged with a record confidential to Calder looks to Alder like any record alone.
    services.judge(actor=calder, proposal_id=pair(x, secret_twin).pk, decision="same", reason="same")
    lone_own = person(submit(a, "Cy Moss"))
    merged_own, alone = split_via_api(a, x), split_via_api(a, lone_own)
    assert merged_own.status_code == alone.status_code == 422
    assert merged_own.json() == alone.json()
    assert services.cluster_of(x) == {x, secret, secret_twin}  # and nothing was split


# --- noise marks on selectors you cannot see ---------------------------------------------------------


@pytest.mark.django_db
def test_a_noise_mark_on_a_selector_you_cannot_see_cannot_be_cleared_or_detected() -> None:
    alder_supervisor = UserFactory(organisation=OrganisationFactory(code="alder"), roles=[Role.SUPERVISOR])
    bracken_supervisor = UserFactory(organisation=OrganisationFactory(code="bracken"), roles=[Role.SUPERVISOR])
    report = submit(alder_supervisor, phone="0800 121 700", level="confidential", text="Called the helpline.")
    (helpline,) = set(selectors.selector_entity_ids(report))
    services.noise_mark(actor=alder_supervisor, entity_id=helpline, reason="helpline")
    client = verified_client(bracken_supervisor)
    hidden = client.delete(f"/api/v1/noise/{helpline}?reason=oops")
    missing = client.delete("/api/v1/noise/99999999?reason=oops")
    assert hidden.status_code == missing.status_code == 422
    assert hidden.json() == missing.json()
    assert NoiseSelector.objects.filter(entity_id=helpline).exists()
    assert verified_client(alder_supervisor).delete(f"/api/v1/noise/{helpline}?reason=cleared").status_code == 204


# --- races (two transactions at once) ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_undo_and_a_judgement_of_the_same_proposal_at_once_do_not_deadlock(monkeypatch) -> None:
    a, b = analyst("alder"), analyst("bracken")
    x, y = person(submit(a, "Ann Lee")), person(submit(b, "Ann Lee"))
    services.proposals_save([(x, y, 0.9, 5.0, [])])
    proposal = pair(x, y)
    first = services.judge(actor=a, proposal_id=proposal.pk, decision="same", reason="same")
    undo_holds_its_locks = threading.Event()
    judge_pid: list[int] = []
    real_refresh = services._refresh_decision

    def refresh_once_the_judge_waits(proposal_id: int) -> str:
        if threading.current_thread().name == "undo":
            undo_holds_its_locks.set()
            _wait_until(lambda: bool(judge_pid) and _waits_for_a_lock(judge_pid[0]), "the judgement to wait")
        return real_refresh(proposal_id)

    def judge_after_the_undo_locked() -> None:
        judge_pid.append(_backend_pid())
        _wait_until(undo_holds_its_locks.is_set, "the undo to lock")
        services.judge(actor=a, proposal_id=proposal.pk, decision=Decision.NOT_SAME)

    monkeypatch.setattr(services, "_refresh_decision", refresh_once_the_judge_waits)
    errors: dict[str, str] = {}
    threads = [
        _in_thread("undo", errors, lambda: services.judgement_undo(actor=b, judgement_id=first.pk, reason="no")),
        _in_thread("judge", errors, judge_after_the_undo_locked),
    ]
    for thread in threads:
        thread.join(120)
    assert errors == {}
    proposal.refresh_from_db()
    assert proposal.decision == Decision.NOT_SAME
    assert Judgement.objects.get(pk=first.pk).undone_at is not None


@pytest.mark.django_db(transaction=True)
def test_two_hit_rounds_at_once_tell_each_side_once(monkeypatch) -> None:
    alder = UserFactory(organisation=OrganisationFactory(code="alder"), roles=[Role.OFFICER])
    bracken = UserFactory(organisation=OrganisationFactory(code="bracken"), roles=[Role.OFFICER])
    secret = submit(alder, phone="07700 900461", level="confidential", text="Informant on a mobile.")
    submit(bracken, phone="07700 900461", text="Advert with a mobile number.")  # Bracken may not know of Alder's yet
    assert not Notification.objects.filter(recipient=bracken).exists()
    IntelligenceReport.unscoped_objects.filter(pk=secret.pk).update(dissemination="shared")  # released wider

    # The first round pauses once it has read the hits nobody was told of, before telling anyone.
    errors = two_rounds_at_once(monkeypatch, services, "_access_by_author", lambda: services.record_hits([secret.pk]))
    assert errors == {}
    assert Notification.objects.filter(recipient=bracken).count() == 1


# --- cairn resolve -----------------------------------------------------------------------------------


def test_resolve_refuses_to_write_over_its_input(tmp_path: Path) -> None:
    text = "id,name\n1,Ann Lee\n2,Ann Lee\n"
    src = write(tmp_path / "people.csv", text)
    r = cairn(str(src), "--out", str(src))
    assert r.returncode != 0 and "--out" in r.stderr and "people.csv" in r.stderr
    assert src.read_text(encoding="utf-8") == text
    other = write(tmp_path / "other.csv", text)
    alias = tmp_path / "alias.csv"
    alias.symlink_to(other)
    r = cairn("--link-only", str(src), str(other), "--out", str(alias))
    assert r.returncode != 0 and "--out" in r.stderr
    assert other.read_text(encoding="utf-8") == text


def test_resolve_cluster_ids_of_named_and_unnamed_records_never_meet(tmp_path: Path) -> None:
    src = write(tmp_path / "people.csv", "id,name\nunnamed-0-2,Ann Lee\n2,\n")
    out = tmp_path / "clusters.csv"
    r = cairn(str(src), "--out", str(out))
    assert r.returncode == 0, r.stderr
    got = clusters(out)
    assert got["unnamed-0-2"][0] != got["2"][0]


def _unwritable_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    for candidate in (folder, Path("/sys")):  # root writes through permissions; sysfs refuses everyone
        try:
            (candidate / "cairn-probe").touch()
        except OSError:
            return candidate
        (candidate / "cairn-probe").unlink()
    pytest.skip("no folder here refuses writing")


def test_resolve_into_a_folder_that_cannot_be_written_is_a_clear_error(tmp_path: Path) -> None:
    src = write(tmp_path / "people.csv", "id,name\n1,Ann Lee\n2,Ann Lee\n")
    folder = _unwritable_folder(tmp_path)
    r = cairn(str(src), "--out", str(folder / "clusters.csv"))
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert "cannot write" in r.stderr and str(folder) in r.stderr
