"""Each user's graph, derived only from what that user may see.

The graph model
---------------
* **Nodes are entities** (people, phones, vehicles, premises, accounts, organisations...).
* **Edges come from statements of reports the viewer may read in full**, each carrying the
  reports behind it:

  - a *relationship* edge for a relationship statement (``related_entity`` set), directed
    from the entity to the related entity and typed by the statement's property
    (``uses``, ``controls``, ``lives_at``...);
  - a *co-mention* edge (type ``co_mentioned``) between two subjects of the same report,
    labelled with that report. Reports are not nodes: an analyst charts people and phones,
    not documents, and i2 and GraphML consumers expect entity-to-entity links. Where a
    report also states how the two are related, the relationship edge stands for that report
    and no co-mention edge is drawn for it.

* **Flag nodes**: for an entity on the chart that restricted intelligence the viewer may only
  know by flag is about, a node ``kind="flag"`` says who holds it and whom to call, joined to
  that one entity. One flag node per (report, entity), never shared between entities: a flag
  node joined to two entities would disclose that one restricted report connects them.
* Confidential material the viewer may not see does not appear at all, and an entity the viewer
  may not know is indistinguishable from one that does not exist (``EntityNotFound``, same message).

The access approach
-------------------
Every hop is one PostgreSQL query over the statements the viewer may see (``GraphRule`` in
``cairn.access.network``: raw SQL with the rule compiled from its own Q objects), so the rule is
checked row by row on each report reached and no graph is ever computed for everyone and filtered
afterwards. Walks are breadth-first from the seeds; paths are found by a two-ended breadth-first
search, each level one such query (two small levels share one). An end or seed is looked up apart
only when the walk did not already show it visible: a row out of it comes from a visible statement
naming it. Analytics build an igraph Graph from the same visible statements (``visible_graph``).
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from typing import Any

import igraph
from django.db import connection
from django.db.models import Q

from cairn.access.intelligence import Flag
from cairn.access.network import GraphRule, kinds_of_reached
from cairn.entities.choices import RELATIONSHIPS, EntityKind, Property
from cairn.intelligence.choices import Classification, Dissemination, HandlingCode

CO_MENTIONED = "co_mentioned"
FLAG = "flag"
EDGE_TYPES = frozenset({CO_MENTIONED, *(p.value for p in RELATIONSHIPS)})
DEFAULT_MAX_NODES = 300
MAX_FLAG_NODES = 200
# Rows read per hop. A hub (a hotel, a shared phone) may have tens of thousands of neighbours:
# beyond this the walk stops listing them and the chart says "at least".
HOP_ROW_LIMIT = 20_000
PATH_ROW_LIMIT = 100_000
DEFAULT_PATH_LIMIT = 10
# A two-ended search expands both sides in one query while neither frontier is larger than this.
BOTH_SIDES_AT_ONCE = 32
NOT_FOUND = "No such entity."

_KIND_LABELS = dict(EntityKind.choices)
_PROP_LABELS = dict(Property.choices)
_LEVEL_ORDER: dict[str, int] = {Dissemination.SHARED: 0, Dissemination.RESTRICTED: 1, Dissemination.CONFIDENTIAL: 2}
_CLASS_ORDER: dict[str, int] = {Classification.OFFICIAL: 0, Classification.OFFICIAL_SENSITIVE: 1}


class EntityNotFound(LookupError):
    """The entity does not exist, or the viewer may not know it: the same error either way."""

    def __init__(self) -> None:
        super().__init__(NOT_FOUND)


@dataclass(frozen=True)
class ChartFilters:
    """What to draw. Dates are the report's ``occurred_on`` (its creation date where that is empty)."""

    date_from: date | None = None
    date_to: date | None = None
    organisation_ids: frozenset[int] | None = None  # originating organisations of the reports behind edges
    relationship_types: frozenset[str] | None = None  # Property values and/or "co_mentioned"
    entity_kinds: frozenset[str] | None = None  # EntityKind values; seeds are always kept

    def __post_init__(self) -> None:
        if self.relationship_types is not None:
            unknown = set(self.relationship_types) - EDGE_TYPES
            if unknown:
                raise ValueError(f"Unknown relationship type(s): {', '.join(sorted(unknown))}.")
        if self.entity_kinds is not None:
            unknown = set(self.entity_kinds) - set(EntityKind.values)
            if unknown:
                raise ValueError(f"Unknown entity kind(s): {', '.join(sorted(unknown))}.")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError("The date range ends before it starts.")

    def report_q(self, prefix: str = "report__") -> Q | None:
        q = Q()
        if self.date_from:
            q &= Q(**{f"{prefix}occurred_on__gte": self.date_from}) | Q(
                **{f"{prefix}occurred_on__isnull": True, f"{prefix}created_at__date__gte": self.date_from}
            )
        if self.date_to:
            q &= Q(**{f"{prefix}occurred_on__lte": self.date_to}) | Q(
                **{f"{prefix}occurred_on__isnull": True, f"{prefix}created_at__date__lte": self.date_to}
            )
        if self.organisation_ids is not None:
            q &= Q(**{f"{prefix}organisation_id__in": sorted(self.organisation_ids)})
        return q if q else None

    @property
    def report_filter(self) -> Q | None:
        """The same filter on the report itself, for ``GraphRule``'s raw queries."""
        return self.report_q(prefix="")

    @property
    def kinds(self) -> list[str] | None:
        return sorted(self.entity_kinds) if self.entity_kinds is not None else None

    @property
    def follows_co_mentions(self) -> bool:
        return self.relationship_types is None or CO_MENTIONED in self.relationship_types

    @property
    def relationship_props(self) -> list[str] | None:
        if self.relationship_types is None:
            return None
        return sorted(t for t in self.relationship_types if t != CO_MENTIONED)

    def wants_kind(self, kind: str) -> bool:
        return self.entity_kinds is None or kind in self.entity_kinds

    def wants_flag(self, flag: Flag) -> bool:
        if self.organisation_ids is not None and flag.organisation_id not in self.organisation_ids:
            return False
        day = flag.occurred_on or flag.created_at.date()
        return not ((self.date_from and day < self.date_from) or (self.date_to and day > self.date_to))


NO_FILTERS = ChartFilters()


@dataclass
class Marking:
    """The handling of the material behind a chart (or one report): the strictest wins."""

    handling_code: str = HandlingCode.P
    handling_conditions: list[str] = field(default_factory=list)
    handling_conditions_text: list[str] = field(default_factory=list)
    classification: str = Classification.OFFICIAL
    dissemination: str = Dissemination.SHARED
    reports: int = 0

    def merge(self, other: Marking) -> None:
        if other.handling_code == HandlingCode.C:
            self.handling_code = HandlingCode.C
        self.handling_conditions = sorted(set(self.handling_conditions) | set(other.handling_conditions))
        self.handling_conditions_text = list(
            dict.fromkeys(self.handling_conditions_text + other.handling_conditions_text)
        )
        if _CLASS_ORDER.get(other.classification, 0) > _CLASS_ORDER.get(self.classification, 0):
            self.classification = other.classification
        if _LEVEL_ORDER.get(other.dissemination, 0) > _LEVEL_ORDER.get(self.dissemination, 0):
            self.dissemination = other.dissemination
        self.reports += other.reports

    def summary(self) -> str:
        """One line for a file header: e.g. ``OFFICIAL-SENSITIVE, handling code C (A1, S2: ...), confidential``."""
        parts = [self.classification, f"handling code {self.handling_code}"]
        conditions = self.handling_conditions + self.handling_conditions_text
        if conditions:
            parts[-1] += f" ({'; '.join(conditions)})"
        parts.append(f"strictest dissemination {self.dissemination}")
        parts.append(f"from {self.reports} report{'s' if self.reports != 1 else ''}")
        return ", ".join(parts)


@dataclass
class Node:
    """An entity (or a flag) on a chart."""

    id: str  # "e<entity id>" or "f<flag token>" (never the report's id: cairn/access/flags.py)
    kind: str  # an EntityKind value, or "flag"
    label: str
    access: str  # "full" or "flag"
    entity_id: int | None = None
    hops: int | None = None  # distance from the nearest seed; None for flag nodes
    seed: bool = False
    organisations: list[str] = field(default_factory=list)  # codes of the organisations whose reports name it
    report_ids: list[int] = field(default_factory=list)
    first_date: date | None = None
    last_date: date | None = None
    flag: Flag | None = None
    data: dict[str, Any] = field(default_factory=dict)  # room for analytics scores

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "access": self.access,
            "entity_id": self.entity_id,
            "hops": self.hops,
            "seed": self.seed,
            "organisations": self.organisations,
            "report_ids": self.report_ids,
            "first_date": self.first_date.isoformat() if self.first_date else None,
            "last_date": self.last_date.isoformat() if self.last_date else None,
            **self.data,
        }
        if self.flag is not None:
            f = self.flag
            out["flag"] = {
                "token": f.token,
                "organisation": f.organisation,
                "organisation_code": f.organisation_code,
                "contact_point": f.contact_point,
                "date": (f.occurred_on or f.created_at.date()).isoformat(),
                "exploitation_types": f.exploitation_types,
            }
        return out


@dataclass
class Edge:
    id: str
    source: str
    target: str
    type: str  # a relationship Property value, "co_mentioned" or "flag"
    label: str
    directed: bool
    report_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "target": self.target,
            "type": self.type,
            "label": self.label,
            "directed": self.directed,
            "report_ids": self.report_ids,
            "weight": len(self.report_ids) or 1,
        }


@dataclass
class LeftOut:
    """What a capped chart does not show."""

    count: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    at_least: bool = False  # a hub's neighbours were counted only up to the per-hop limit
    flags: int = 0
    paths: int = 0

    def summary(self) -> str:
        parts = []
        if self.count:
            more = "at least " if self.at_least else ""
            kinds = ", ".join(f"{n:,} {_KIND_LABELS.get(k, k).lower()}" for k, n in sorted(self.by_kind.items()))
            noun = "neighbour" if self.count == 1 else "neighbours"
            parts.append(f"{more}{self.count:,} more {noun} not shown" + (f" ({kinds})" if kinds else ""))
        elif self.at_least:
            parts.append("some neighbours of very connected entities were not read")
        if self.flags:
            parts.append(f"{self.flags:,} more flags not shown")
        if self.paths:
            parts.append(f"{self.paths:,} more shortest paths not shown")
        return "; ".join(parts)


@dataclass
class Chart:
    """Nodes, edges and flags the viewer may see, with the handling of the material behind them."""

    nodes: list[Node]
    edges: list[Edge]
    seeds: list[int]
    markings: dict[int, Marking]  # per report behind the chart
    handling: Marking  # the strictest of ``markings``
    left_out: LeftOut = field(default_factory=LeftOut)
    paths: list[list[int]] = field(default_factory=list)  # entity ids, for shortest_paths
    filters: ChartFilters = NO_FILTERS
    title: str = "Cairn link chart"
    viewer: str = ""  # username, printed in exports
    organisation: str = ""  # the viewer's organisation
    generated_at: datetime | None = None

    @property
    def flags(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == FLAG]

    def node(self, entity_id: int) -> Node | None:
        return next((n for n in self.nodes if n.entity_id == entity_id and n.kind != FLAG), None)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON: ``elements`` in Cytoscape.js's shape, plus the summary and handling."""
        return {
            "elements": {
                "nodes": [{"data": n.as_dict()} for n in self.nodes],
                "edges": [{"data": e.as_dict()} for e in self.edges],
            },
            "seeds": self.seeds,
            "paths": self.paths,
            "left_out": {
                "count": self.left_out.count,
                "by_kind": self.left_out.by_kind,
                "at_least": self.left_out.at_least,
                "flags": self.left_out.flags,
                "paths": self.left_out.paths,
                "summary": self.left_out.summary(),
            },
            "handling": {
                "handling_code": self.handling.handling_code,
                "handling_conditions": self.handling.handling_conditions,
                "handling_conditions_text": self.handling.handling_conditions_text,
                "classification": self.handling.classification,
                "dissemination": self.handling.dissemination,
                "summary": self.handling.summary(),
            },
        }


@dataclass(frozen=True)
class GraphScope:
    """Which part of the viewer's graph ``visible_graph`` builds: everything, or among some entities."""

    entity_ids: frozenset[int] | None = None
    filters: ChartFilters = NO_FILTERS


# --- walking ---------------------------------------------------------------------------------------


Row = tuple[int, int, int]  # (from entity, to entity, report)


def _hop(rule: GraphRule, frontier: Collection[int], filters: ChartFilters, limit: int) -> tuple[list[Row], bool]:
    """Every visible (from, to, report) one hop out of ``frontier``; True when cut at ``limit``."""
    if filters.follows_co_mentions:
        rows = rule.co_subject_rows(frontier, filters.report_filter, filters.kinds, limit + 1)
        return rows[:limit], len(rows) > limit
    props = filters.relationship_props or []
    if not props:
        return [], False
    rows = rule.relationship_rows(frontier, props, filters.report_filter, filters.kinds, limit + 1)
    return rows[:limit], len(rows) > limit


def _step(
    rule: GraphRule,
    frontier: Collection[int],
    done: Collection[int],
    towards: Collection[int] | None,
    filters: ChartFilters,
    limit: int,
) -> tuple[list[Row], bool]:
    """One level of a breadth-first search: (from, to, report) out of ``frontier``, skipping the reports in
    ``done`` (already read in full), only ``to`` in ``towards`` if given; True when cut at ``limit``."""
    if filters.follows_co_mentions:
        rows = rule.frontier_rows(
            frontier,
            done=done,
            towards=towards,
            report_filter=filters.report_filter,
            kinds=filters.kinds,
            limit=limit + 1,
        )
        return rows[:limit], len(rows) > limit
    rows, cut = _hop(rule, frontier, filters, limit)
    if towards is not None:
        wanted = set(towards)
        rows = [r for r in rows if r[1] in wanted]
    return rows, cut


@dataclass
class _Walk:
    dist: dict[int, int]
    weight: Counter[int]
    truncated: bool
    moved: bool = False  # the first hop found a visible statement naming a seed


def _walk(rule: GraphRule, seeds: Iterable[int], hops: int, filters: ChartFilters, limit: int = HOP_ROW_LIMIT) -> _Walk:
    dist = dict.fromkeys(seeds, 0)
    walk = _Walk(dist, Counter(), False)
    frontier = set(dist)
    for level in range(1, hops + 1):
        if not frontier:
            break
        rows, cut = _hop(rule, frontier, filters, limit)
        walk.truncated |= cut
        walk.moved |= bool(rows)
        nxt: set[int] = set()
        for _a, b, _report in rows:
            seen = dist.get(b)
            if seen is None:
                dist[b] = level
                nxt.add(b)
            elif seen < level:
                continue
            walk.weight[b] += 1
        frontier = nxt
    return walk


def _resolve(rule: GraphRule, entity_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    ids = list(dict.fromkeys(int(i) for i in entity_ids))
    found = rule.entity_access(ids)
    if len(found) != len(ids):
        raise EntityNotFound()
    return found


def within_k(user: Any, seed: int, k: int, filters: ChartFilters | None = None) -> dict[int, int]:
    """Entity id -> hops from ``seed`` for every entity the viewer may see within ``k`` hops.

    A seed known only by flag has no visible neighbours: ``{seed: 0}``.
    """
    seed = int(seed)
    rule = GraphRule(user)
    walk = _walk(rule, [seed], k, filters or NO_FILTERS)
    # Rows out of the seed come from visible statements naming it, so it is known in full; only a
    # walk that never left the seed has to ask what the viewer may know of it.
    if not walk.moved and _resolve(rule, [seed])[seed][0] != "full":
        return {seed: 0}
    return walk.dist


def neighbourhood(
    user: Any,
    seed_entity_ids: Iterable[int],
    hops: int = 1,
    filters: ChartFilters | None = None,
    *,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Chart:
    """The seeds and their neighbours up to ``hops`` away, capped at ``max_nodes`` entities.

    Nearer neighbours come first, then those backed by more reports. What does not fit is
    counted in ``chart.left_out`` ("2,314 more neighbours not shown").
    """
    filters = filters or NO_FILTERS
    rule = GraphRule(user)
    access = _resolve(rule, seed_entity_ids)
    seeds = list(access)
    full_seeds = [s for s in seeds if access[s][0] == "full"]
    walk = _walk(rule, full_seeds, hops, filters)
    others = sorted((e for e in walk.dist if e not in access), key=lambda e: (walk.dist[e], -walk.weight[e], e))
    room = max(max_nodes - len(seeds), 0)
    kept, rest = others[:room], others[room:]
    kinds = {e: k for e, (_, k) in access.items()} | kinds_of_reached(others)
    left = LeftOut(count=len(rest), by_kind=dict(Counter(kinds[e] for e in rest)), at_least=walk.truncated)
    nodes_access = {e: a for e, (a, _) in access.items()} | dict.fromkeys(kept, "full")
    return _build_chart(rule, seeds, nodes_access, kinds, walk.dist, filters, left)


def common_neighbours(
    user: Any, a: int, b: int, filters: ChartFilters | None = None, *, max_nodes: int = DEFAULT_MAX_NODES
) -> Chart:
    """``a``, ``b`` and the entities the viewer may see next to both."""
    filters = filters or NO_FILTERS
    rule = GraphRule(user)
    access = _resolve(rule, [a, b])
    full = [e for e in (a, b) if access[e][0] == "full"]
    rows, cut = _hop(rule, full, filters, HOP_ROW_LIMIT) if full else ([], False)
    near: dict[int, set[int]] = defaultdict(set)
    for x, y, _report in rows:
        near[x].add(y)
    common = sorted(near[a] & near[b] - {a, b})
    kinds = {e: k for e, (_, k) in access.items()} | kinds_of_reached(common)
    room = max(max_nodes - 2, 0)
    kept, rest = common[:room], common[room:]
    left = LeftOut(count=len(rest), by_kind=dict(Counter(kinds[e] for e in rest)), at_least=cut)
    dist = {a: 0, b: 0} | dict.fromkeys(kept, 1)
    nodes_access = {e: x for e, (x, _) in access.items()} | dict.fromkeys(kept, "full")
    return _build_chart(rule, [a, b], nodes_access, kinds, dist, filters, left)


# --- shortest paths ----------------------------------------------------------------------------------


def _paths_to(node: int, parents: dict[int, set[int]], limit: int) -> list[list[int]]:
    """Every parent chain from ``node`` back to its side's seed, nearest first, at most ``limit``."""
    out: list[list[int]] = []
    stack: list[tuple[int, list[int]]] = [(node, [node])]
    while stack and len(out) < limit:
        current, path = stack.pop()
        ps = parents.get(current)
        if not ps:
            out.append(path)
            continue
        for p in sorted(ps, reverse=True):
            stack.append((p, [*path, p]))
    return out


@dataclass
class _Search:
    paths: list[list[int]]  # at most ``limit``, as entity ids
    total: int  # how many shortest paths there are
    truncated: bool  # a level was cut at PATH_ROW_LIMIT
    known: set[int]  # ends shown visible by a visible statement met on the way


def _bidirectional(rule: GraphRule, a: int, b: int, max_hops: int, filters: ChartFilters, limit: int) -> _Search:
    """Shortest paths a -> b, two-ended: each level expands the smaller side, one query a level.

    While both frontiers are small (the ends, and a level or two out) one query expands both, two
    levels for one round trip; the last level allowed asks only where the two sides meet. Shortest
    paths do not depend on which side grows first: the search stops at the first level where the
    sides meet, and every shortest path crosses that level.

    A report read in full at one level is not read again: everything it names was reached then, at
    that level or the next, so it adds no entity and no parent later. Nor can it join the sides
    later, since an entity both sides had reached would have stopped the search already. (With a
    kind filter an end of another kind is not reached through its reports, so then every level
    reads every report.)
    """
    if a == b:
        return _Search([[a]], 1, False, set())
    seeds = (a, b)
    dist: tuple[dict[int, int], dict[int, int]] = ({a: 0}, {b: 0})
    parents: tuple[dict[int, set[int]], dict[int, set[int]]] = ({a: set()}, {b: set()})
    frontier: list[set[int]] = [{a}, {b}]
    done: set[int] = set()  # reports read in full by either side
    skip = done if filters.entity_kinds is None else set()
    truncated = False
    known: set[int] = set()

    def grow(side: int, rows: list[Row]) -> list[int]:
        """Take in one level of ``side``; the entities where it now meets the other side."""
        d, p = dist[side], parents[side]
        if rows and len(d) == 1:
            known.add(seeds[side])  # a row out of an end comes from a visible statement naming it
        nxt: set[int] = set()
        for x, y, _report in rows:
            level = d[x] + 1
            seen = d.get(y)
            if seen is None:
                d[y] = level
                p[y] = {x}
                nxt.add(y)
            elif seen == level:
                p[y].add(x)
        frontier[side] = nxt
        meeting = sorted(n for n in nxt if n in dist[1 - side])
        known.update(e for e in seeds if e in nxt)
        return meeting

    meeting: list[int] = []
    step = 0
    while step < max_hops:
        first = 0 if len(frontier[0]) <= len(frontier[1]) else 1
        levels: list[tuple[int, list[Row]]]
        if step == max_hops - 1:
            # The last level: only where the sides meet, the other side's newest level (any of it, if a
            # level was cut).
            towards: Collection[int] = frontier[1 - first] if not truncated else dist[1 - first].keys()
            rows, cut = _step(rule, frontier[first], (), towards, filters, PATH_ROW_LIMIT)
            levels = [(first, rows)]
        else:
            both = max(len(frontier[0]), len(frontier[1])) <= BOTH_SIDES_AT_ONCE
            # Two small frontiers: both sides' next level in one query, taken in as two levels (the
            # smaller side first).
            starts = {x: side for side in ((0, 1) if both else (first,)) for x in frontier[side]}
            rows, cut = _step(rule, starts, skip, None, filters, PATH_ROW_LIMIT)
            known.update(x for x, _, _ in rows if x in seeds)
            if not cut:
                done.update(r for _, _, r in rows)
            levels = [
                (side, [r for r in rows if starts[r[0]] == side])
                for side in (first, 1 - first)
                if side in starts.values()
            ]
        truncated |= cut
        for side, level_rows in levels:
            step += 1
            meeting = grow(side, level_rows)
            if meeting or not frontier[side] or step == max_hops:
                break
        if meeting or not frontier[0] or not frontier[1]:
            break
    if not meeting:
        return _Search([], 0, truncated, known)
    best = min(dist[0][n] + dist[1][n] for n in meeting)
    paths: list[list[int]] = []
    total = 0
    for m in (n for n in meeting if dist[0][n] + dist[1][n] == best):
        heads = _paths_to(m, parents[0], limit + 1)
        tails = _paths_to(m, parents[1], limit + 1)
        total += len(heads) * len(tails)
        for h in heads:
            for t in tails:
                if len(paths) < limit:
                    paths.append(list(reversed(h)) + t[1:])
    return _Search(paths, total, truncated, known)


def shortest_paths(
    user: Any,
    a: int,
    b: int,
    max_hops: int = 6,
    filters: ChartFilters | None = None,
    *,
    limit: int = DEFAULT_PATH_LIMIT,
) -> Chart:
    """The shortest paths from ``a`` to ``b`` through entities the viewer may see, at most ``max_hops`` long.

    ``chart.paths`` lists them as entity ids (up to ``limit``); an empty list means none within
    ``max_hops``. Every hop is checked against the access rule, so a path through material the
    viewer may not read is never found.
    """
    filters = filters or NO_FILTERS
    a, b = int(a), int(b)
    rule = GraphRule(user)
    # The search starts at once: a row out of an end (or reaching it) comes from a visible statement
    # naming it, so only the ends the search did not show visible are looked up, and only they can
    # be unknown to the viewer (EntityNotFound) or known by flag (no path through them).
    search = _bidirectional(rule, a, b, max_hops, filters, limit)
    access = {e: ("full", "") for e in search.known}
    if unsure := [e for e in dict.fromkeys((a, b)) if e not in search.known]:
        access |= _resolve(rule, unsure)
    if any(access[e][0] != "full" for e in (a, b)):
        search = _Search([], 0, False, search.known)
    paths, total, cut = search.paths, search.total, search.truncated
    on_path = list(dict.fromkeys(e for path in paths for e in path))
    dist = {e: min(p.index(e) for p in paths if e in p) for e in on_path} | {a: 0}
    # Kinds of the entities shown in full are read with their labels (``_entity_nodes``).
    kinds = {e: k for e, (_, k) in access.items() if k}
    ids = list(dict.fromkeys([a, b, *on_path]))
    nodes_access = {e: access[e][0] if e in access else "full" for e in ids}
    left = LeftOut(paths=max(total - len(paths), 0), at_least=cut)
    chart = _build_chart(rule, [a, b], nodes_access, kinds, dist, filters, left, path_edges=_path_pairs(paths))
    chart.paths = paths
    return chart


def _path_pairs(paths: list[list[int]]) -> set[tuple[int, int]]:
    return {tuple(sorted(pair)) for path in paths for pair in pairwise(path)}  # type: ignore[misc]


# --- building the chart --------------------------------------------------------------------------------


def _build_chart(
    rule: GraphRule,
    seeds: list[int],
    access: dict[int, str],
    kinds: dict[int, str],
    dist: dict[int, int],
    filters: ChartFilters,
    left: LeftOut,
    *,
    path_edges: set[tuple[int, int]] | None = None,
) -> Chart:
    """Edges among the chosen entities, their labels, flags and the markings of the reports behind them."""
    user = rule.user
    ids = list(access)
    full = [e for e in ids if access[e] == "full"]
    report_filter = filters.report_filter
    edges: list[Edge] = []
    related: dict[tuple[int, int], set[int]] = defaultdict(set)  # (low, high) -> reports stating a relationship
    wants_edges = bool(full) and (path_edges is None or bool(path_edges))  # a path chart without a path has none
    relationship_rows, co_rows = (
        rule.chart_edges(full, report_filter, props=filters.relationship_props, co_mentions=filters.follows_co_mentions)
        if wants_edges
        else ([], [])
    )
    if relationship_rows:
        by_edge: dict[tuple[int, int, str], set[int]] = defaultdict(set)
        for src, dst, prop, report in relationship_rows:
            pair = (min(src, dst), max(src, dst))
            if path_edges is not None and pair not in path_edges:
                continue
            by_edge[(src, dst, prop)].add(report)
            related[pair].add(report)
        for (src, dst, prop), reports in sorted(by_edge.items()):
            edges.append(
                Edge(
                    f"r{src}-{dst}-{prop}",
                    f"e{src}",
                    f"e{dst}",
                    prop,
                    _PROP_LABELS.get(prop, prop),
                    True,
                    sorted(reports),
                )
            )
    if co_rows:
        pairs: dict[tuple[int, int], set[int]] = defaultdict(set)
        for x, y, report in co_rows:  # x < y
            wanted = path_edges is None or (x, y) in path_edges
            if wanted and report not in related.get((x, y), ()):
                pairs[(x, y)].add(report)
        for (x, y), reports in sorted(pairs.items()):
            n = len(reports)
            label = f"named together in {n} report{'s' if n != 1 else ''}"
            edges.append(Edge(f"c{x}-{y}", f"e{x}", f"e{y}", CO_MENTIONED, label, False, sorted(reports)))

    nodes, markings = _entity_nodes(rule, ids, access, kinds, dist, set(seeds), report_filter)
    flag_nodes, flag_edges, more_flags = _flag_nodes(rule, ids, filters)
    left.flags = more_flags
    report_ids = {r for e in edges for r in e.report_ids} | {r for n in nodes for r in n.report_ids}
    # Reports behind edges are nearly always among those naming the nodes: read only the others.
    markings |= _markings(rule, {r for r in report_ids if r not in markings})
    markings = {r: markings[r] for r in sorted(report_ids) if r in markings}
    handling = Marking()
    for m in markings.values():
        handling.merge(m)
    org = getattr(user, "organisation", None)
    return Chart(
        nodes=nodes + flag_nodes,
        edges=edges + flag_edges,
        seeds=seeds,
        markings=markings,
        handling=handling,
        left_out=left,
        filters=filters,
        viewer=getattr(user, "username", ""),
        organisation=getattr(org, "name", "") if org is not None else "",
        generated_at=datetime.now().astimezone(),
    )


def _entity_nodes(
    rule: GraphRule,
    ids: list[int],
    access: dict[int, str],
    kinds: dict[int, str],
    dist: dict[int, int],
    seeds: set[int],
    report_filter: Q | None,
) -> tuple[list[Node], dict[int, Marking]]:
    """The entity nodes, and the markings of the reports naming them (read in the same query)."""
    full = [e for e in ids if access[e] == "full"]
    markings: dict[int, Marking] = {}
    names: dict[int, Counter[str]] = defaultdict(Counter)
    keys: dict[int, str] = {}
    orgs: dict[int, set[str]] = defaultdict(set)
    reports: dict[int, set[int]] = defaultdict(set)
    dates: dict[int, list[date]] = defaultdict(list)
    if full:
        props = [Property.SUBJECT.value, Property.NAME.value, Property.IDENTIFIER.value]
        for row in rule.label_rows(full, props, report_filter):
            entity, prop, value, key, report, org_code, occurred, created = row[:8]
            kinds.setdefault(entity, row[13])
            if report not in markings:
                markings[report] = _marking(*row[8:13])
            if key:
                keys[entity] = key
            if prop == Property.NAME and value:
                names[entity][value] += 1
            if prop == Property.SUBJECT:
                reports[entity].add(report)
                orgs[entity].add(org_code)
                dates[entity].append(occurred or created.date())
    if missing := [e for e in full if e not in kinds]:  # seen only in statements that do not label it
        kinds |= kinds_of_reached(missing)
    nodes = []
    for e in ids:
        kind = kinds.get(e, "")
        if access[e] == "full":
            label = keys.get(e) or (
                names[e].most_common(1)[0][0] if names[e] else f"{_KIND_LABELS.get(kind, kind)} #{e}"
            )
        else:
            # Known by flag only: nothing from the report, as on the entity page.
            label = f"{_KIND_LABELS.get(kind, kind)} #{e}"
        ds = dates.get(e) or []
        nodes.append(
            Node(
                id=f"e{e}",
                kind=kind,
                label=label,
                access=access[e],
                entity_id=e,
                hops=dist.get(e),
                seed=e in seeds,
                organisations=sorted(orgs.get(e, ())),
                report_ids=sorted(reports.get(e, ())),
                first_date=min(ds) if ds else None,
                last_date=max(ds) if ds else None,
            )
        )
    return nodes, markings


def _flag_nodes(rule: GraphRule, ids: list[int], filters: ChartFilters) -> tuple[list[Node], list[Edge], int]:
    flags = [f for f in rule.flags(ids) if filters.wants_flag(f)]
    shown, more = flags[:MAX_FLAG_NODES], len(flags) - MAX_FLAG_NODES
    nodes, edges = [], []
    for f in shown:
        # The token, never the report's id: one report's flags on two subjects must not say they are one.
        node_id = f"f{f.token}"
        day = f.occurred_on or f.created_at.date()
        nodes.append(
            Node(
                id=node_id,
                kind=FLAG,
                label=f"{f.organisation} holds intelligence on this subject — contact {f.contact_point}",
                access="flag",
                organisations=[f.organisation_code],
                first_date=day,
                last_date=day,
                flag=f,
            )
        )
        edges.append(Edge(f"x{f.token}", f"e{f.entity_id}", node_id, FLAG, "flag", False, []))
    return nodes, edges, max(more, 0)


def _marking(code: str, conditions: list[str] | None, text: str, classification: str, dissemination: str) -> Marking:
    return Marking(code, sorted(conditions or []), [text] if text else [], classification, dissemination, 1)


def _markings(rule: GraphRule, report_ids: set[int]) -> dict[int, Marking]:
    if not report_ids:
        return {}
    return {
        pk: _marking(code, conditions, text, classification, dissemination)
        for pk, code, conditions, text, classification, dissemination in rule.markings(report_ids)
    }


# --- the whole visible graph, for analytics ----------------------------------------------------------------


def _stream_pairs(qs: Any) -> Iterator[list[int]]:
    """Stream a two-column integer queryset through COPY, in blocks of flattened ints."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with cur.copy(f"COPY ({sql}) TO STDOUT", params) as copy:
            tail = b""
            for block in copy:
                data = tail + bytes(block)
                cut = data.rfind(b"\n") + 1
                tail = data[cut:]
                yield [int(x) for x in data[:cut].split()]
            if tail.strip():
                yield [int(x) for x in tail.split()]


def visible_graph(user: Any, scope: GraphScope | None = None) -> igraph.Graph:
    """An undirected igraph Graph of the viewer's visible graph (or the part ``scope`` names).

    Vertices carry ``entity_id`` and ``kind``; edges carry ``weight`` (the number of reports that
    join the two ends) — co-mentions and relationships alike, since every relationship's ends are
    subjects of its report. Material known only by flag is not part of it: analytics run over
    what the viewer may read.
    """
    scope = scope or GraphScope()
    extra = scope.filters.report_q()
    rule = GraphRule(user)
    subjects = rule.subjects(extra)
    # Both ends of a pair narrowed in the one filter that joins them (see GraphRule.subject_pairs).
    where = Q()
    if scope.entity_ids is not None:
        ids = sorted(scope.entity_ids)
        where &= Q(entity_id__in=ids, report__statements__entity_id__in=ids)
        subjects = subjects.filter(entity_id__in=ids)
    if scope.filters.entity_kinds is not None:
        kinds = sorted(scope.filters.entity_kinds)
        where &= Q(entity__kind__in=kinds, report__statements__entity__kind__in=kinds)
        subjects = subjects.filter(entity__kind__in=kinds)
    pairs = rule.subject_pairs(extra, where)
    kind_of: dict[int, str] = dict(subjects.values_list("entity_id", "entity__kind").distinct())
    index = {e: i for i, e in enumerate(sorted(kind_of))}
    ends = array("i")  # 4 bytes an end: a million-entity graph's ten million edges fit in 80 MB
    for block in _stream_pairs(pairs.values_list("entity_id", "report__statements__entity_id")):
        ends.extend(index[e] for e in block)
    g = igraph.Graph(n=len(index), directed=False)
    step = 2_000_000
    for start in range(0, len(ends), step):
        chunk = ends[start : start + step]
        g.add_edges(zip(chunk[0::2], chunk[1::2], strict=True))
    del ends
    entity_ids = list(index)
    g.vs["entity_id"] = entity_ids
    g.vs["kind"] = [kind_of[e] for e in entity_ids]
    g.es["weight"] = [1] * g.ecount()
    g.simplify(multiple=True, loops=True, combine_edges={"weight": "sum"})
    return g
