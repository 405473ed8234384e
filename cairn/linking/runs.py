"""Re-resolution of every person record with the batch model, as a background job with progress."""

from __future__ import annotations

import traceback
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from cairn.accounts.models import User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.linking import matching, services
from cairn.linking.choices import ProposalSource, RunState
from cairn.linking.models import ResolutionRun

SAVE_CHUNK = 5000
# A queued or running run that has not moved for this long was left by a worker that stopped (a
# restart, a killed process): it is marked failed so that it does not stop every later run. A
# million records take about a minute from start to end; the longest step without a progress
# mark (scoring) takes well under this.
ABANDONED_AFTER = timedelta(hours=1)


def start(*, actor: User) -> ResolutionRun:
    """Queue a run; the worker picks it up. One run at a time: a queued or running one is returned instead."""
    from cairn.linking.tasks import resolve_everyone

    with transaction.atomic():
        current = ResolutionRun.objects.select_for_update().filter(state__in=[RunState.QUEUED, RunState.RUNNING])
        for existing in current:
            if existing.updated_at >= timezone.now() - ABANDONED_AFTER:
                return existing
            _progress(
                existing,
                state=RunState.FAILED,
                error=f"Abandoned: no progress since {existing.updated_at:%d %b %Y %H:%M} UTC (its worker stopped).",
                finished_at=timezone.now(),
            )
            audit.record(
                action=AuditAction.CHANGE,
                actor=actor,
                obj=existing,
                object_type="linking.run",
                object_repr=f"{existing} marked abandoned",
                detail={"abandoned": True},
            )
        run = ResolutionRun.objects.create(requested_by=actor)
        audit.record(action=AuditAction.CREATE, actor=actor, obj=run, object_type="linking.run", object_repr=str(run))
        transaction.on_commit(lambda: resolve_everyone.enqueue(run.pk))
    return run


def _progress(run: ResolutionRun, **fields: object) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=[*fields, "updated_at"])


def execute(run_id: int) -> int:
    with transaction.atomic():
        # Taken only while queued: a run marked abandoned (its worker stopped with the task still in
        # the queue) stays failed when a worker comes back, rather than running beside its successor.
        run = ResolutionRun.objects.select_for_update().filter(pk=run_id, state=RunState.QUEUED).first()
        if run is None:
            return 0
        _progress(run, state=RunState.RUNNING, started_at=timezone.now(), stage="reading person records")
    total = matching.record_count()
    _progress(run, records=total)
    try:
        rows: list[Any] = []
        # Each person record's report, to keep two people of one report apart below: an entity's first
        # report as a plain int (a set per record costs about 200 bytes, 200 MB at a million), the rare
        # others beside it.
        first_report: dict[int, int] = {}
        more_reports: dict[int, set[int]] = defaultdict(set)
        for chunk in matching.all_records():
            for record in chunk:
                if first_report.setdefault(record.entity_id, record.report_id) != record.report_id:
                    more_reports[record.entity_id].add(record.report_id)
            rows.extend(r.for_model() for r in chunk)

        def reports_of(entity_id: int) -> set[int]:
            return {first_report[entity_id], *more_reports.get(entity_id, ())}

            _progress(run, done=len(rows) // 2)  # reading is the first half of the work

        # No count in what viewers are shown: it would count records some of them may not know of.
        _progress(run, stage="scoring the records with the trained model")
        from cairn.linking.model import predict_pairs

        found = [
            (int(p.left_id), int(p.right_id), p.probability, p.score.match_weight, matching.explanation(p.score))
            for p in predict_pairs(rows, threshold=matching.PROPOSE_AT)
            # Two people named in one report are two people, as real-time matching holds.
            if not reports_of(int(p.left_id)) & reports_of(int(p.right_id))
        ]
        created = 0
        for start_at in range(0, len(found), SAVE_CHUNK):
            created += services.proposals_save(
                found[start_at : start_at + SAVE_CHUNK], source=ProposalSource.BATCH, run_id=run.pk
            )
            _progress(
                run,
                done=total // 2 + (total - total // 2) * min(len(found), start_at + SAVE_CHUNK) // max(1, len(found)),
            )
        _progress(
            run,
            state=RunState.DONE,
            done=total,
            stage="finished",
            proposals_created=created,
            finished_at=timezone.now(),
        )
        return created
    except Exception:
        _progress(run, state=RunState.FAILED, error=traceback.format_exc()[-4000:], finished_at=timezone.now())
        raise
