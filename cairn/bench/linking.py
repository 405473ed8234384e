"""The linking benchmark: real-time person matching and selector correlation at the issue's sizes.

``run()`` builds a benchmark database (``cairn.bench.database``, migrated like production, so every
index the models declare is there) and loads with PostgreSQL's COPY (setup, not what is measured):

* ``--people`` person records (default 1,000,000) from ``cairn.bench.search.generate_world``: one
  report each, naming a person (``subject`` and ``name`` statements, and the ``search_personname``
  row whose ``phonetic`` columns PostgreSQL generates) and one selector (``subject`` and
  ``identifier`` statements), as the submission service writes them;
* further reports naming only selectors until the statements reach ``--statements`` (default
  10,000,000). Most selectors are named by one to three reports; a few hot ones by hundreds or
  thousands (beyond ``HIT_FANOUT_LIMIT``).

It then times, with the production code paths:

1. ``cairn.linking.matching.match_record(record)`` for ``--queries`` new person records, each a later,
   noisy record of a person the database already holds (candidate lookup in PostgreSQL, then the
   trained model), with the candidate lookup timed apart, candidates per record and recall (the
   share of new records whose true match is among the proposals);
2. ``cairn.linking.services._new_pairs([report_id])`` for ``--queries`` new reports, each inside a
   transaction rolled back afterwards, and the report page's read-only
   ``cairn.linking.selectors.report_correlations`` as an officer of one force (with the access rule).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from django.db import connection, transaction

DEFAULT_PEOPLE = 1_000_000
DEFAULT_STATEMENTS = 10_000_000
DEFAULT_QUERIES = 1000
DEFAULT_SEED = 13
WARM = 20
TARGETS = {"match_p95_ms": 50.0, "correlate_p95_ms": 10.0}
# Statements a person report is written with: subject + name of the person, subject + identifier of its selector.
PERSON_REPORT_STATEMENTS = 4
SELECTOR_KINDS = ("phone", "email", "vehicle", "bank_account")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from cairn.bench.management.commands.bench import positive_int

    parser.add_argument(
        "--people", type=positive_int, default=DEFAULT_PEOPLE, help="existing person records (default 1,000,000)"
    )
    parser.add_argument(
        "--statements",
        type=positive_int,
        default=DEFAULT_STATEMENTS,
        help="statements in all (default 10,000,000; the person reports' own count towards it)",
    )
    parser.add_argument(
        "--queries", type=positive_int, default=DEFAULT_QUERIES, help="new records and new reports timed (1,000)"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed for the generated world")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    parser.add_argument(
        "--database",
        help="benchmark database name (cairn_bench or cairn_bench_<number>); it must not exist yet",
    )


# --- the selector reports ------------------------------------------------------------------------------


@dataclass
class SelectorReports:
    """Reports naming only selectors: each report's selectors as a flat list with offsets."""

    first_entity: int  # entity id of selector 0
    kinds: bytearray = field(default_factory=bytearray)
    mentions: array = field(default_factory=lambda: array("i"))  # per selector: reports naming it
    offset: array = field(default_factory=lambda: array("q", [0]))
    selectors: array = field(default_factory=lambda: array("i"))
    hot: int = 0

    @property
    def reports(self) -> int:
        return len(self.offset) - 1

    def of(self, r: int) -> array:
        return self.selectors[self.offset[r] : self.offset[r + 1]]


def _mention_count(rng: random.Random) -> int:
    """Reports naming an ordinary selector: one (most), two or three (many), up to ten (a few)."""
    u = rng.random()
    return 1 if u < 0.55 else 2 if u < 0.80 else 3 if u < 0.92 else rng.randint(4, 10)


def _hot_count(rng: random.Random) -> int:
    """Reports naming a hot selector (a gang's number, a switchboard): hundreds, a few in thousands."""
    return min(3000, int(100 / max(rng.random(), 1e-6) ** 0.6))


def selector_reports(mentions: int, first_entity: int, seed: int) -> SelectorReports:
    """About ``mentions`` selector mentions, packed into reports of one to three distinct selectors."""
    rng = random.Random(f"{seed}:selectors")
    out = SelectorReports(first_entity=first_entity)
    occurrences = array("i")
    hot = max(3, mentions // 20_000) if mentions >= 2_000 else 0
    for s in range(hot):
        c = min(_hot_count(rng), max(1, mentions // 10))
        out.kinds.append(s % len(SELECTOR_KINDS))
        out.mentions.append(c)
        occurrences.extend([s] * c)
    out.hot = hot
    while len(occurrences) < mentions:
        s = len(out.mentions)
        c = _mention_count(rng)
        out.kinds.append(rng.randrange(len(SELECTOR_KINDS)))
        out.mentions.append(c)
        occurrences.extend([s] * c)
    rng.shuffle(occurrences)  # type: ignore[arg-type]
    current: list[int] = []
    size = rng.randint(1, 3)
    for s in occurrences:
        if len(current) >= size or s in current:
            out.selectors.extend(current)
            out.offset.append(len(out.selectors))
            current, size = [], rng.randint(1, 3)
        current.append(s)
    if current:
        out.selectors.extend(current)
        out.offset.append(len(out.selectors))
    # Mentions as packed (a selector twice in one report was moved to the next; counts stay as drawn).
    return out


def _selector_key(kind: int, s: int) -> str:
    # Shapes the generated world's own selectors never take, so keys stay unique per kind.
    if kind == 0:
        return f"+4470{s:08d}"
    if kind == 1:
        return f"sel{s}@bench-linking.example"
    if kind == 2:
        return f"ZZ{s:07d}"
    return f"BL-{s:010d}"


# --- loading --------------------------------------------------------------------------------------------


def load(world: Any, extra: SelectorReports, setup: Any, say: Callable[[str], None]) -> dict[str, float]:
    """COPY both worlds in; secondary indexes are dropped first and built again after, as production has them."""
    from cairn.bench import search as sb
    from cairn.entities.normalise import name_tokens

    entity_t, statement_t = sb._table("entities.Entity"), sb._table("entities.Statement")
    tables = [sb.REPORT, sb.LINK, entity_t, statement_t, sb.PERSON_NAME]
    org_ids = [o.pk for o in setup.orgs]
    author_ids = [a.pk for a in setup.authors]
    group_ids = [g.pk for g in setup.groups]
    org_weights = [o.weight for o in sb.organisations()]
    base = datetime(2024, 1, 1, 9, tzinfo=UTC)
    n = world.reports
    rng = random.Random(f"{world.seed}:extra-reports")
    x_org = array("h", rng.choices(range(len(org_ids)), weights=org_weights, k=extra.reports))
    x_diss = bytearray(rng.choices((0, 1, 2), weights=sb.DISSEMINATION_WEIGHTS, k=extra.reports))
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor
        cur.execute("SET statement_timeout = 0")
        cur.execute("SET maintenance_work_mem = '1GB'")
        cur.execute("SET max_parallel_maintenance_workers = 2")
        cur.execute("SET session_replication_role = replica")  # consistent by construction
        indexes = sb._secondary_indexes(cur, tables)
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')

        t0 = time.perf_counter()
        columns = (
            "id, reference, organisation_id, author_id, created_at, updated_at, revision, occurred_on, text, "
            "source_evaluation, intelligence_assessment, handling_code, handling_conditions, "
            "handling_conditions_text, classification, exploitation_types, dissemination, review_state, review_date, "
            "grading_model, legacy_grading, source_system, source_reference"
        )
        group_column = sb._has_field(sb.IntelligenceReport, "sharing_group_ids")
        if group_column:
            columns += ", sharing_group_ids"
        group_arrays = {g: f"{{{gid}}}" for g, gid in enumerate(group_ids)} | {-1: "{}"}

        def report_row(rid: int, o: int, diss: int, group: int, day: int) -> tuple[Any, ...]:
            created = base + timedelta(days=day, seconds=rid % 86400)
            row: tuple[Any, ...] = (
                rid,
                f"BENCH-LNK-{rid:09d}",
                org_ids[o],
                author_ids[o],
                created,
                created,
                1,
                created.date(),
                "Linking benchmark report.",
                "2",
                "B",
                "P",
                "{}",
                "",
                "OFFICIAL",
                "{labour}",
                sb.DISSEMINATIONS[diss],
                "not_required",
                (created + timedelta(days=365 * 6)).date(),
                "3x5x2",
                "",
                "cairn-bench-linking",
                "",
            )
            return row + ((group_arrays[group],) if group_column else ())

        with cur.copy(f"COPY {sb.REPORT} ({columns}) FROM STDIN") as copy:
            for i in range(n):
                copy.write_row(report_row(i + 1, world.r_org[i], world.r_diss[i], world.r_group[i], world.r_day[i]))
            for r in range(extra.reports):
                copy.write_row(report_row(n + r + 1, x_org[r], x_diss[r], -1, 730 + r * 730 // max(1, extra.reports)))
        with cur.copy(f"COPY {sb.LINK} (intelligencereport_id, sharinggroup_id) FROM STDIN") as copy:
            for i in range(n):
                if world.r_group[i] >= 0:
                    copy.write_row((i + 1, group_ids[world.r_group[i]]))
        timings["reports"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        selector_base = n + 1
        with cur.copy(f"COPY {entity_t} (id, kind, key, created_at) FROM STDIN") as copy:
            for i in range(n):
                copy.write_row((i + 1, "person", None, base))
            for s, key in enumerate(world.s_key):
                copy.write_row((selector_base + s, sb.ENTITY_KIND[sb.SELECTOR_KINDS[world.s_kind[s]]], key, base))
            for s, kind in enumerate(extra.kinds):
                copy.write_row((extra.first_entity + s, SELECTOR_KINDS[kind], _selector_key(kind, s), base))
        timings["entities"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        name_statement = array("i", bytes(4 * n))
        sid = 0
        roles = [r for r, _ in sb.SUBJECT_ROLES]
        with cur.copy(
            f"COPY {statement_t} (id, entity_id, report_id, prop, value, value_normalised, role, related_entity_id, "
            "created_at) FROM STDIN"
        ) as copy:
            write = copy.write_row
            for i in range(n):
                rid = person = i + 1
                name = world.r_name[i]
                key = " ".join(sorted(name_tokens(name)))
                write((sid := sid + 1, person, rid, "subject", name, key, roles[world.r_role[i]], None, base))
                write((sid := sid + 1, person, rid, "name", name, key, "", None, base))
                name_statement[i] = sid
                s = world.r_selector[i]
                written, skey = world.r_written[i], world.s_key[s]
                write((sid := sid + 1, selector_base + s, rid, "subject", written, skey, "other", None, base))
                write((sid := sid + 1, selector_base + s, rid, "identifier", written, skey, "", None, base))
            for r in range(extra.reports):
                rid = n + r + 1
                for s in extra.of(r):
                    key = _selector_key(extra.kinds[s], s)
                    e = extra.first_entity + s
                    write((sid := sid + 1, e, rid, "subject", key, key, "other", None, base))
                    write((sid := sid + 1, e, rid, "identifier", key, key, "", None, base))
        timings["statements"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        with cur.copy(
            f"COPY {sb.PERSON_NAME} (statement_id, entity_id, report_id, name, name_key, tokens, birth_date, "
            "birth_year, nationality) FROM STDIN"
        ) as copy:
            for i in range(n):
                name = world.r_name[i]
                tokens = name_tokens(name)[:12]
                dob = world.r_dob[i]
                nat = sb.NATIONALITIES[world.p_nat[world.r_person[i]]].code if world.r_has_nat[i] else ""
                copy.write_row(
                    (name_statement[i], i + 1, i + 1, name[:500], " ".join(sorted(tokens))[:500], tokens, dob,
                     int(dob[:4]) if dob else None, nat)
                )  # fmt: skip
        timings["person names"] = time.perf_counter() - t0
        cur.execute("SET session_replication_role = DEFAULT")
        last_entity = extra.first_entity + len(extra.kinds) - 1
        for table, last in ((sb.REPORT, n + extra.reports), (entity_t, last_entity), (statement_t, sid)):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [last])
        cur.execute(
            f"SELECT setval(pg_get_serial_sequence('{sb.LINK}', 'id'), (SELECT coalesce(max(id), 1) FROM {sb.LINK}))"  # noqa: S608
        )
        say(f"  {n + extra.reports:,} reports, {sid:,} statements copied in {time.perf_counter() - started:,.0f} s")

        t0 = time.perf_counter()
        for _name, definition in indexes:
            cur.execute(definition)
        timings["indexes"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        from cairn.linking.services import SIGHTINGS_FILL_SQL

        cur.execute(SIGHTINGS_FILL_SQL)  # what linking reads a new report's counterparts from
        timings["sightings"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        for table in [*tables, "linking_sighting"]:
            cur.execute(f"VACUUM ANALYZE {table}")
        timings["vacuum analyze"] = time.perf_counter() - t0
    timings["statements written"] = sid
    timings["total"] = time.perf_counter() - started
    return timings


# --- measuring ------------------------------------------------------------------------------------------


@dataclass
class Figures:
    ms: list[float] = field(default_factory=list)

    def p(self, q: float) -> float:
        if not self.ms:
            return float("nan")
        ordered = sorted(self.ms)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _fmt(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:,.1f}"


def new_person_records(world: Any, count: int, rng: random.Random) -> list[int]:
    """Records (0-based) that are a later, noisy record of a person with an earlier one: the "new" records."""
    later = [r for records in world.p_records for r in records[1:]]
    return rng.sample(later, min(count, len(later)))


@dataclass
class MatchRun:
    total: Figures = field(default_factory=Figures)
    lookup: Figures = field(default_factory=Figures)
    scoring: Figures = field(default_factory=Figures)
    candidates: list[int] = field(default_factory=list)
    proposals: list[int] = field(default_factory=list)
    found: int = 0
    candidate_found: int = 0


def run_matching(world: Any, chosen: list[int]) -> MatchRun:
    from cairn.linking import matching

    records = {}
    report_ids = [i + 1 for i in chosen]
    for start in range(0, len(report_ids), 500):
        for rec in matching.records_for_reports(report_ids[start : start + 500]):
            records[rec.entity_id] = rec
    out = MatchRun()
    original = matching.candidates_for
    spent: list[float] = []
    last: list[list[Any]] = []

    def timed_candidates(record: Any) -> list[Any]:
        t0 = time.perf_counter()
        found = original(record)
        spent.append((time.perf_counter() - t0) * 1000)
        last.append(found)
        return found

    matching.candidates_for = timed_candidates  # type: ignore[assignment]
    try:
        for i in chosen:
            record = records[i + 1]
            spent.clear()
            last.clear()
            t0 = time.perf_counter()
            proposals = matching.match_record(record)
            ms = (time.perf_counter() - t0) * 1000
            truth = {r + 1 for r in world.p_records[world.r_person[i]]} - {i + 1}
            out.total.ms.append(ms)
            out.lookup.ms.append(spent[0])
            out.scoring.ms.append(ms - spent[0])
            out.candidates.append(len(last[0]))
            out.proposals.append(len(proposals))
            out.found += bool(truth & {p[1] for p in proposals})
            out.candidate_found += bool(truth & {c.entity_id for c in last[0]})
    finally:
        matching.candidates_for = original  # type: ignore[assignment]
    return out


@dataclass
class CorrelateRun:
    new_pairs: Figures = field(default_factory=Figures)
    page: Figures = field(default_factory=Figures)
    hits: list[int] = field(default_factory=list)
    counterparts: list[int] = field(default_factory=list)


def run_correlation(report_ids: list[int], user: Any) -> CorrelateRun:
    from cairn.bench.search import as_new_request
    from cairn.intelligence.models import IntelligenceReport
    from cairn.linking.selectors import report_correlations
    from cairn.linking.services import _new_pairs

    reports = IntelligenceReport.unscoped_objects.in_bulk(report_ids)
    out = CorrelateRun()
    for rid in report_ids:
        with transaction.atomic():
            t0 = time.perf_counter()
            pairs = _new_pairs([rid])
            out.new_pairs.ms.append((time.perf_counter() - t0) * 1000)
            transaction.set_rollback(True)  # the Hit rows go again
        out.hits.append(pairs)
        actor = as_new_request(user)
        t0 = time.perf_counter()
        found = report_correlations(actor=actor, report=reports[rid])
        out.page.ms.append((time.perf_counter() - t0) * 1000)
        out.counterparts.append(sum(len(c.counterparts) + c.more for c in found))
    return out


def _spread(values: list[int]) -> str:
    if not values:
        return "–"
    ordered = sorted(values)
    p = Figures([float(v) for v in ordered])
    return f"p50 {p.p(0.5):,.0f}, p95 {p.p(0.95):,.0f}, max {ordered[-1]:,}"


def _load_text() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores (shared with other work)"


def run(options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    from cairn.bench import search as sb
    from cairn.bench.database import bench_database
    from cairn.linking.services import HIT_FANOUT_LIMIT

    people, statements = options["people"], options["statements"]
    queries = options.get("queries") or DEFAULT_QUERIES
    seed = options.get("seed", DEFAULT_SEED)
    if people < 10:
        raise ValueError("the linking benchmark needs at least 10 person records")

    def say(line: str = "") -> None:
        out.write(line + "\n")
        out.flush()

    with bench_database(keep=bool(options.get("keep")), name=options.get("database")) as db:
        if db.reused:
            # This benchmark loads from scratch and cannot tell its own rows from another benchmark's.
            raise ValueError(
                f"the database {db.name} already exists (kept by an earlier benchmark): drop it, or name "
                "another with --database cairn_bench_<number>"
            )
        say(
            f"cairn bench linking: {people:,} person records, {statements:,} statements, {queries:,} queries, "
            f"seed {seed}, PostgreSQL {db.version} ({db.server}), database {db.name}"
        )
        t0 = time.perf_counter()
        world = sb.generate_world(people, seed, sb.organisations())
        first_entity = people + len(world.s_key) + 1
        mentions = max(0, statements - PERSON_REPORT_STATEMENTS * people) // 2
        extra = selector_reports(mentions, first_entity, seed)
        say(
            f"  generated {people:,} person records of {world.people:,} true people, and {extra.reports:,} "
            f"selector reports naming {len(extra.kinds):,} selectors ({extra.hot} hot) in "
            f"{time.perf_counter() - t0:,.0f} s"
        )
        setup = sb.make_setup()
        timings = load(world, extra, setup, say)
        say(
            "  loaded with COPY: "
            + ", ".join(f"{k} {v:,.0f} s" for k, v in timings.items() if k not in {"total", "statements written"})
            + f"; total {timings['total']:,.0f} s (setup, not measured)"
        )
        rng = random.Random(f"{seed}:queries")
        chosen = new_person_records(world, queries + WARM, rng)
        total_reports = people + extra.reports
        newest = list(range(total_reports, max(0, total_reports - queries - WARM), -1))
        newest.reverse()
        user = setup.user

        say(f"  before measuring: {_load_text()}")
        run_matching(world, chosen[:WARM])  # loads the model, warms the caches as a running worker has them
        run_correlation(newest[:WARM], user)
        t0 = time.perf_counter()
        match = run_matching(world, chosen[WARM:])
        corr = run_correlation(newest[WARM:], user)
        measured = time.perf_counter() - t0
        load_after = _load_text()

    # Reports naming a selector more than the fan-out limit: generated counts (person reports' hot selectors too).
    person_counts = Counter(world.r_selector)
    over = sum(1 for c in extra.mentions if c > HIT_FANOUT_LIMIT) + sum(
        1 for c in person_counts.values() if c > HIT_FANOUT_LIMIT
    )
    timed_new = newest[WARM:]
    touching_hot = 0
    for rid in timed_new:
        if rid > people:
            touching_hot += any(extra.mentions[s] > HIT_FANOUT_LIMIT for s in extra.of(rid - people - 1))
        else:
            touching_hot += person_counts[world.r_selector[rid - 1]] > HIT_FANOUT_LIMIT
    written = int(timings["statements written"])
    nq = len(match.total.ms)

    def row(label: str, f: Figures, target: str = "") -> None:
        say(f"{label:<58}{_fmt(f.p(0.5)):>9}{_fmt(f.p(0.95)):>9}{_fmt(f.p(0.99)):>9}   {target}".rstrip())

    say()
    say(
        f"cairn bench linking: {people:,} person records ({world.people:,} true people), {written:,} statements, "
        f"{total_reports:,} reports, PostgreSQL {db.version}"
    )
    say(f"{'measure':<58}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}   target")
    row("match_record: 1 new person vs N existing", match.total, f"p95 ≤ {TARGETS['match_p95_ms']:.0f}")
    row("  candidate lookup (candidates_for, PostgreSQL)", match.lookup)
    row("  scoring with the trained model", match.scoring)
    row("_new_pairs: 1 new report vs M statements", corr.new_pairs, f"p95 ≤ {TARGETS['correlate_p95_ms']:.0f}")
    row("report_correlations: officer, access rule", corr.page, f"p95 ≤ {TARGETS['correlate_p95_ms']:.0f}")
    say()
    recall = match.found / nq if nq else float("nan")
    say(
        f"matching: {nq:,} new records (later noisy records of people already held); candidates per record "
        f"{_spread(match.candidates)}; proposals per record {_spread(match.proposals)}"
    )
    say(
        f"recall: true match among the proposals {recall:.3f}; among the candidates "
        f"{match.candidate_found / nq if nq else float('nan'):.3f}"
    )
    say(
        f"correlation: {len(corr.new_pairs.ms):,} newest reports; hits stored per report {_spread(corr.hits)}; "
        f"counterparts the officer sees per report {_spread(corr.counterparts)}"
    )
    say(
        f"selectors named by more than HIT_FANOUT_LIMIT={HIT_FANOUT_LIMIT} reports: {over:,}; "
        f"timed reports naming one: {touching_hot:,}; largest: "
        f"{max([*extra.mentions, *person_counts.values()]):,} reports"
    )
    say(f"measured in {measured:,.0f} s; after measuring: {load_after}")
    met = {
        "match_p95": match.total.p(0.95) <= TARGETS["match_p95_ms"],
        "new_pairs_p95": corr.new_pairs.p(0.95) <= TARGETS["correlate_p95_ms"],
        "correlations_p95": corr.page.p(0.95) <= TARGETS["correlate_p95_ms"],
    }
    say("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items()))
    return {
        "match": match,
        "correlation": corr,
        "recall": recall,
        "statements": written,
        "load_seconds": timings,
        "targets_met": met,
    }
