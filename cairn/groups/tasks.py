"""Background jobs of crime-group work, run by the task worker (``cairn serve`` starts one)."""

from __future__ import annotations

from django_tasks import task

from cairn.groups import detection


@task()
def detect_groups(run_id: int) -> int:
    """Community detection over one analyst's visible graph (a DetectionRun shows its progress)."""
    return detection.execute(run_id)
