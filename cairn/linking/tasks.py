"""Background jobs of linking, run by the task worker (``cairn serve`` starts one; ``cairn db_worker`` too)."""

from __future__ import annotations

from django_tasks import task

from cairn.linking import matching, runs, services


@task()
def match_reports(report_ids: list[int]) -> int:
    """Match the person records of newly arrived reports against everyone; returns proposals stored."""
    stored = 0
    for record in matching.records_for_reports(report_ids):
        stored += services.proposals_save(matching.match_record(record))
    return stored


@task()
def resolve_everyone(run_id: int) -> int:
    """Re-resolve every person record (a ResolutionRun shows its progress)."""
    return runs.execute(run_id)
