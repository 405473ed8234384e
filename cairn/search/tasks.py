"""Background jobs of search, run by the task worker (``cairn serve`` starts one; ``cairn db_worker`` too)."""

from __future__ import annotations

from django_tasks import task

from cairn.search import vocabulary


@task()
def add_report_words(report_ids: list[int]) -> int:
    """Add the words of newly arrived reports to the vocabulary "did you mean" corrects from."""
    vocabulary.add_report_words(report_ids)
    return len(report_ids)
