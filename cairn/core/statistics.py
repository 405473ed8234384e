"""Columns the planner needs no statistics for.

ANALYZE samples every column of a table; on the tables an import appends to, autovacuum analyses
again after every few per cent of new rows. Sorting tens of thousands of sampled report texts,
JSON snapshots and hashes costs more of that than all the other columns together, yet no query
filters, joins or sorts on them, so the planner never reads what is gathered. Their statistics
target is 0: ANALYZE skips them.
"""

from __future__ import annotations

from django.db import migrations


def without_statistics(table: str, *columns: str) -> migrations.RunSQL:
    """A migration operation that stops ANALYZE gathering statistics on ``columns`` of ``table``."""
    return migrations.RunSQL(
        sql=[f'ALTER TABLE "{table}" ALTER COLUMN "{c}" SET STATISTICS 0' for c in columns],
        reverse_sql=[f'ALTER TABLE "{table}" ALTER COLUMN "{c}" SET STATISTICS -1' for c in columns],
    )
