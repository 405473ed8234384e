"""Bulk writes with PostgreSQL's COPY, inside the caller's transaction.

``bulk_create`` builds one multi-row INSERT per batch: Django prepares every value of every
field, and psycopg then parses the whole statement to bind its parameters, which costs more than
the rows themselves. COPY sends the rows as a stream of tuples instead. The helpers here are for
write paths that already hold validated, complete rows (ingest, the importer's batches):

* ``allocate_ids(model, n)`` draws ``n`` primary keys as the table would number them, so rows that
  point at each other (statements at entities, index rows at statements) can be written by COPY
  and still know each other's ids;
* ``copy_rows(model, columns, rows)`` streams tuples into the model's table;
* ``copy_instances(model, objs)`` does the same for unsaved model instances whose primary keys are set.

COPY runs on the connection's current transaction, so a failing batch rolls back with everything
else; it fires no Django signals and skips ``auto_now``/``default`` handling, so callers set every
value themselves. Generated columns are left to PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models
from psycopg.types.json import Jsonb

_NEXT_ID: dict[str, str] = {}


def _next_id(model: type[models.Model]) -> str:
    """The SQL expression that numbers a new row of ``model``: the id column's own default where it has
    one (``cairn_public_id(nextval(…))`` for rows whose ids must not count), else its identity sequence."""
    table = model._meta.db_table
    expression = _NEXT_ID.get(table)
    if expression is None:
        column = model._meta.pk.column  # type: ignore[union-attr]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_expr(d.adbin, d.adrelid), pg_get_serial_sequence(%s, %s) FROM pg_attribute a "
                "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
                "WHERE a.attrelid = %s::regclass AND a.attname = %s",
                [table, column, table, column],
            )
            default, sequence = cursor.fetchone() or (None, None)
        if default and "nextval(" in default:
            expression = default
        elif sequence:
            expression = f"nextval('{sequence}'::regclass)"
        else:
            raise LookupError(f"{table} has no sequence behind its primary key")
        _NEXT_ID[table] = expression
    return expression


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` new primary keys for ``model``, as its id column would number them, in the order drawn
    (for a table numbered by ``cairn_public_id`` that is the order of its rows, not of the numbers)."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_next_id(model)} FROM generate_series(1, %s) AS g(n) ORDER BY g.n",  # noqa: S608 (the catalog's own SQL)
            [count],
        )
        return [r[0] for r in cursor.fetchall()]


def copy_rows(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY ``rows`` (tuples in the order of ``columns``, database column names) into ``model``'s table."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
                count += 1
    return count


def _fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if not getattr(f, "generated", False)  # PostgreSQL computes those
    ]


def copy_instances(model: type[models.Model], objs: Sequence[models.Model]) -> int:
    """COPY unsaved instances (primary keys already set, e.g. from ``allocate_ids``) and mark them saved."""
    if not objs:
        return 0
    fields = _fields(model)
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}

    def value(obj: models.Model, attname: str) -> Any:
        raw = getattr(obj, attname)
        return Jsonb(raw) if attname in json_fields and raw is not None else raw

    names = [f.attname for f in fields]
    count = copy_rows(model, [f.column for f in fields], (tuple(value(o, n) for n in names) for o in objs))
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return count
