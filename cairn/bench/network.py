"""The network benchmark: a million entities, five million links, planted groups, the access rule on every hop.

``run()`` builds a benchmark database (``cairn.bench.database``) and loads with PostgreSQL's COPY
(setup, not what is measured) a generated world written as production writes it: reports of
several organisations at every dissemination level, each naming its subjects (``subject``
statements) and stating how they are linked (relationship statements, ``related_entity`` set).

The world: ``--entities`` entities (people, phones, premises, vehicles, accounts, emails) split
into planted groups of 10 to 100; ``--links`` relationship links, 85 % inside a group (reports
naming five members of one group, the first linked to the other four) and 15 % between groups
(reports naming two entities of different groups). The planted membership is the truth, kept in
memory only.

It then times, as an officer of one force (who sees shared material, their own, and their sharing
groups'; restricted material of others only as flags):

* 2-hop expansion from random entities (``graph.within_k``), and the full 2-hop chart
  (``graph.neighbourhood``, capped at 300 nodes, with labels, flags and markings);
* shortest paths between random pairs (``graph.shortest_paths``, two-ended, at most 6 hops);
* building the officer's whole visible graph into igraph, and Leiden over it, with ARI and NMI of
  the groups found against the planted ones (igraph's ``compare_communities``);

and beside them, in the same run, the raw figures without any rule: a recursive-CTE 2-hop query on
a plain links table, and igraph shortest paths on the plain links graph.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import random
import statistics
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TextIO

import igraph
from django.db import connection

from cairn.accounts.models import User

DEFAULT_ENTITIES = 1_000_000
DEFAULT_LINKS = 5_000_000
DEFAULT_QUERIES = 200
DEFAULT_PATHS = 100
DEFAULT_SEED = 11
GROUP_SIZES = (10, 100)
INTRA_SHARE = 0.85
SUBJECTS_PER_GROUP_REPORT = 5
PLAIN_TABLE = "bench_plain_links"
TARGETS = {"two_hop_p95_ms": 20.0, "path_p95_ms": 50.0, "leiden_s": 60.0, "nmi": 0.9}

# Kinds by share of the entities, and the relationship a group report states towards each.
KINDS = (("person", 50), ("phone", 20), ("location", 10), ("vehicle", 10), ("bank_account", 5), ("email", 5))
RELATION = {
    "person": "associate_of",
    "phone": "uses",
    "location": "exploited_at",
    "vehicle": "owns",
    "bank_account": "controls",
    "email": "uses",
}
ROLE = {"person": "suspect", "location": "location"}

# Indexes the graph queries need that Cairn's migrations do not have yet, as (name, CREATE INDEX
# IF NOT EXISTS ...), named as production would name them; ``--without-proposed-indexes`` measures
# without them. None at present: the two partial indexes every hop reads (statement_subject_ordered_idx
# and statement_subject_report_idx, both directions of a co-mention hop as index-only scans) are in
# migration entities 0003, so the benchmark has them like any other index of Cairn's.
PROPOSED_INDEXES: tuple[tuple[str, str], ...] = ()
# With --keep, which world the kept database holds, so a second run measures it again without reloading.
WORLD_TABLE = "bench_network_world"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cairn.bench.management.commands.bench import positive_int

    parser.add_argument("--entities", type=positive_int, default=DEFAULT_ENTITIES, help="entities (default 1,000,000)")
    parser.add_argument("--links", type=positive_int, default=DEFAULT_LINKS, help="links (default 5,000,000)")
    parser.add_argument("--queries", type=positive_int, default=DEFAULT_QUERIES, help="2-hop expansions timed")
    parser.add_argument("--paths", type=positive_int, default=DEFAULT_PATHS, help="shortest-path pairs timed")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed for the generated world")
    parser.add_argument(
        "--without-proposed-indexes",
        action="store_true",
        help="measure with Cairn's current migrations only (no proposed statement indexes)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument(
        "--database",
        default=None,
        help="benchmark database name (cairn_bench or cairn_bench_<number>), so two runs on one server keep apart",
    )


# --- the world -------------------------------------------------------------------------------------------


@dataclass
class World:
    entities: int
    seed: int
    kind: bytearray = field(default_factory=bytearray)  # index into KINDS, per entity (id = index + 1)
    group: array = field(default_factory=lambda: array("i"))  # planted group, per entity
    group_start: array = field(default_factory=lambda: array("i"))
    # Reports: subjects as a flat list with offsets; the first subject is linked to every other.
    r_offset: array = field(default_factory=lambda: array("q", [0]))
    r_subjects: array = field(default_factory=lambda: array("i"))
    links: int = 0

    @property
    def reports(self) -> int:
        return len(self.r_offset) - 1

    def subjects(self, r: int) -> array:
        return self.r_subjects[self.r_offset[r] : self.r_offset[r + 1]]


def generate(entities: int, links: int, seed: int) -> World:
    rng = random.Random(seed)
    world = World(entities=entities, seed=seed)
    weights = [w for _, w in KINDS]
    world.kind = bytearray(rng.choices(range(len(KINDS)), weights=weights, k=entities))
    start = 0
    while start < entities:
        size = min(rng.randint(*GROUP_SIZES), entities - start)
        world.group_start.append(start)
        world.group.extend([len(world.group_start) - 1] * size)
        start += size
    world.group_start.append(entities)
    groups = len(world.group_start) - 1
    intra = int(links * INTRA_SHARE)
    per_report = SUBJECTS_PER_GROUP_REPORT - 1
    # Group reports, each group in proportion to its size; the first few members of a group (its
    # organisers) head reports more often than the rest, as in real networks.
    bounds = world.group_start
    sizes = [bounds[g + 1] - bounds[g] for g in range(groups)]
    chosen = rng.choices(range(groups), weights=sizes, k=intra // per_report)
    for g in chosen:
        lo, size = bounds[g], sizes[g]
        k = min(SUBJECTS_PER_GROUP_REPORT, size)
        members = rng.sample(range(size), k)
        if rng.random() < 0.5:
            head = rng.randrange(min(3, size))
            if head in members:
                members.remove(head)
            else:
                members.pop()
            members.insert(0, head)
        world.r_subjects.extend(lo + m for m in members)
        world.r_offset.append(len(world.r_subjects))
        world.links += k - 1
    while world.links < links:
        a, b = rng.randrange(entities), rng.randrange(entities)
        if world.group[a] == world.group[b]:
            continue
        world.r_subjects.extend((a, b))
        world.r_offset.append(len(world.r_subjects))
        world.links += 1
    return world


# --- loading ---------------------------------------------------------------------------------------------------


def _key(kind: str, i: int) -> str | None:
    if kind == "person":
        return None
    if kind == "phone":
        return f"+447{i:09d}"
    if kind == "location":
        return f"{i} bench street, benchtown"
    if kind == "vehicle":
        return f"BN{i:07d}"
    if kind == "bank_account":
        return f"GB00BENC{i:014d}"
    return f"user{i}@bench.example"


def _secondary_indexes(cur: Any, tables: list[str]) -> list[tuple[str, str]]:
    cur.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname = ANY(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY i.relname",
        [tables],
    )
    return [(r[0], r[1]) for r in cur.fetchall()]


@dataclass
class Levels:
    """Who wrote each report and how far it goes: the rule has real work to do."""

    org: array
    level: bytearray  # 0 shared, 1 restricted, 2 confidential
    group: array  # sharing group index or -1
    awaiting: bytearray


LEVELS = ("shared", "restricted", "confidential")


def _levels(world: World, org_weights: list[float], group_count: int) -> Levels:
    rng = random.Random(f"{world.seed}:levels")
    n = world.reports
    org = array("h", rng.choices(range(len(org_weights)), weights=org_weights, k=n))
    level = bytearray(rng.choices((0, 1, 2), weights=(70, 20, 10), k=n))
    group = array("b", [rng.randrange(group_count) if level[i] == 2 and rng.random() < 0.3 else -1 for i in range(n)])
    awaiting = bytearray(1 if rng.random() < 0.02 else 0 for _ in range(n))
    return Levels(org, level, group, awaiting)


def load(world: World, setup: Any, levels: Levels, proposed: bool, say: Callable[[str], None]) -> dict[str, float]:
    from cairn.entities.models import Entity, Statement
    from cairn.intelligence.models import IntelligenceReport

    report_t = IntelligenceReport._meta.db_table
    link_t = IntelligenceReport.sharing_groups.through._meta.db_table
    entity_t, statement_t = Entity._meta.db_table, Statement._meta.db_table
    tables = [report_t, link_t, entity_t, statement_t]
    org_ids = [o.pk for o in setup.orgs]
    author_ids = [a.pk for a in setup.authors]
    group_ids = [g.pk for g in setup.groups]
    base = datetime(2023, 1, 1, 9, tzinfo=UTC)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    kinds = [k for k, _ in KINDS]
    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor
        cur.execute("SET statement_timeout = 0")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET max_parallel_maintenance_workers = 2")
        cur.execute("SET session_replication_role = replica")
        indexes = _secondary_indexes(cur, tables)
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        t0 = time.perf_counter()
        with cur.copy(f"COPY {entity_t} (id, kind, key, created_at) FROM STDIN") as copy:
            for i in range(world.entities):
                kind = kinds[world.kind[i]]
                copy.write_row((i + 1, kind, _key(kind, i + 1), base))
        timings["entities"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        columns = (
            "id, reference, organisation_id, author_id, created_at, updated_at, revision, occurred_on, text, "
            "source_evaluation, intelligence_assessment, handling_code, handling_conditions, "
            "handling_conditions_text, classification, exploitation_types, dissemination, review_state, review_date, "
            "grading_model, legacy_grading, source_system, source_reference, sharing_group_ids"
        )
        arrays = {g: f"{{{gid}}}" for g, gid in enumerate(group_ids)} | {-1: "{}"}
        with cur.copy(f"COPY {report_t} ({columns}) FROM STDIN") as copy:
            for r in range(world.reports):
                created = base + timedelta(seconds=r * 37 % (3 * 365 * 86400))
                conditioned = r % 17 == 0
                copy.write_row(
                    (
                        r + 1,
                        f"BENCH-NET-{r + 1:08d}",
                        org_ids[levels.org[r]],
                        author_ids[levels.org[r]],
                        created,
                        created,
                        1,
                        created.date(),
                        "Network benchmark report.",
                        "2",
                        "E" if levels.awaiting[r] else "B",
                        "C" if conditioned else "P",
                        "{A1}" if conditioned else "{}",
                        "",
                        "OFFICIAL-SENSITIVE" if r % 23 == 0 else "OFFICIAL",
                        "{labour}" if r % 2 else "{sexual}",
                        LEVELS[levels.level[r]],
                        "awaiting" if levels.awaiting[r] else "not_required",
                        (created + timedelta(days=365 * 6)).date(),
                        "3x5x2",
                        "",
                        "cairn-bench-network",
                        "",
                        arrays[levels.group[r]],
                    )
                )
        with cur.copy(f"COPY {link_t} (intelligencereport_id, sharinggroup_id) FROM STDIN") as copy:
            for r in range(world.reports):
                if levels.group[r] >= 0:
                    copy.write_row((r + 1, group_ids[levels.group[r]]))
        timings["reports"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        sid = 0
        with cur.copy(
            f"COPY {statement_t} (id, entity_id, report_id, prop, value, value_normalised, role, related_entity_id, "
            "created_at) FROM STDIN"
        ) as copy:
            write = copy.write_row
            for r in range(world.reports):
                subjects = world.subjects(r)
                head = subjects[0] + 1
                for e in subjects:
                    kind = kinds[world.kind[e]]
                    key = _key(kind, e + 1) or ""
                    write((sid := sid + 1, e + 1, r + 1, "subject", "", key, ROLE.get(kind, "other"), None, base))
                for e in subjects[1:]:
                    write((sid := sid + 1, head, r + 1, RELATION[kinds[world.kind[e]]], "", "", "", e + 1, base))
        timings["statements"] = time.perf_counter() - t0
        cur.execute("SET session_replication_role = DEFAULT")
        for table, last in ((report_t, world.reports), (entity_t, world.entities), (statement_t, sid)):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [last])
        say(f"  {world.reports:,} reports, {sid:,} statements copied in {time.perf_counter() - started:,.0f} s")
        t0 = time.perf_counter()
        for _name, definition in indexes:
            cur.execute(definition)
        if proposed:
            for _name, definition in PROPOSED_INDEXES:
                cur.execute(definition)
        timings["indexes"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for table in tables:
            cur.execute(f"VACUUM ANALYZE {table}")
        timings["vacuum analyze"] = time.perf_counter() - t0
    timings["statements written"] = sid
    timings["total"] = time.perf_counter() - started
    return timings


def load_plain(world: World) -> float:
    """The baseline: one row per link direction in a bare table, indexed on (src, dst); no reports, no rule."""
    started = time.perf_counter()
    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor
        cur.execute("SET statement_timeout = 0")
        cur.execute(f"DROP TABLE IF EXISTS {PLAIN_TABLE}")
        cur.execute(f"CREATE TABLE {PLAIN_TABLE} (src integer NOT NULL, dst integer NOT NULL)")
        with cur.copy(f"COPY {PLAIN_TABLE} (src, dst) FROM STDIN") as copy:
            for r in range(world.reports):
                subjects = world.subjects(r)
                head = subjects[0] + 1
                for e in subjects[1:]:
                    copy.write_row((head, e + 1))
                    copy.write_row((e + 1, head))
        cur.execute(f"CREATE INDEX {PLAIN_TABLE}_src ON {PLAIN_TABLE} (src, dst)")
        cur.execute(f"VACUUM ANALYZE {PLAIN_TABLE}")
    return time.perf_counter() - started


def _world_key(world: World, proposed: bool) -> list[int]:
    return [world.entities, world.links, world.seed, int(proposed and bool(PROPOSED_INDEXES))]


def _kept_world(world: World, proposed: bool) -> bool:
    """Whether a database kept by an earlier run already holds this very world (same sizes, seed, indexes)."""
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [WORLD_TABLE])
        if not cur.fetchone()[0]:
            return False
        cur.execute(f"SELECT entities, links, seed, proposed FROM {WORLD_TABLE}")  # noqa: S608
        return [list(r) for r in cur.fetchall()] == [_world_key(world, proposed)]


def _mark_world(world: World, proposed: bool) -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {WORLD_TABLE}")
        cur.execute(f"CREATE TABLE {WORLD_TABLE} (entities bigint, links bigint, seed bigint, proposed int)")
        cur.execute(f"INSERT INTO {WORLD_TABLE} VALUES (%s, %s, %s, %s)", _world_key(world, proposed))  # noqa: S608


def _clear_world() -> None:
    """Empty a kept database that holds another world (or half of one), before loading this one."""
    from cairn.entities.models import Entity, Statement
    from cairn.intelligence.models import IntelligenceReport

    tables = [
        Statement._meta.db_table,
        IntelligenceReport.sharing_groups.through._meta.db_table,
        IntelligenceReport._meta.db_table,
        Entity._meta.db_table,
    ]
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {WORLD_TABLE}")
        cur.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


# --- measuring ---------------------------------------------------------------------------------------------------


@dataclass
class Figures:
    ms: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def p(self, q: float) -> float:
        if not self.ms:
            return float("nan")
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def _timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return (time.perf_counter() - started) * 1000, result


def _fresh(user: User) -> User:
    """A new user object per query, as each request has: nothing cached from the last one."""
    import copy

    fresh = copy.copy(user)
    return fresh


def _plain_two_hop(seed: int) -> int:
    with connection.cursor() as cur:
        cur.execute(
            f"WITH RECURSIVE walk(id, depth) AS (SELECT %s::integer, 0 UNION "  # noqa: S608
            f"SELECT l.dst, w.depth + 1 FROM walk w JOIN {PLAIN_TABLE} l ON l.src = w.id WHERE w.depth < 2) "
            "SELECT count(DISTINCT id) FROM walk",
            [seed],
        )
        return int(cur.fetchone()[0])


def _plain_graph(entities: int) -> igraph.Graph:
    ends = array("i")
    with (
        connection.cursor() as django_cursor,
        django_cursor.cursor.copy(
            f"COPY (SELECT src - 1, dst - 1 FROM {PLAIN_TABLE} WHERE src < dst) TO STDOUT"  # noqa: S608
        ) as copy,
    ):
        tail = b""
        for block in copy:
            data = tail + bytes(block)
            cut = data.rfind(b"\n") + 1
            tail = data[cut:]
            ends.extend(int(x) for x in data[:cut].split())
    g = igraph.Graph(n=entities, directed=False)
    step = 2_000_000
    for start in range(0, len(ends), step):
        chunk = ends[start : start + step]
        g.add_edges(zip(chunk[0::2], chunk[1::2], strict=True))
    return g


def _plain_paths(entities: int, pairs: list[tuple[int, int]]) -> tuple[Figures, list[int | None], float]:
    t0 = time.perf_counter()
    plain = _plain_graph(entities)
    build = time.perf_counter() - t0
    figures, lengths = Figures(), []
    for a, b in pairs:
        ms, result = _timed(partial(plain.get_shortest_path, a - 1, b - 1))
        figures.ms.append(ms)
        lengths.append(len(result) - 1 if result else None)
    return figures, lengths, build


def _fmt(ms: float) -> str:
    return f"{ms:,.1f}"


def run(options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    from cairn.bench import search as search_bench
    from cairn.bench.database import bench_database
    from cairn.network import analytics, graph

    entities, links = options["entities"], options["links"]
    queries, path_pairs = options.get("queries", DEFAULT_QUERIES), options.get("paths", DEFAULT_PATHS)
    seed = options.get("seed", DEFAULT_SEED)
    proposed = not options.get("without_proposed_indexes", False)

    def say(line: str = "") -> None:
        out.write(line + "\n")
        out.flush()

    figures: dict[str, Any] = {}
    with bench_database(keep=bool(options.get("keep")), name=options.get("database")) as db:
        say(
            f"cairn bench network: {entities:,} entities, {links:,} links, seed {seed}, PostgreSQL {db.version} "
            f"({db.server}), database {db.name}"
        )
        t0 = time.perf_counter()
        world = generate(entities, links, seed)
        groups = len(world.group_start) - 1
        say(
            f"  generated {groups:,} planted groups, {world.reports:,} reports, {world.links:,} links "
            f"in {time.perf_counter() - t0:,.1f} s"
        )
        setup = search_bench.make_setup()
        orgs = search_bench.organisations()
        levels = _levels(world, [o.weight for o in orgs], len(setup.groups))
        if db.reused and _kept_world(world, proposed):
            plain_s = load_plain(world)
            say(f"  reusing the world kept by an earlier run (--keep); plain links table {plain_s:,.0f} s")
        else:
            if db.reused:
                _clear_world()
            timings = load(world, setup, levels, proposed, say)
            plain_s = load_plain(world)
            say(
                f"  loaded with COPY: entities {timings['entities']:,.0f} s, reports {timings['reports']:,.0f} s, "
                f"statements {timings['statements']:,.0f} s, indexes {timings['indexes']:,.0f} s, "
                f"vacuum analyze {timings['vacuum analyze']:,.0f} s; plain links table {plain_s:,.0f} s"
            )
            _mark_world(world, proposed)
        extra = f" + proposed {', '.join(n for n, _ in PROPOSED_INDEXES)}" if proposed and PROPOSED_INDEXES else ""
        say(f"  indexes: Cairn's migrations{extra}")
        user = setup.user
        say(f"  as {user.username} ({user.organisation.name}); the rule applies to every hop")
        rng = random.Random(f"{seed}:queries")
        samples = [rng.randrange(entities) + 1 for _ in range(queries)]
        # Warm the caches the way a running server has them warm.
        for e in samples[:10]:
            with contextlib.suppress(graph.EntityNotFound):
                graph.within_k(_fresh(user), e, 2)

        two_hop, chart, plain_two = Figures(), Figures(), Figures()
        hidden = 0
        for e in samples:
            try:
                ms, found = _timed(partial(graph.within_k, _fresh(user), e, 2))
            except graph.EntityNotFound:
                hidden += 1
                continue
            two_hop.ms.append(ms)
            two_hop.sizes.append(len(found))
            ms, c = _timed(partial(graph.neighbourhood, _fresh(user), [e], hops=2))
            chart.ms.append(ms)
            chart.sizes.append(len(c.nodes))
            ms, n = _timed(partial(_plain_two_hop, e))
            plain_two.ms.append(ms)
            plain_two.sizes.append(n)

        pairs = [(rng.randrange(entities) + 1, rng.randrange(entities) + 1) for _ in range(path_pairs)]
        paths, lengths = Figures(), []
        for a, b in pairs:
            try:
                ms, c = _timed(partial(graph.shortest_paths, _fresh(user), a, b, max_hops=6))
            except graph.EntityNotFound:
                continue
            paths.ms.append(ms)
            lengths.append(len(c.paths[0]) - 1 if c.paths else None)

        plain_paths, plain_lengths, plain_build = _plain_paths(entities, pairs)
        gc.collect()

        t0 = time.perf_counter()
        g = graph.visible_graph(_fresh(user))
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        membership = analytics.leiden(g, objective="cpm", seed=seed)
        leiden_s = time.perf_counter() - t0
        truth = [world.group[e - 1] for e in g.vs["entity_id"]]
        ari, nmi = analytics.compare(truth, membership)
        found_groups = len(set(membership))

        def row(label: str, f: Figures, target: str = "") -> None:
            say(f"{label:<58} {_fmt(f.p(0.5)):>9} {_fmt(f.p(0.95)):>9} {target:>12}".rstrip())

        say()
        say(f"{'measure':<58} {'p50 ms':>9} {'p95 ms':>9} {'target':>12}")
        say(
            f"{'2-hop expansion, access rule (within_k)':<58} {_fmt(two_hop.p(0.5)):>9} {_fmt(two_hop.p(0.95)):>9} "
            f"{'p95 <= ' + str(int(TARGETS['two_hop_p95_ms'])):>12}"
        )
        row("2-hop chart, access rule (neighbourhood, <= 300 nodes)", chart)
        row("2-hop recursive CTE, plain links table, no rule", plain_two)
        say(
            f"{'shortest path, access rule (two-ended BFS, <= 6 hops)':<58} {_fmt(paths.p(0.5)):>9} "
            f"{_fmt(paths.p(0.95)):>9} {'p95 <= ' + str(int(TARGETS['path_p95_ms'])):>12}"
        )
        say(
            f"{'shortest path, plain igraph, no rule':<58} {_fmt(plain_paths.p(0.5)):>9} {_fmt(plain_paths.p(0.95)):>9}"
        )
        say()
        median_two = statistics.median(two_hop.sizes) if two_hop.sizes else 0
        median_plain = statistics.median(plain_two.sizes) if plain_two.sizes else 0
        say(
            f"2-hop sizes (median entities): {median_two:,.0f} with the rule over co-mentions, "
            f"{median_plain:,.0f} over plain links; {hidden} of {queries} random entities not visible to the officer"
        )
        found = [n for n in lengths if n is not None]
        plain_found = [n for n in plain_lengths if n is not None]
        say(
            f"shortest paths: {len(found)} of {len(lengths)} pairs joined within 6 hops with the rule "
            f"(median {statistics.median(found) if found else 0:.0f} hops); plain igraph joined {len(plain_found)} "
            f"(median {statistics.median(plain_found) if plain_found else 0:.0f} hops, no hop limit); "
            f"plain graph built in {plain_build:,.1f} s"
        )
        say(f"visible graph (officer): {g.vcount():,} entities, {g.ecount():,} edges, built in {build_s:,.1f} s")
        say(
            f"Leiden (CPM, resolution {analytics.DEFAULT_CPM_RESOLUTION}, seed {seed}): {leiden_s:,.1f} s "
            f"(target <= {int(TARGETS['leiden_s'])} s); "
            f"{found_groups:,} groups found, {groups:,} planted"
        )
        say(f"against the planted groups: ARI {ari:.3f}, NMI {nmi:.3f} (target NMI >= {TARGETS['nmi']})")
        figures = {
            "two_hop": two_hop,
            "chart": chart,
            "plain_two_hop": plain_two,
            "paths": paths,
            "plain_paths": plain_paths,
            "leiden_s": leiden_s,
            "build_s": build_s,
            "ari": ari,
            "nmi": nmi,
            "vertices": g.vcount(),
            "edges": g.ecount(),
            "day": date.today().isoformat(),
        }
        with connection.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {PLAIN_TABLE}")
    return figures
