"""``cairn bench resolve``: entity resolution of generated person records, beside plain Splink.

    cairn bench resolve [--sizes 10000,100000,1000000] [--seed 7] [--threshold P] [--no-baseline]
                        [--train N]   # retrain cairn/linking/model_params.json on N records (seed 11) first
                        [--ceiling]   # also: how far Cairn's blocking and comparison levels could go

The records are the search benchmark's (``cairn.bench.search.generate_world``): noisy spellings of
fewer true people (typos, transliterations, swapped order, dropped middle names, initials, split
words, other scripts), partial or swapped dates of birth, nationality on 85 %, one selector each.
The truth (which person each record is) stays in memory and is used only to score the result.
Generating the records is setup, not timed; the largest size is generated once and the smaller
sizes are its first records. No database is needed: everything runs in DuckDB in process.

Figures for each size, for Cairn's model and for plain Splink on the same records:

* pairwise precision / recall / F1 over same-cluster pairs against same-person pairs;
* cluster precision / recall / F1 as B-cubed (per record: the share of its cluster that is the
  same person, and the share of its person found in its cluster, averaged over records), and the
  share of true people whose records form exactly one cluster;
* wall time end to end (records into DuckDB, features, blocking, scoring, clustering, reading the
  clusters back), scored pairs, peak memory (RSS sampled while the run goes);
* the time ratio between consecutive sizes (linear would equal the size ratio);
* the real-time cost of ``Model.score`` for one pair;
* with ``--ceiling`` (untimed), what the model's own evidence allows: the blocking recall (true pairs
  among the pairs blocking lets through) and the pairwise F1 of an oracle that sees each blocked
  pair's comparison levels and name-frequency bucket, as the model does, and links exactly the
  patterns the truth says are worth linking. A model cannot beat it without new evidence.
"""

from __future__ import annotations

import gc
import logging
import random
import threading
import time
from argparse import ArgumentParser
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, TextIO

TARGET_F1 = 0.97
TARGET_SECONDS_1M = 60.0
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_SEED = 7
TRAIN_SEED = 11


def _sizes(raw: str) -> list[int]:
    out = []
    for part in raw.split(","):
        value = int(part.strip().replace("_", ""))
        if value < 100:
            raise ValueError(raw)
        out.append(value)
    return sorted(out)


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=list(DEFAULT_SIZES),
        help="comma-separated record counts (default 10000,100000,1000000)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the generated records")
    parser.add_argument(
        "--threshold", type=float, default=None, help="match probability to link at (default: the model's)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip plain Splink")
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="also print the blocking recall and the best pairwise F1 the comparison levels allow (untimed)",
    )
    parser.add_argument(
        "--train",
        type=int,
        default=0,
        metavar="N",
        help=f"first retrain the model on N generated records (seed {TRAIN_SEED}) and save model_params.json",
    )


# --- generated records -----------------------------------------------------------------------------


@dataclass
class Data:
    table: Any  # pyarrow.Table: unique_id, name, dob, nationality, identifiers, selectors
    person: list[int]  # the truth, by record


def generate(size: int, seed: int) -> Data:
    import pyarrow as pa

    from cairn.bench.search import NATIONALITIES, generate_world, organisations

    w = generate_world(size, seed, organisations())
    n = len(w.r_name)
    codes = [nat.code for nat in NATIONALITIES]
    person = list(w.r_person)
    table = pa.table(
        {
            "unique_id": [str(i) for i in range(n)],
            "name": w.r_name,
            "dob": w.r_dob,
            "nationality": [codes[w.p_nat[person[i]]] if w.r_has_nat[i] else None for i in range(n)],
            "identifiers": pa.nulls(n, pa.list_(pa.string())),
            "selectors": [[w.s_key[s]] for s in w.r_selector],
        }
    )
    return Data(table, person)


# --- measuring ---------------------------------------------------------------------------------------


class PeakRss:
    """RSS sampled every 50 ms while the block runs."""

    def __init__(self) -> None:
        import psutil

        self._proc = psutil.Process()
        self.start_mb = self.peak_mb = self._proc.memory_info().rss / 2**20
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak_mb = max(self.peak_mb, self._proc.memory_info().rss / 2**20)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, self._proc.memory_info().rss / 2**20)


@dataclass
class Quality:
    pair_p: float
    pair_r: float
    pair_f1: float
    b3_p: float
    b3_r: float
    b3_f1: float
    exact: float


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def quality(con: Any, clusters: list[tuple[str, str]], person: list[int]) -> Quality:
    """Pairwise and B-cubed figures of (record id, cluster id) against the true person of each record."""
    import pyarrow as pa

    ids = [int(r) for r, _ in clusters]
    con.register(
        "_q",
        pa.table({"rid": ids, "cid": [c for _, c in clusters], "pid": [person[i] for i in ids]}),
    )
    row = con.execute(
        """
        WITH cp AS (SELECT cid, pid, count(*) AS n FROM _q GROUP BY cid, pid),
             c AS (SELECT cid, count(*) AS n FROM _q GROUP BY cid),
             p AS (SELECT pid, count(*) AS n, count(DISTINCT cid) AS k FROM _q GROUP BY pid),
             exact AS (SELECT count(*) AS n FROM p JOIN cp USING (pid) JOIN c USING (cid) WHERE p.k = 1 AND c.n = p.n)
        SELECT
            (SELECT sum(n * (n - 1) / 2) FROM cp),
            (SELECT sum(n * (n - 1) / 2) FROM c),
            (SELECT sum(n * (n - 1) / 2) FROM p),
            (SELECT sum(cp.n * cp.n / c.n) FROM cp JOIN c USING (cid)),
            (SELECT sum(cp.n * cp.n / p.n) FROM cp JOIN p USING (pid)),
            (SELECT count(*) FROM _q),
            (SELECT n FROM exact),
            (SELECT count(*) FROM p)
        """
    ).fetchall()[0]
    con.unregister("_q")
    tp, pred, true, b3p, b3r, n, exact, people = (float(x or 0) for x in row)
    pp = tp / pred if pred else 1.0
    pr = tp / true if true else 1.0
    bp, br = b3p / n, b3r / n
    return Quality(pp, pr, _f1(pp, pr), bp, br, _f1(bp, br), exact / people if people else 0.0)


@dataclass
class Ceiling:
    true_pairs: int
    blocked_true: int
    blocked: int
    patterns: int
    p: float
    r: float
    f1: float

    @property
    def blocking_recall(self) -> float:
        return self.blocked_true / self.true_pairs if self.true_pairs else 1.0


def best_f1(patterns: list[tuple[int, int]], true_pairs: int) -> tuple[float, float, float]:
    """(precision, recall, F1) of linking the best set of patterns, each given as (true, false) pairs.

    F1 = 2·TP / (TP + FP + true pairs), so at the best F1* a pattern is worth linking exactly when its
    own precision exceeds F1*/2: the best set is every pattern above a precision cut, and so the
    best prefix of the patterns in falling order of precision.
    """
    best = (0.0, 0.0, 0.0)
    tp = fp = 0
    for t, f in sorted(patterns, key=lambda tf: (-tf[0] / (tf[0] + tf[1]), -tf[0])):
        tp, fp = tp + t, fp + f
        p, r = tp / (tp + fp), tp / true_pairs if true_pairs else 0.0
        if _f1(p, r) > best[2]:
            best = (p, r, _f1(p, r))
    return best


def ceiling(table: Any, person: list[int]) -> Ceiling:
    """Blocking recall, and the best pairwise F1 of Cairn's comparison levels and name-frequency buckets."""
    import pyarrow as pa

    from cairn.linking.model import COMPARISONS, TF_COLUMN, Batch, load_model

    batch = Batch.start(table, model=load_model(), detail=True)
    try:
        predictions = batch.predict(None)
        con = batch.con
        con.register("_truth", pa.table({"unique_id": [str(i) for i in range(len(person))], "pid": person}))
        t = batch.tables[0]
        gammas = ", ".join(f"p.gamma_{c.name}" for c in COMPARISONS)
        pattern = ", ".join(f"gamma_{c.name}" for c in COMPARISONS) + ", bucket"
        # The bucket of the commoner of the two names, as the term-frequency adjustment sees it.
        rows = con.execute(
            f"""
            WITH tf AS (SELECT {TF_COLUMN} AS k, count(*) AS n FROM {t} WHERE {TF_COLUMN} IS NOT NULL GROUP BY 1),
            pairs AS (
                SELECT {gammas},
                    round(log2(greatest(coalesce(tl.n, 1), coalesce(tr.n, 1)))) AS bucket,
                    (a.pid = b.pid)::int AS same
                FROM {predictions.physical_name} p
                JOIN _truth a ON a.unique_id = p.unique_id_l JOIN _truth b ON b.unique_id = p.unique_id_r
                JOIN {t} l ON l.unique_id = p.unique_id_l JOIN {t} r ON r.unique_id = p.unique_id_r
                LEFT JOIN tf tl ON tl.k = l.{TF_COLUMN} LEFT JOIN tf tr ON tr.k = r.{TF_COLUMN}
            )
            SELECT sum(same), count(*) - sum(same) FROM pairs GROUP BY {pattern}
            """  # noqa: S608
        ).fetchall()
    finally:
        batch.con.close()
    counts: dict[int, int] = {}
    for pid in person:
        counts[pid] = counts.get(pid, 0) + 1
    true_pairs = sum(n * (n - 1) // 2 for n in counts.values())
    patterns = [(int(t_), int(f_)) for t_, f_ in rows]
    p, r, f1 = best_f1(patterns, true_pairs)
    blocked_true = sum(t_ for t_, _ in patterns)
    blocked = sum(t_ + f_ for t_, f_ in patterns)
    return Ceiling(true_pairs, blocked_true, blocked, len(patterns), p, r, f1)


@dataclass
class Run:
    seconds: float
    pairs: int
    peak_mb: float
    quality: Quality
    clusters: int
    steps: dict[str, float]


def run_cairn(table: Any, person: list[int], threshold: float | None) -> Run:
    import duckdb

    from cairn.linking.model import Batch, cluster_rows, load_model

    model = load_model()
    t = model.threshold if threshold is None else threshold
    gc.collect()
    steps: dict[str, float] = {}
    with PeakRss() as rss:
        started = time.perf_counter()
        batch = Batch.start(table, model=model)
        steps["features"] = time.perf_counter() - started
        mark = time.perf_counter()
        rows = [(rid, cid) for rid, cid, _ in cluster_rows(batch, t)]
        steps["score+cluster"] = time.perf_counter() - mark
        seconds = time.perf_counter() - started
        pairs = _count_pairs(batch.con)
    con = duckdb.connect()
    q = quality(con, rows, person)
    batch.con.close()
    return Run(seconds, pairs, rss.peak_mb, q, len({c for _, c in rows}), steps)


def _count_pairs(con: Any) -> int:
    names = [
        r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE '%predict%'").fetchall()
    ]
    total = 0
    for name in names:
        total = max(total, int(con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]))  # noqa: S608
    return total


# --- plain Splink ------------------------------------------------------------------------------------


def run_plain(table: Any, person: list[int], threshold: float) -> Run:
    """Splink as the tutorial sets it up: first and last word of the raw name, dob as a string."""
    import duckdb
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    gc.collect()
    with PeakRss() as rss:
        started = time.perf_counter()
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        con.register("_plain_in", table)
        con.execute(
            """CREATE TABLE plain AS SELECT unique_id,
                   nullif(lower(string_split(trim(name), ' ')[1]), '') AS first_name,
                   CASE WHEN len(string_split(trim(name), ' ')) > 1
                        THEN lower(string_split(trim(name), ' ')[-1]) END AS surname,
                   nullif(dob, '') AS dob, nationality, selectors[1] AS selector
               FROM _plain_in"""
        )
        con.unregister("_plain_in")
        db = DuckDBAPI(connection=con)
        frame = db.register("plain", dataset_display_name="plain")
        settings = SettingsCreator(
            link_type="dedupe_only",
            comparisons=[
                cl.NameComparison("first_name"),
                cl.NameComparison("surname"),
                cl.LevenshteinAtThresholds("dob", [1, 2]),
                cl.ExactMatch("nationality"),
                cl.ExactMatch("selector"),
            ],
            blocking_rules_to_generate_predictions=[
                block_on("first_name", "surname"),
                block_on("surname", "dob"),
                block_on("first_name", "dob"),
                block_on("selector"),
            ],
            retain_matching_columns=False,
        )
        linker = Linker(frame, settings, log_level=logging.WARNING)
        linker.training.estimate_probability_two_random_records_match(
            ["l.first_name = r.first_name AND l.surname = r.surname AND l.dob = r.dob"], recall=0.6
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname", "dob"))
        predictions = linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=threshold
        )
        rows = [
            (str(r), str(c))
            for r, c in con.execute(f"SELECT unique_id, cluster_id FROM {clusters.physical_name}").fetchall()  # noqa: S608
        ]
        seconds = time.perf_counter() - started
        pairs = _count_pairs(con)
    q = quality(duckdb.connect(), rows, person)
    con.close()
    return Run(seconds, pairs, rss.peak_mb, q, len({c for _, c in rows}), {})


def tune_threshold(data: Data) -> tuple[float, list[tuple[float, float, float, float]]]:
    """The match probability whose clusters have the best pairwise F1, on records with a known truth."""
    import duckdb

    from cairn.linking.model import Batch, cluster_table

    batch = Batch.start(data.table)
    thresholds = (0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95, 0.98)
    predictions = batch.predict(min(thresholds))
    sweep = []
    scratch = duckdb.connect()
    for t in thresholds:
        table = cluster_table(batch, t, "_sweep", predictions=predictions)
        rows = [
            (str(r), str(c))
            for r, c in batch.con.execute(f"SELECT record_id, cluster_id FROM {table}").fetchall()  # noqa: S608
        ]
        q = quality(scratch, rows, data.person)
        sweep.append((t, q.pair_p, q.pair_r, q.pair_f1))
    batch.con.close()
    best = max(sweep, key=lambda row: row[3])
    return best[0], sweep


# --- real time ---------------------------------------------------------------------------------------


def score_cost(table: Any, samples: int = 2000) -> tuple[float, float]:
    """Microseconds per Model.score call on random pairs and on pairs of the same surname key, features
    computed beforehand (the candidate lookup is PostgreSQL's job)."""
    from cairn.linking.features import person_features
    from cairn.linking.model import load_model

    model = load_model()
    n = table.num_rows
    rng = random.Random(3)
    idx = [rng.randrange(n) for _ in range(min(samples, n))]
    names = table.column("name").to_pylist()
    dobs = table.column("dob").to_pylist()
    nats = table.column("nationality").to_pylist()
    sels = table.column("selectors").to_pylist()
    feats = [person_features(names[i], dobs[i], nats[i], None, sels[i]) for i in idx]
    rows = [f.row() for f in feats]
    pairs = [(rows[i], rows[(i + 1) % len(rows)]) for i in range(len(rows))]
    started = time.perf_counter()
    for a, b in pairs:
        model.score(a, b)
    random_us = (time.perf_counter() - started) / len(pairs) * 1e6
    same = [(r, r) for r in rows]
    started = time.perf_counter()
    for a, b in same:
        model.score(a, b)
    same_us = (time.perf_counter() - started) / len(same) * 1e6
    return random_us, same_us


# --- the command -------------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{x:.4f}"


def run(options: dict[str, Any], out: TextIO) -> None:
    import os

    import duckdb
    import splink

    def say(line: str = "") -> None:
        out.write(line + ("\n" if not line.endswith("\n") else ""))
        out.flush()

    logging.getLogger("splink").setLevel(logging.WARNING)
    sizes: list[int] = options["sizes"]
    seed: int = options["seed"]
    if options.get("train"):
        from cairn.linking.model import load_model, train

        say(f"training on {options['train']:,} generated records (seed {TRAIN_SEED}) ...")
        started = time.perf_counter()
        data = generate(options["train"], TRAIN_SEED)
        params = train(
            data.table,
            notes={"trained_on": f"cairn.bench.search.generate_world({options['train']}, seed={TRAIN_SEED})"},
        )
        params.threshold, sweep = tune_threshold(data)
        params.notes["threshold"] = "the best pairwise F1 on the training records (their truth used for this only)"
        params.save()
        load_model.cache_clear()
        say(
            f"  trained in {time.perf_counter() - started:,.1f} s (generation included); "
            f"prior {params.probability_two_random_records_match:.3g}"
        )
        say(
            "  threshold sweep on the training records (cluster pairwise P/R/F1): "
            + "; ".join(f"{t}: {p:.3f}/{r:.3f}/{f:.3f}" for t, p, r, f in sweep)
        )
        say(f"  saved with threshold {params.threshold}")

    from cairn.linking.model import load_model

    model = load_model()
    threshold = model.threshold if options.get("threshold") is None else float(options["threshold"])
    say(
        f"cairn bench resolve: sizes {', '.join(f'{s:,}' for s in sizes)}; seed {seed}; threshold {threshold}; "
        f"Splink {splink.__version__}, DuckDB {duckdb.__version__}, {os.cpu_count()} CPUs"
    )
    say(
        f"model trained on {model.params.training_records:,} records: {model.params.notes.get('trained_on', 'unknown')}"
    )
    started = time.perf_counter()
    data = generate(max(sizes), seed)
    say(
        f"generated {max(sizes):,} records of {len(set(data.person)):,} people "
        f"in {time.perf_counter() - started:,.1f} s (not timed below)"
    )
    say()
    say("pairwise = same-cluster pairs against same-person pairs; cluster = B-cubed (per record, averaged);")
    say("exact = share of true people whose records are exactly one cluster; time = end to end, records to clusters")
    say(
        f"targets: pairwise F1 >= {TARGET_F1} and above plain Splink; "
        f"{1_000_000:,} records in <= {TARGET_SECONDS_1M:.0f} s"
    )
    say()
    header = (
        f"{'engine':<7} {'records':>9}  {'pair P':>6} {'pair R':>6} {'pair F1':>7}  "
        f"{'B3 P':>6} {'B3 R':>6} {'B3 F1':>6} {'exact':>6}  {'time s':>7} {'pairs':>11} {'peak MB':>8}"
    )
    say(header)
    say("-" * len(header))
    results: dict[tuple[str, int], Run] = {}
    for size in sizes:
        table = data.table.slice(0, size)
        person = data.person[:size]
        engines = [("cairn", lambda t=table, p=person: run_cairn(t, p, options.get("threshold")))]
        if not options.get("no_baseline"):
            engines.append(("splink", lambda t=table, p=person: run_plain(t, p, threshold)))
        for name, fn in engines:
            r = fn()
            results[(name, size)] = r
            q = r.quality
            say(
                f"{name:<7} {size:>9,}  {_pct(q.pair_p):>6} {_pct(q.pair_r):>6} {_pct(q.pair_f1):>7}  "
                f"{_pct(q.b3_p):>6} {_pct(q.b3_r):>6} {_pct(q.b3_f1):>6} {_pct(q.exact):>6}  "
                f"{r.seconds:>7.1f} {r.pairs:>11,} {r.peak_mb:>8,.0f}"
            )
            if r.steps:
                say("        (" + ", ".join(f"{k} {v:.1f} s" for k, v in r.steps.items()) + ")")
    say()
    for name in ("cairn", "splink"):
        runs = [(s, results[(name, s)]) for s in sizes if (name, s) in results]
        ratios = [f"{b[0] // a[0]}x records -> {b[1].seconds / a[1].seconds:.1f}x time" for a, b in pairwise(runs)]
        if ratios:
            say(f"time ratio ({name}): " + "; ".join(ratios))
    largest = max(sizes)
    mine = results[("cairn", largest)]
    verdict = [
        f"pairwise F1 {mine.quality.pair_f1:.4f} (target {TARGET_F1}): "
        + ("met" if mine.quality.pair_f1 >= TARGET_F1 else "NOT met")
    ]
    if ("splink", largest) in results:
        plain = results[("splink", largest)]
        better = mine.quality.pair_f1 > plain.quality.pair_f1
        verdict.append(f"plain Splink {plain.quality.pair_f1:.4f}: {'beaten' if better else 'NOT beaten'}")
    if largest >= 1_000_000:
        verdict.append(
            f"{largest:,} records in {mine.seconds:.1f} s (target {TARGET_SECONDS_1M:.0f} s): "
            + ("met" if mine.seconds <= TARGET_SECONDS_1M else "NOT met")
        )
    say(f"at {largest:,} records: " + "; ".join(verdict))
    if options.get("ceiling"):
        say()
        say("ceiling (untimed): blocking recall = true pairs among the pairs blocking lets through; best F1 = an")
        say("oracle linking exactly the level patterns (comparison levels + name-frequency bucket) worth linking")
        for size in sizes:
            c = ceiling(data.table.slice(0, size), data.person[:size])
            say(
                f"  {size:>9,} records: blocking recall {c.blocking_recall:.4f} "
                f"({c.blocked_true:,} of {c.true_pairs:,} true pairs in {c.blocked:,} blocked); "
                f"best pairwise F1 {c.f1:.4f} (P {c.p:.4f}, R {c.r:.4f}) "
                f"over {c.patterns:,} patterns"
            )
    random_us, same_us = score_cost(data.table)
    say(
        f"real-time Model.score: {random_us:,.0f} µs per pair (random pairs), "
        f"{same_us:,.0f} µs (a record against itself)"
    )
