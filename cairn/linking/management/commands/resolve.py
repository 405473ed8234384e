"""``cairn resolve``: entity resolution of person records in CSV files, clusters out as CSV.

    cairn resolve INPUT.csv --out CLUSTERS.csv [--columns name=full_name,dob=date_of_birth,...]
    cairn resolve --link-only A.csv B.csv --out CLUSTERS.csv [--columns ...]

Dedupe one file, or link two (pairs across the files only). The output has one row per input
record: ``record_id,cluster_id,match_probability`` (and ``source`` first, the file name, when
linking two files). No database is needed: DuckDB works in a temporary folder beside the output.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Find the person records that are the same person (Splink, Cairn's model) and write "
        "record_id,cluster_id,match_probability. Records without a usable name are not matched: each "
        "is written as a cluster of its own and counted. Impossible dates of birth count as unknown."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", nargs="?", help="the CSV file to dedupe")
        parser.add_argument("--out", required=True, help="where to write the clusters (CSV)")
        parser.add_argument(
            "--columns",
            default="",
            help="FIELD=COLUMN pairs, comma-separated; fields: id, name, dob, nationality, identifiers, "
            "selectors (several columns joined with +, several values in a cell separated by ';'). "
            "Defaults: id, name, dob, nationality.",
        )
        parser.add_argument(
            "--link-only", nargs=2, metavar=("A.csv", "B.csv"), help="link two files instead of deduping one"
        )
        parser.add_argument("--threshold", type=float, default=None, help="match probability to link at")

    def handle(self, *args: Any, **options: Any) -> None:
        from cairn.linking.csvio import CsvError

        try:
            self.resolve(options)
        except CsvError as exc:
            raise CommandError(str(exc)) from None

    def resolve(self, options: dict[str, Any]) -> None:
        import duckdb

        from cairn.linking import csvio
        from cairn.linking.model import Batch, cluster_table, load_model

        link = options["link_only"]
        if link and options["input"]:
            raise CommandError("give either INPUT.csv or --link-only A.csv B.csv, not both")
        if not link and not options["input"]:
            raise CommandError("give the CSV file to dedupe (or --link-only A.csv B.csv)")
        paths = [Path(p) for p in (link or [options["input"]])]
        if link and paths[0].resolve() == paths[1].resolve():
            raise CommandError("--link-only needs two different files")
        # Each file as the output's ``source`` column names it: its name, or the path as given when
        # both files have one name (x/people.csv and y/people.csv), so no two rows say the same.
        labels = [p.name for p in paths] if len({p.name for p in paths}) == len(paths) else [str(p) for p in paths]
        threshold = options["threshold"]
        if threshold is not None and not 0 < threshold < 1:
            raise CommandError("--threshold must be between 0 and 1")
        columns = csvio.ColumnMap.parse(options["columns"])
        out = Path(options["out"])
        # Checked before anything is read: the output replaces its target, so it would replace the input.
        for path in paths:
            if _same_file(out, path):
                raise CommandError(f"--out {out} is the input file {path.name}; give another file for the clusters")
        model = load_model()
        t = model.threshold if threshold is None else threshold
        started = time.perf_counter()
        with (
            csvio.atomic_output(out) as part,
            tempfile.TemporaryDirectory(dir=part.parent, prefix=".cairn-resolve-") as work,
        ):
            con = duckdb.connect(str(Path(work) / "resolve.duckdb"))
            con.execute(f"SET temp_directory = '{Path(work) / 'spill'}'")
            con.execute("SET enable_progress_bar = false")
            try:
                loaded = []
                for i, path in enumerate(paths):
                    stats = csvio.load_csv(con, path, columns, f"raw_{i}")
                    loaded.append(stats)
                    # Records without a usable name are left out of matching (and written alone below).
                    con.execute(
                        f"""CREATE OR REPLACE TABLE named_{i} AS SELECT * FROM raw_{i}
                            WHERE {csvio.USABLE_NAME}"""  # noqa: S608
                    )
                sources = [f"named_{i}" for i in range(len(paths))]
                if any(con.execute(f"SELECT count(*) FROM {s}").fetchall()[0][0] == 0 for s in sources):  # noqa: S608
                    raise CommandError("no record has a usable name; nothing to resolve")
                batch = Batch.start(
                    sources[0],
                    other=sources[1] if link else None,
                    link_only=bool(link),
                    model=model,
                    con=con,
                )
                table = cluster_table(batch, t)
                invalid = sum(s.invalid_dobs for s in batch.stats)
                unknown_nat = sum(s.unknown_nationalities for s in batch.stats)
                file_of = (
                    "CASE source "
                    + " ".join(f"WHEN {i} THEN '{name.replace(chr(39), chr(39) * 2)}'" for i, name in enumerate(labels))
                    + " END"
                )
                # A record without a name is a cluster of its own under its own key, as a named record
                # alone is: record ids are unique in a file, so no named cluster can have that id.
                alone = " UNION ALL ".join(
                    f"""SELECT {i} AS source, unique_id AS record_id,
                               {f"'d{i}:' || unique_id" if link else "unique_id"} AS cluster_id,
                               NULL::DOUBLE AS match_probability
                        FROM raw_{i} WHERE NOT ({csvio.USABLE_NAME})"""  # noqa: S608
                    for i in range(len(paths))
                )
                lead = f"{file_of} AS source, " if link else ""
                query = f"""SELECT {lead}record_id, cluster_id, round(match_probability, 6) AS match_probability
                            FROM (SELECT * FROM {table} UNION ALL {alone})
                            ORDER BY cluster_id, source, record_id"""  # noqa: S608
                csvio.copy_to_csv(con, query, part)
                summary = con.execute(
                    f"""SELECT count(*), count(DISTINCT cluster_id),
                               count(*) FILTER (match_probability IS NOT NULL)
                        FROM {table}"""  # noqa: S608
                ).fetchall()[0]
            finally:
                con.close()
        total = sum(s.records for s in loaded)
        empty = sum(s.empty_names for s in loaded)
        self.stdout.write(
            f"{total:,} records from {', '.join(labels)}: {summary[2]:,} linked into "
            f"{summary[1]:,} clusters at match probability {t} in {time.perf_counter() - started:,.1f} s; "
            f"written to {out}"
        )
        self.stdout.write(
            f"skipped {empty:,} records without a usable name (not matched; each written as its own cluster); "
            f"{invalid:,} impossible dates of birth treated as unknown; {unknown_nat:,} nationalities not recognised"
        )


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (through links, ``..`` or another spelling)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False
