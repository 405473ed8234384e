"""The access rule as the graph needs it: hop by hop, over statements the viewer may see.

Nothing here decides anything new. ``GraphRule(user)`` takes the one rule of
cairn/access/intelligence.py (``report_q`` / ``flag_q``) once per request, and every query
below filters statements through it, so each hop of a graph walk is checked by PostgreSQL
against the rule, row by row on the report each statement comes from; a graph is never
computed for everyone and filtered afterwards.

The walks (``co_subject_rows``, ``frontier_rows``, ``relationship_rows``) and the chart
(``entity_access``, ``chart_edges``, ``label_rows``, ``markings``, ``flags``) run as raw SQL
because they run on every hop of every request and Django's query building costs more than
PostgreSQL's answer. The rule in them is not written by hand: Django compiles it, once per
request, from the very Q objects the querysets use (``_report_predicate``), into a test on the
report row alone, and every raw query joins each statement to its report and applies it.

Co-mention: two subjects of one report are neighbours through that report. The
submission service writes a ``subject`` statement for every subject, including both
ends of every relationship statement, so walking co-mentions reaches every
relationship neighbour too; relationship statements then label the edges.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet

from cairn.access.flags import flag_token
from cairn.access.intelligence import Flag, flag_order, flag_q, report_predicate, report_q
from cairn.accounts.models import Organisation
from cairn.entities.choices import Property
from cairn.entities.models import Entity, Statement
from cairn.intelligence.models import IntelligenceReport

_S = Statement._meta.db_table
_R = IntelligenceReport._meta.db_table
_E = Entity._meta.db_table
_O = Organisation._meta.db_table

SUBJECT = Property.SUBJECT.value

# (entity, prop, value, entity key, report, organisation code, occurred_on, created_at,
#  handling_code, handling_conditions, handling_conditions_text, classification, dissemination, entity kind)
LabelRow = tuple[int, str, str, str | None, int, str, date | None, datetime, str, list[str], str, str, str, str]
# (report, handling_code, handling_conditions, handling_conditions_text, classification, dissemination)
MarkingRow = tuple[int, str, list[str], str, str, str]


def _ids(ids: Iterable[int]) -> str:
    """Entity or report ids as one array literal, for ``%s::bigint[]``.

    Cheaper than handing psycopg a list (it quotes a list element by element: a millisecond for the
    few hundred ids of a late search level), and typed as the columns are: PostgreSQL hashes an
    ``= ANY`` / ``<> ALL`` list only when its type matches the (bigint) column, otherwise every row
    is compared with every id. ``int()`` keeps anything but integers out of the SQL.
    """
    return "{" + ",".join(str(int(i)) for i in ids) + "}"


def _fetch(sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


class GraphRule:
    """The viewer's rule, built once (its sharing groups and granted requests read once) for a whole walk.

    Methods named ``*_rows``, ``chart_edges``, ``markings`` and ``flags`` take
    ``report_filter``: a further filter on the report itself (no ``report__`` prefix), such as a
    chart's date range. The queryset methods take ``extra``: the same with the ``report__`` prefix.
    """

    def __init__(self, user: Any) -> None:
        self.user = user
        self._full: Q | None = None
        self._flag: Q | None = None
        self._sql: dict[tuple[bool, Q | None], tuple[str, list[Any]]] = {}

    def _rule(self, report_filter: Q | None = None, *, flag: bool = False) -> tuple[str, list[Any]]:
        """The rule ("may read in full", or with ``flag`` "may know by flag only") and ``report_filter``
        as one SQL test on the report row, compiled by Django once per walk from the rule's own Q."""
        key = (flag, report_filter)
        if key not in self._sql:
            q = flag_q(self.user) if flag else report_q(self.user)
            self._sql[key] = report_predicate(q & report_filter if report_filter is not None else q)
        return self._sql[key]

    # --- walking ---------------------------------------------------------------------------------

    def _hop_sql(
        self, select: str, report_filter: Q | None, kinds: list[str] | None, tail: str
    ) -> tuple[str, list[Any], list[Any]]:
        """One hop over co-mentions, ``t`` the statement naming a walked entity, ``s`` its neighbour's.

        Returns the SQL, the arguments that come before the walked ids, and the rule's, which come
        last: the caller puts the walked ids, ``SUBJECT`` and the arguments of ``tail`` (more
        conditions on ``t``/``s``) between them. Each statement is read only through a report the
        rule admits.
        """
        rule, params = self._rule(report_filter)
        kind_join = f'JOIN "{_E}" e ON e."id" = s."entity_id" AND e."kind" = ANY(%s) ' if kinds is not None else ""
        sql = (
            f'SELECT {select} FROM "{_S}" t '  # noqa: S608
            f'JOIN "{_R}" ON "{_R}"."id" = t."report_id" '
            f'JOIN "{_S}" s ON s."report_id" = t."report_id" AND s."prop" = %s '
            f"{kind_join}"
            f'WHERE t."entity_id" = ANY(%s::bigint[]) AND t."prop" = %s AND s."entity_id" <> t."entity_id" {tail} '
            f"AND {rule}"
        )
        before: list[Any] = [SUBJECT, *([kinds] if kinds is not None else [])]
        return sql, before, params

    def co_subject_rows(
        self,
        entity_ids: Collection[int],
        report_filter: Q | None = None,
        kinds: list[str] | None = None,
        limit: int = 0,
    ) -> list[tuple[int, int, int]]:
        """(from entity, neighbour, report) for every visible co-mention of ``entity_ids``: one hop, one query.

        ``kinds``: only neighbours of these kinds. One row per report, so a neighbour named with
        the entity in three reports comes three times (the walk weighs neighbours by it).
        """
        sql, before, params = self._hop_sql('t."entity_id", s."entity_id", s."report_id"', report_filter, kinds, "")
        args = [*before, _ids(entity_ids), SUBJECT, *params]
        if limit:
            sql += " LIMIT %s"
            args.append(limit)
        return _fetch(sql, args)  # type: ignore[return-value]

    def frontier_rows(
        self,
        frontier: Collection[int],
        *,
        done: Collection[int] = (),
        towards: Collection[int] | None = None,
        report_filter: Q | None = None,
        kinds: list[str] | None = None,
        limit: int = 0,
    ) -> list[tuple[int, int, int]]:
        """(from, to, report) for every visible co-mention out of ``frontier``, for a breadth-first search.

        ``done``: reports a search has already read in full; they are skipped before the rule is even
        asked, since everything they name has been reached. ``towards``: only neighbours among these
        (the last level of a two-ended search only asks where the two ends meet).
        """
        tail = ('AND t."report_id" <> ALL(%s::bigint[]) ' if done else "") + (
            'AND s."entity_id" = ANY(%s::bigint[])' if towards is not None else ""
        )
        sql, before, params = self._hop_sql('t."entity_id", s."entity_id", s."report_id"', report_filter, kinds, tail)
        args = [*before, _ids(frontier), SUBJECT, *([_ids(done)] if done else [])]
        args += [*([_ids(towards)] if towards is not None else []), *params]
        if limit:
            sql += " LIMIT %s"
            args.append(limit)
        return _fetch(sql, args)  # type: ignore[return-value]

    def relationship_rows(
        self,
        entity_ids: Collection[int],
        props: list[str],
        report_filter: Q | None = None,
        kinds: list[str] | None = None,
        limit: int = 0,
    ) -> list[tuple[int, int, int]]:
        """(from entity, neighbour, report) along visible relationship statements of ``props``, either way.

        At most ``limit`` rows each way (0: no limit).
        """
        rule, params = self._rule(report_filter)
        ids = _ids(entity_ids)
        parts, args = [], []
        for near, far in (("entity_id", "related_entity_id"), ("related_entity_id", "entity_id")):
            kind_join = f'JOIN "{_E}" e ON e."id" = s."{far}" AND e."kind" = ANY(%s) ' if kinds is not None else ""
            parts.append(
                f'(SELECT s."{near}", s."{far}", s."report_id" FROM "{_S}" s '  # noqa: S608
                f'JOIN "{_R}" ON "{_R}"."id" = s."report_id" {kind_join}'
                f'WHERE s."{near}" = ANY(%s::bigint[]) AND s."related_entity_id" IS NOT NULL AND s."prop" = ANY(%s) '
                f'AND s."entity_id" <> s."related_entity_id" AND {rule}' + (" LIMIT %s)" if limit else ")")
            )
            args += [*([kinds] if kinds is not None else []), ids, props, *params, *([limit] if limit else [])]
        return _fetch(" UNION ALL ".join(parts), args)  # type: ignore[return-value]

    # --- charting --------------------------------------------------------------------------------

    def entity_access(self, entity_ids: Collection[int]) -> dict[int, tuple[str, str]]:
        """(access, kind) for each of ``entity_ids`` the viewer may know: access is 'full' or 'flag'.

        'full': a statement about it, or pointing at it, in a report the viewer may read in full;
        'flag': else a statement about it in a report the viewer may know by flag only. The rest
        are absent: an entity the viewer may not know is left out exactly as one that does not
        exist. One query for all of them.
        """
        if not entity_ids:
            return {}
        full, full_params = self._rule()
        flag, flag_params = self._rule(flag=True)

        def stated(column: str, rule: str) -> str:
            return (
                f'EXISTS (SELECT 1 FROM "{_S}" s JOIN "{_R}" ON "{_R}"."id" = s."report_id" '  # noqa: S608
                f'WHERE s."{column}" = e."id" AND {rule})'
            )

        sql = (
            f'SELECT id, kind, access FROM (SELECT e."id", e."kind", CASE '  # noqa: S608
            f"WHEN {stated('entity_id', full)} OR {stated('related_entity_id', full)} THEN 'full' "
            f"WHEN {stated('entity_id', flag)} THEN 'flag' END AS access "
            f'FROM "{_E}" e WHERE e."id" = ANY(%s::bigint[])) known WHERE access IS NOT NULL'
        )
        rows = _fetch(sql, [*full_params, *full_params, *flag_params, _ids(entity_ids)])
        return {e: (access, kind) for e, kind, access in rows}

    def chart_edges(
        self,
        entity_ids: Collection[int],
        report_filter: Q | None = None,
        *,
        props: list[str] | None = None,
        co_mentions: bool = True,
    ) -> tuple[list[tuple[int, int, str, int]], list[tuple[int, int, int]]]:
        """Among ``entity_ids``: visible relationship statements (from, to, prop, report), restricted to
        ``props`` unless None (none at all for ``[]``), and visible co-mentions (lower, higher, report)
        unless ``co_mentions`` is False. One query for both."""
        ids = _ids(entity_ids)
        rule, params = self._rule(report_filter)
        parts: list[str] = []
        args: list[Any] = []
        if props != []:
            parts.append(
                f'SELECT s."entity_id", s."related_entity_id", s."prop", s."report_id" FROM "{_S}" s '  # noqa: S608
                f'JOIN "{_R}" ON "{_R}"."id" = s."report_id" '
                f'WHERE s."entity_id" = ANY(%s::bigint[]) AND s."related_entity_id" = ANY(%s::bigint[]) '
                + ('AND s."prop" = ANY(%s) ' if props is not None else "")
                + f"AND {rule}"
            )
            args += [ids, ids, *([props] if props is not None else []), *params]
        if co_mentions:
            parts.append(
                f'SELECT t."entity_id", s."entity_id", NULL, s."report_id" FROM "{_S}" t '  # noqa: S608
                f'JOIN "{_R}" ON "{_R}"."id" = t."report_id" '
                f'JOIN "{_S}" s ON s."report_id" = t."report_id" AND s."prop" = %s '
                f'WHERE t."entity_id" = ANY(%s::bigint[]) AND t."prop" = %s AND s."entity_id" = ANY(%s::bigint[]) '
                f'AND t."entity_id" < s."entity_id" AND {rule}'
            )
            args += [SUBJECT, ids, SUBJECT, ids, *params]
        if not entity_ids or not parts:
            return [], []
        relationships: list[tuple[int, int, str, int]] = []
        co: list[tuple[int, int, int]] = []
        for x, y, prop, report in _fetch(" UNION ALL ".join(parts), args):
            if prop is None:
                co.append((x, y, report))
            else:
                relationships.append((x, y, prop, report))
        return relationships, co

    def label_rows(
        self, entity_ids: Collection[int], props: list[str], report_filter: Q | None = None
    ) -> list[LabelRow]:
        """What labels ``entity_ids`` on a chart: their visible statements of ``props``, each with the
        entity's key and kind, its report's organisation code, dates and marking."""
        rule, params = self._rule(report_filter)
        sql = (
            f'SELECT s."entity_id", s."prop", s."value", e."key", s."report_id", o."code", '  # noqa: S608
            f'"{_R}"."occurred_on", "{_R}"."created_at", "{_R}"."handling_code", "{_R}"."handling_conditions", '
            f'"{_R}"."handling_conditions_text", "{_R}"."classification", "{_R}"."dissemination", e."kind" '
            f'FROM "{_E}" e JOIN "{_S}" s ON s."entity_id" = e."id" AND s."prop" = ANY(%s) '
            f'JOIN "{_R}" ON "{_R}"."id" = s."report_id" JOIN "{_O}" o ON o."id" = "{_R}"."organisation_id" '
            f'WHERE e."id" = ANY(%s::bigint[]) AND {rule}'
        )
        return _fetch(sql, [props, _ids(entity_ids), *params])  # type: ignore[return-value]

    def markings(self, report_ids: Collection[int]) -> list[MarkingRow]:
        """The handling of each of ``report_ids`` the viewer may read in full."""
        rule, params = self._rule()
        sql = (
            f'SELECT "id", "handling_code", "handling_conditions", "handling_conditions_text", "classification", '  # noqa: S608
            f'"dissemination" FROM "{_R}" WHERE "id" = ANY(%s::bigint[]) AND {rule}'
        )
        return _fetch(sql, [_ids(report_ids), *params])  # type: ignore[return-value]

    def flags(self, entity_ids: Collection[int]) -> list[Flag]:
        """Flags for the reports the viewer may know by flag only that state anything about ``entity_ids``.

        As ``flags_for(user, entity_ids=...)``: one per (report, entity), in ``flag_order``.
        """
        rule, params = self._rule(flag=True)
        if rule == "FALSE" or not entity_ids:
            return []
        sql = (
            f'SELECT DISTINCT s."report_id", s."entity_id", "{_R}"."created_at", "{_R}"."occurred_on", '  # noqa: S608
            f'"{_R}"."exploitation_types", o."name", o."id", o."code", o."contact_point" '
            f'FROM "{_S}" s JOIN "{_R}" ON "{_R}"."id" = s."report_id" '
            f'JOIN "{_O}" o ON o."id" = "{_R}"."organisation_id" '
            f'WHERE s."entity_id" = ANY(%s::bigint[]) AND {rule}'
        )
        viewer = self.user.pk
        found = [
            Flag(
                report,
                entity,
                created,
                occurred,
                list(types or []),
                name,
                org,
                code,
                contact,
                flag_token(viewer, report, entity),
            )
            for report, entity, created, occurred, types, name, org, code, contact in _fetch(
                sql, [_ids(entity_ids), *params]
            )
        ]
        return sorted(found, key=flag_order)

    # --- querysets, for callers that go on filtering ---------------------------------------------

    @property
    def full(self) -> Q:
        """The rule as a ``report__`` filter on statements, for the querysets below."""
        if self._full is None:
            self._full = report_q(self.user, "report__")
        return self._full

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

    def subject_pairs(self, extra: Q | None = None, where: Q | None = None) -> QuerySet[Statement]:
        """Every co-mention of the viewer's visible graph, once per (report, lower id, higher id).

        ``where`` narrows the pairs (on ``entity_id`` and ``report__statements__entity_id``) in the same
        filter: a second ``filter()`` on ``report__statements`` would join the report's statements again,
        multiplying each pair by its report's other subjects.
        """
        return self.statements(extra).filter(
            Q(prop=SUBJECT, report__statements__prop=SUBJECT, report__statements__entity_id__gt=F("entity_id")),
            where or Q(),
        )

    def subjects(self, extra: Q | None = None) -> QuerySet[Statement]:
        return self.statements(extra).filter(prop=SUBJECT)


def kinds_of_reached(entity_ids: Collection[int]) -> dict[int, str]:
    """The kind of entities a walk has already reached through visible statements.

    Only for ids that came out of a ``GraphRule`` query: the kind is then no more than the
    viewer already knows, and reading it apart keeps the hop query to three tables.
    """
    if not entity_ids:
        return {}
    return dict(_fetch(f'SELECT "id", "kind" FROM "{_E}" WHERE "id" = ANY(%s::bigint[])', [_ids(entity_ids)]))  # type: ignore[arg-type]  # noqa: S608
