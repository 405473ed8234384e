"""Community detection over everything one analyst may see, as a background job with progress.

The graph is built from that analyst's visible statements only (``network.graph.visible_graph``),
so the candidates are theirs alone; they are checked against the rule again whenever shown.
"""

from __future__ import annotations

import traceback

from django.db import transaction
from django.utils import timezone

from cairn.accounts.models import User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.groups.choices import RunState
from cairn.groups.models import DetectionRun
from cairn.network import analytics
from cairn.network.graph import visible_graph

CANDIDATE_LIMIT = 50


def start(*, actor: User) -> DetectionRun:
    """Queue a run for the analyst; a queued or running one of theirs is returned instead."""
    from cairn.groups.tasks import detect_groups

    with transaction.atomic():
        current = DetectionRun.objects.select_for_update().filter(
            requested_by=actor, state__in=[RunState.QUEUED, RunState.RUNNING]
        )
        if existing := current.first():
            return existing
        run = DetectionRun.objects.create(requested_by=actor)
        audit.record(
            action=AuditAction.SEARCH,
            actor=actor,
            obj=run,
            object_type="groups.detection_run",
            object_repr=str(run),
            detail={"scope": "everything visible"},
        )
        transaction.on_commit(lambda: detect_groups.enqueue(run.pk))
    return run


def _progress(run: DetectionRun, **fields: object) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    run.save(update_fields=list(fields))


def execute(run_id: int) -> int:
    """Run one detection; returns the number of candidates found."""
    run = DetectionRun.objects.select_related("requested_by").get(pk=run_id)
    user = run.requested_by
    _progress(run, state=RunState.RUNNING, started_at=timezone.now(), stage="building your visible graph", percent=5)
    try:
        g = visible_graph(user)
        _progress(run, entities=g.vcount(), links=g.ecount(), stage="finding communities (Leiden)", percent=50)
        membership = analytics.leiden(g)
        _progress(run, stage="describing the candidate groups", percent=85)
        found = analytics.candidate_groups(user, g, membership, limit=CANDIDATE_LIMIT)
        _progress(
            run,
            candidates=[c.as_dict() for c in found],
            state=RunState.DONE,
            stage="finished",
            percent=100,
            finished_at=timezone.now(),
        )
        return len(found)
    except Exception:
        _progress(run, state=RunState.FAILED, error=traceback.format_exc()[-4000:], finished_at=timezone.now())
        raise
