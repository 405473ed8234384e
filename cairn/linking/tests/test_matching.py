"""Real-time matching of new person records and the background re-resolution, with the trained model."""

from __future__ import annotations

import pytest

from cairn.accounts.choices import Role
from cairn.core.testing import OrganisationFactory, UserFactory, run_cli
from cairn.entities.models import Statement
from cairn.intelligence import services as intelligence
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.linking import runs
from cairn.linking.choices import ProposalSource, RunState
from cairn.linking.models import MatchProposal, ResolutionRun
from cairn.linking.tasks import match_reports


def submit(author, name: str, dob: str = "", phone: str = ""):
    subjects = [SubjectInput(kind="person", value=name, role="suspect", date_of_birth=dob, nationality="VN")]
    if phone:
        subjects.append(SubjectInput(kind="phone", value=phone, role="user", linked_to=0, relation="uses"))
    return intelligence.report_submit(
        actor=author,
        data=ReportInput(
            text=f"{name} seen at the nail bar.",
            source_evaluation="2",
            intelligence_assessment="B",
            handling_code="P",
            subjects=subjects,
        ),
    )


def record(report) -> int:
    return Statement.unscoped_objects.get(report=report, prop="name").entity_id


@pytest.fixture
def analysts():
    return [
        UserFactory(organisation=OrganisationFactory(code=code), roles=[Role.ANALYST])
        for code in ("alder", "bracken", "calder")
    ]


@pytest.mark.django_db
def test_a_new_record_is_matched_against_everyone_with_an_explanation(analysts) -> None:
    a = submit(analysts[0], "Nguyen Van Minh", "1994-03-07")
    b = submit(analysts[1], "Nguyễn Văn Minh", "1994", "020 7946 0372")
    submit(analysts[2], "Tran Thi Lan", "1994-03-07")  # another person: never proposed
    assert match_reports.call([a.pk, b.pk]) >= 1
    [proposal] = MatchProposal.unscoped_objects.all()
    assert {proposal.left_id, proposal.right_id} == {record(a), record(b)}
    assert proposal.cross_organisation and proposal.source == ProposalSource.REALTIME
    assert proposal.probability >= 0.5
    fields = {f["field"]: f for f in proposal.explanation}
    assert fields["dob"]["level"] == "year only" and fields["name"]["weight"] > 0


@pytest.mark.django_db
def test_two_people_in_one_report_are_not_proposed(analysts) -> None:
    report = intelligence.report_submit(
        actor=analysts[0],
        data=ReportInput(
            text="Nguyen Van Minh and his brother Nguyen Van Minh Junior.",
            source_evaluation="2",
            intelligence_assessment="B",
            handling_code="P",
            subjects=[
                SubjectInput(kind="person", value="Nguyen Van Minh", role="suspect", date_of_birth="1994"),
                SubjectInput(kind="person", value="Nguyen Van Minh", role="associate", date_of_birth="1994"),
            ],
        ),
    )
    match_reports.call([report.pk])
    assert not MatchProposal.unscoped_objects.exists()


@pytest.mark.django_db
def test_a_run_its_worker_left_does_not_stop_later_runs(analysts) -> None:
    from datetime import timedelta

    from django.utils import timezone

    left = runs.start(actor=analysts[0])
    ResolutionRun.objects.filter(pk=left.pk).update(state=RunState.RUNNING)
    # Still moving: it is the one run, and asking again returns it.
    assert runs.start(actor=analysts[1]).pk == left.pk
    # No progress for longer than a run could go without: its worker stopped.
    ResolutionRun.objects.filter(pk=left.pk).update(updated_at=timezone.now() - runs.ABANDONED_AFTER - timedelta(1))
    fresh = runs.start(actor=analysts[1])
    assert fresh.pk != left.pk and fresh.state == RunState.QUEUED
    left.refresh_from_db()
    assert left.state == RunState.FAILED and left.finished_at is not None
    assert "Abandoned" in left.error
    from cairn.audit.models import AuditEntry

    marked = AuditEntry.objects.get(object_type="linking.run", object_id=str(left.pk), action="change")
    assert marked.actor_username == analysts[1].username and marked.detail == {"abandoned": True}
    assert runs.start(actor=analysts[0]).pk == fresh.pk  # and the new one is now the one run


@pytest.mark.django_db(transaction=True)
def test_a_re_resolution_run_is_done_by_the_worker_with_progress(analysts) -> None:
    for i, (name, dob) in enumerate([("Minh NGUYEN", "1994-07-03"), ("Nguyen Van Minh", "1994-03-07")]):
        submit(analysts[i], name, dob, "020 7946 0372")
    run = runs.start(actor=analysts[0])
    assert runs.start(actor=analysts[1]).pk == run.pk  # one run at a time
    # The worker a deployment runs (`cairn serve` has one in-process) picks the job up.
    result = run_cli("db_worker", "--batch", "--no-startup-delay", timeout=300)
    assert result.returncode == 0, result.stderr
    run = ResolutionRun.objects.get(pk=run.pk)
    assert run.state == RunState.DONE, run.error
    assert run.records == 2 and run.done == 2 and run.percent == 100
    assert (
        MatchProposal.unscoped_objects.filter(source__in=[ProposalSource.BATCH, ProposalSource.REALTIME]).count() == 1
    )
