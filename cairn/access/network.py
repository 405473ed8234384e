"""The access rule as the graph needs it: hop by hop, over statements the viewer may see.

Nothing here decides anything new. ``GraphRule(user)`` builds the one rule of
cairn/access/intelligence.py (``report_q`` / ``flag_q``) once per request, and every
queryset below filters statements through it, so each hop of a graph walk is checked by
PostgreSQL against the rule, row by row through the report; a graph is never computed for
everyone and filtered afterwards.

Co-mention: two subjects of one report are neighbours through that report. The
submission service writes a ``subject`` statement for every subject, including both
ends of every relationship statement, so walking co-mentions reaches every
relationship neighbour too; relationship statements then label the edges.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet

from cairn.access.intelligence import flag_q, report_q
from cairn.entities.choices import Property
from cairn.entities.models import Entity, Statement
from cairn.intelligence.models import IntelligenceReport

_S = Statement._meta.db_table
_R = IntelligenceReport._meta.db_table
_E = Entity._meta.db_table

SUBJECT = Property.SUBJECT.value


class GraphRule:
    """The viewer's rule, built once (its sharing groups and granted requests read once) for a whole walk."""

    def __init__(self, user: Any) -> None:
        self.user = user
        self.full = report_q(user, "report__")
        self._flag: Q | None = None
        self._where: dict[Q | None, tuple[str, list[Any]]] = {}

    def _report_where(self, extra: Q | None) -> tuple[str, list[Any]]:
        """The rule (and ``extra``, a ``report__`` filter) as SQL on the report table, compiled once per walk.

        Compiled by Django from the very Q objects the querysets use, so the raw hop queries
        below apply exactly the same rule without paying the ORM's cost on every hop.
        """
        if extra not in self._where:
            q = self.full & extra if extra is not None else self.full
            query = Statement.unscoped_objects.filter(q).query
            sql, params = query.get_compiler(using="default").compile(query.where)
            self._where[extra] = (sql, list(params))
        return self._where[extra]

    def co_subject_rows(
        self, entity_ids: Collection[int], extra: Q | None = None, kinds: list[str] | None = None, limit: int = 0
    ) -> list[tuple[int, int, int]]:
        """(from entity, neighbour, report) for every visible co-mention of ``entity_ids``: one hop, one query."""
        where, params = self._report_where(extra)
        kind_join = f'JOIN "{_E}" ON "{_E}"."id" = "{_S}"."entity_id"' if kinds is not None else ""
        kind_cond = f'AND "{_E}"."kind" = ANY(%s)' if kinds is not None else ""
        sql = (
            f'SELECT t."entity_id", "{_S}"."entity_id", "{_S}"."report_id" FROM "{_S}" t '  # noqa: S608
            f'JOIN "{_R}" ON "{_R}"."id" = t."report_id" '
            f'JOIN "{_S}" ON "{_S}"."report_id" = t."report_id" AND "{_S}"."prop" = %s '
            f'{kind_join} WHERE t."entity_id" = ANY(%s) AND t."prop" = %s '
            f'AND "{_S}"."entity_id" <> t."entity_id" {kind_cond} AND ({where})' + (" LIMIT %s" if limit else "")
        )
        args: list[Any] = [SUBJECT, list(entity_ids), SUBJECT]
        if kinds is not None:
            args.append(kinds)
        args += params
        if limit:
            args.append(limit)
        with connection.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    @property
    def flag(self) -> Q:
        if self._flag is None:
            self._flag = flag_q(self.user, "report__")
        return self._flag

    def statements(self, extra: Q | None = None) -> QuerySet[Statement]:
        """Statements of reports the viewer may read in full (``extra``: a further ``report__`` filter)."""
        qs = Statement.unscoped_objects.filter(self.full).order_by()
        return qs.filter(extra) if extra is not None else qs

    def flagged_statements(self) -> QuerySet[Statement]:
        return Statement.unscoped_objects.filter(self.flag).order_by()

    def co_subjects(self, entity_ids: Collection[int], extra: Q | None = None) -> QuerySet[Statement]:
        """Subject statements of visible reports that also name one of ``entity_ids`` as a subject.

        Rows are the neighbour's statements; ``report__statements__entity_id`` is the entity it was
        reached from.
        """
        return self.statements(extra).filter(
            prop=SUBJECT, report__statements__prop=SUBJECT, report__statements__entity_id__in=list(entity_ids)
        )

    def relationships(self, extra: Q | None = None) -> QuerySet[Statement]:
        """Relationship statements (``related_entity`` set) of visible reports."""
        return self.statements(extra).filter(related_entity__isnull=False)

    def subject_pairs(self, extra: Q | None = None) -> QuerySet[Statement]:
        """Every co-mention of the viewer's visible graph, once per (report, lower id, higher id)."""
        return self.statements(extra).filter(
            prop=SUBJECT, report__statements__prop=SUBJECT, report__statements__entity_id__gt=F("entity_id")
        )

    def subjects(self, extra: Q | None = None) -> QuerySet[Statement]:
        return self.statements(extra).filter(prop=SUBJECT)

    def entity_access(self, entity_ids: Collection[int]) -> dict[int, tuple[str, str]]:
        """(access, kind) for each of ``entity_ids`` the viewer may know: access is 'full' or 'flag'.

        The rest are absent: an entity the viewer may not know is left out exactly as one
        that does not exist.
        """
        ids = list(entity_ids)
        visible = self.statements()
        rows = visible.filter(entity_id__in=ids).values_list("entity_id", "entity__kind").distinct()
        out: dict[int, tuple[str, str]] = {e: ("full", k) for e, k in rows}
        missing = [i for i in ids if i not in out]
        if missing:
            inbound = visible.filter(related_entity_id__in=missing)
            out |= {
                e: ("full", k) for e, k in inbound.values_list("related_entity_id", "related_entity__kind").distinct()
            }
        missing = [i for i in ids if i not in out]
        if missing:
            flagged = self.flagged_statements().filter(entity_id__in=missing)
            out |= {e: ("flag", k) for e, k in flagged.values_list("entity_id", "entity__kind").distinct()}
        return out


def kinds_of_reached(entity_ids: Collection[int]) -> dict[int, str]:
    """The kind of entities a walk has already reached through visible statements.

    Only for ids that came out of a ``GraphRule`` query: the kind is then no more than the
    viewer already knows, and reading it apart keeps the hop query to three tables.
    """
    return dict(Entity.unscoped_objects.filter(pk__in=list(entity_ids)).order_by().values_list("pk", "kind"))
