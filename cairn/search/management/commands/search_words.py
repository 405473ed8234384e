"""``cairn search_words``: rebuild the vocabulary "did you mean" corrects from.

Reports' words are added as the reports arrive (a background task); a rebuild reads every report
again, for a database loaded by other means (a restore, COPY) or after text was edited.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Rebuild the vocabulary of report words that search's 'did you mean' corrects from."

    def handle(self, *args: Any, **options: Any) -> None:
        from cairn.audit import services as audit
        from cairn.audit.choices import AuditAction
        from cairn.search import vocabulary

        started = time.perf_counter()
        words = vocabulary.rebuild()
        seconds = time.perf_counter() - started
        audit.record(
            action=AuditAction.CHANGE,
            actor=None,
            object_type="search.vocabulary",
            object_repr="search vocabulary rebuilt",
            detail={"words": words, "seconds": round(seconds, 1)},
        )
        self.stdout.write(f"{words:,} words from every report in {seconds:.1f} s")
