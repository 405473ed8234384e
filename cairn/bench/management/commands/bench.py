"""``cairn bench <name>``: benchmarks, each in a database of its own (``cairn_bench``), with figures printed.

    cairn bench ingest --reports 1000000 [--batch 1000] [--keep]
    cairn bench resolve | network   (see each module for its arguments)
    cairn bench all

Later benchmarks (search, resolve, network) are added as further subcommands.
"""

from __future__ import annotations

import time
from importlib import import_module
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

DEFAULT_REPORTS = 1_000_000

# Benchmarks whose module declares its own arguments: ``add_arguments(parser)`` and ``run(options, out)``.
PLUGGED: dict[str, tuple[str, str]] = {
    "resolve": (
        "cairn.bench.resolve",
        "Entity resolution of generated person records at several sizes, beside plain Splink.",
    ),
    "linking": (
        "cairn.bench.linking",
        "Real-time matching of one new person record against N existing, and correlation of a new report's "
        "selectors against M existing statements.",
    ),
    "network": (
        "cairn.bench.network",
        "Network analytics on a generated graph with planted groups, beside raw queries.",
    ),
    "chart": (
        "cairn.bench.chart",
        "The link chart page in headless Chromium: a 100-, 500- and 2,000-node chart from Load to interactive.",
    ),
}
DEFAULT_BATCH = 1000


def positive_int(raw: str) -> int:
    value = int(raw.replace("_", "").replace(",", ""))
    if value < 1:
        raise ValueError(raw)
    return value


class Command(BaseCommand):
    help = "Run a benchmark in a separate database (cairn_bench) on the same PostgreSQL server and print its figures."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="benchmark", required=True)
        ingest = sub.add_parser(
            "ingest",
            help="Generated reports through the submission service (extraction, statements, audit), "
            "beside PostgreSQL's COPY of the same rows.",
        )
        ingest.add_argument(
            "--reports",
            type=positive_int,
            default=DEFAULT_REPORTS,
            help=f"how many reports (default {DEFAULT_REPORTS:,})",
        )
        ingest.add_argument(
            "--batch",
            type=positive_int,
            default=DEFAULT_BATCH,
            help=f"reports per call to the service (default {DEFAULT_BATCH:,})",
        )
        ingest.add_argument("--seed", type=int, default=None, help="seed for the generated people and reports")
        ingest.add_argument(
            "--keep",
            action="store_true",
            help="keep the benchmark database afterwards (and reuse one left by an earlier run)",
        )
        ingest.add_argument("--no-verify", action="store_true", help="skip walking the audit chain at the end")
        search = sub.add_parser("search", help="Search people, selectors and words at scale, beside a naive baseline.")
        search.add_argument("--reports", type=positive_int, default=1_000_000, help="reports and person records")
        search.add_argument("--queries", type=positive_int, default=1000, help="queries of each kind")
        search.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
        for name, (module, help_text) in PLUGGED.items():
            import_module(module).add_arguments(sub.add_parser(name, help=help_text))
        sub.add_parser("all", help="Every benchmark with its defaults (make bench).")

    def handle(self, *args: Any, **options: Any) -> None:
        from cairn.bench.database import BenchDatabaseError

        try:
            self.run(options)
        except BenchDatabaseError as exc:
            raise CommandError(str(exc)) from exc

    def run(self, options: dict[str, Any]) -> None:
        benchmark = options["benchmark"]
        if benchmark == "ingest":
            self.ingest(
                reports=options["reports"],
                batch=options["batch"],
                seed=options["seed"],
                keep=options["keep"],
                verify=not options["no_verify"],
            )
        elif benchmark == "search":
            from cairn.bench import search

            search.run(reports=options["reports"], queries=options["queries"], keep=options["keep"], out=self.stdout)  # type: ignore[arg-type]
        elif benchmark in PLUGGED:
            import_module(PLUGGED[benchmark][0]).run(options, self.stdout)
        elif benchmark == "all":
            self.ingest(reports=DEFAULT_REPORTS, batch=DEFAULT_BATCH, seed=None, keep=False, verify=True)
        else:  # pragma: no cover - argparse refuses unknown names
            raise CommandError(f"unknown benchmark {benchmark!r}")

    def say(self, line: str = "") -> None:
        self.stdout.write(line)
        self.stdout.flush()  # progress must show while a long run is still going, even when redirected

    def ingest(self, *, reports: int, batch: int, seed: int | None, keep: bool, verify: bool) -> None:
        from cairn.audit.services import verify_chain
        from cairn.bench import ingest
        from cairn.bench.database import bench_database

        seed = ingest.DEFAULT_SEED if seed is None else seed
        with bench_database(keep=keep) as db:
            self.say(
                f"cairn bench ingest: N={reports:,} reports, batch {batch:,}, PostgreSQL {db.version} "
                f"({db.server}), database {db.name}{' (reused)' if db.reused else ''}"
            )
            started = time.perf_counter()
            actor = ingest.bench_actor()
            pool = ingest.build_pool(seed, ingest.pool_sizes(reports))
            sizes = ", ".join(f"{len(v):,} {k}s" for k, v in pool.values.items())
            self.say(f"pool: {sizes} (seed {seed}), built in {time.perf_counter() - started:.1f} s")

            def progress(c: ingest.Checkpoint) -> None:
                self.say(
                    f"  {c.done / reports:4.0%}  {c.done:>12,} reports  {c.rate:>8,.0f} reports/s  "
                    f"RSS {c.rss_mb:,.0f} MB"
                )

            result = ingest.run_ingest(
                actor=actor, pool=pool, reports=reports, batch=batch, seed=seed, progress=progress
            )
            copy = ingest.copy_baseline(pool=pool, reports=reports, organisation_id=actor.organisation_id, seed=seed)
            written = result.written
            self.say()
            self.say(
                f"service (extraction + validation + statements + audit): {result.rate:,.0f} reports/s  "
                f"({reports:,} in {result.seconds:,.1f} s)"
            )
            per = 1e6 / reports  # seconds in total -> microseconds per report
            waiting = result.service_seconds - result.service_cpu_seconds
            backend = result.backend_cpu_seconds
            self.say(
                f"  per report (µs): extraction {result.extract_seconds * per:,.0f} "
                f"(CPU {result.extract_cpu_seconds * per:,.0f}) | service {result.service_seconds * per:,.0f} = "
                f"Python CPU {result.service_cpu_seconds * per:,.0f} + waiting for PostgreSQL {waiting * per:,.0f} | "
                + (f"PostgreSQL backend CPU {backend * per:,.0f}" if backend is not None else "backend CPU unknown")
            )
            self.say(
                f"  wall time (s): extraction {result.extract_seconds:,.1f}, service {result.service_seconds:,.1f}, "
                f"generating the texts {result.generate_seconds:,.1f}; "
                f"{result.subjects / reports:.2f} subjects per report"
            )
            self.say(
                f"  rows written: statements {written['statements']:,}   entities {written['entities']:,}   "
                f"revisions {written['revisions']:,}   audit entries {written['audit entries']:,}"
            )
            rss = ", ".join(f"{c.rss_mb:,.0f}" for c in result.checkpoints)
            self.say(f"peak RSS: {ingest.peak_rss_mb():,.0f} MB; RSS (MB) at each checkpoint: {rss}")
            share = result.rate / copy.rate if copy.rate else 0.0
            self.say(
                f"COPY of the same report rows: {copy.rate:,.0f} rows/s  ({reports:,} in {copy.seconds:,.1f} s "
                f"with generating the texts, as the service run; about {copy.copy_only_rate:,.0f} rows/s without); "
                f"service reaches {share:.1%} of COPY"
            )
            if verify:
                started = time.perf_counter()
                chain = verify_chain()
                took = time.perf_counter() - started
                state = "intact" if chain.intact else f"BROKEN at entry #{chain.first_broken_id}: {chain.problem}"
                self.say(f"audit chain {state}: {chain.checked:,} entries checked in {took:,.1f} s")
                if not chain.intact:
                    raise CommandError("the benchmark's audit chain does not verify")
        if keep:
            self.say(f"kept database {db.name}")
