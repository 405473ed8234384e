"""The entity-resolution model: one definition of the comparisons, scored by Splink in batch and by
plain Python for one pair in real time.

Each comparison is a list of levels; each level is a condition built from a few primitives
(``Missing``, ``Eq``, ``Swapped``, ``Overlap``, ``Cover`` ...). A primitive renders itself as
DuckDB SQL for Splink and evaluates itself in Python on two ``PersonFeatures``, so the level a
pair falls into, and therefore its weight, is the same in both (``tests/test_model.py`` checks
this against Splink's own predictions). The m and u probabilities are trained with Splink
(``train``: u by random sampling, m by expectation maximisation on blocking rules) and kept in
``model_params.json`` beside this file.

    model = load_model()
    score = model.score(person_features(...), person_features(...))
    score.probability, score.match_weight, score.fields   # the explanation an analyst sees

    for record_id, cluster_id, probability in resolve(records): ...
    proposals = predict_pairs(records, threshold=0.9)
"""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from rapidfuzz.distance import DamerauLevenshtein

from cairn.linking.features import COLUMNS, PersonFeatures, build_features

PARAMS_PATH = Path(__file__).with_name("model_params.json")
PARAMS_VERSION = 1
DEFAULT_THRESHOLD = 0.9
# A selector shared by more records than this (a hostel's phone, a hot number) still counts in
# the comparison but does not make a block: it would pair every record with every other.
SELECTOR_BLOCK_LIMIT = 30
# A whole name (canonical, order-free) blocks on its own only while this rare; commoner names must
# also agree on the year of birth, a selector or a date. Bounds each block to ~N(N-1)/2 pairs.
NAME_BLOCK_LIMIT = 12
# The same for a pair of name words (their skeletons) alone, and with the year of birth.
PAIR_BLOCK_LIMIT = 8
PAIR_YEAR_BLOCK_LIMIT = 40
PROBABILITY_FLOOR = 1e-4
TF_COLUMN = "canon_key"
# Links at least this likely join whole clusters; weaker ones (down to the threshold) only attach a
# lone record (see ``cluster_links``). Chosen with the threshold on generated training records
# (seed 11) at 10,000, 100,000 and 1,000,000 records.
CHAIN_AT = 0.9

Row = Mapping[str, Any]


# --- conditions: SQL for Splink, Python for one pair ----------------------------------------------


class Cond(Protocol):
    def sql(self) -> str: ...
    def test(self, left: Row, right: Row) -> bool: ...


def _c(col: str, side: str) -> str:
    return f'"{col}_{side}"'


@dataclass(frozen=True)
class Missing:
    """Either side has no value."""

    col: str

    def sql(self) -> str:
        return f"({_c(self.col, 'l')} IS NULL OR {_c(self.col, 'r')} IS NULL)"

    def test(self, left: Row, right: Row) -> bool:
        return left[self.col] is None or right[self.col] is None


@dataclass(frozen=True)
class Eq:
    """Both sides have the same value."""

    col: str

    def sql(self) -> str:
        return f"{_c(self.col, 'l')} = {_c(self.col, 'r')}"

    def test(self, left: Row, right: Row) -> bool:
        return left[self.col] is not None and left[self.col] == right[self.col]


@dataclass(frozen=True)
class Swapped:
    """Day and month of birth swapped (4 March / 3 April)."""

    def sql(self) -> str:
        return '"dob_month_l" = "dob_day_r" AND "dob_day_l" = "dob_month_r"'

    def test(self, left: Row, right: Row) -> bool:
        return (
            left["dob_month"] is not None
            and left["dob_day"] is not None
            and left["dob_month"] == right["dob_day"]
            and left["dob_day"] == right["dob_month"]
        )


@dataclass(frozen=True)
class Within:
    """Numbers at most ``limit`` apart."""

    col: str
    limit: int

    def sql(self) -> str:
        return f"abs({_c(self.col, 'l')} - {_c(self.col, 'r')}) <= {self.limit}"

    def test(self, left: Row, right: Row) -> bool:
        a, b = left[self.col], right[self.col]
        return a is not None and b is not None and abs(a - b) <= self.limit


@dataclass(frozen=True)
class Overlap:
    """The two lists share a value."""

    col: str

    def sql(self) -> str:
        return f"list_has_any({_c(self.col, 'l')}, {_c(self.col, 'r')})"

    def test(self, left: Row, right: Row) -> bool:
        a, b = left[self.col], right[self.col]
        return a is not None and b is not None and not set(a).isdisjoint(b)


FUZZY_MIN_LENGTH = 4  # words shorter than this must match exactly


def _word_match(t: str, u: str) -> bool:
    return t == u or (
        min(len(t), len(u)) >= FUZZY_MIN_LENGTH and DamerauLevenshtein.distance(t, u, score_cutoff=1) <= 1
    )


def _matched(words: Sequence[str], others: Sequence[str]) -> int:
    return sum(1 for t in words if any(_word_match(t, u) for u in others))


def _matched_sql(col: str, side: str, other: str) -> str:
    return (
        f"len(list_filter({_c(col, side)}, lambda t: len(list_filter({_c(col, other)}, lambda u: t = u OR "
        f"(least(length(t), length(u)) >= {FUZZY_MIN_LENGTH} AND damerau_levenshtein(t, u) <= 1))) > 0))"
    )


@dataclass(frozen=True)
class Cover:
    """Word-by-word agreement of two word lists, each word matching a word of the other side exactly
    or within one edit (words of four letters or more), whatever the order.

    ``mode``: "both" — every word on each side is matched; "either" — every word of one side is
    matched and at least ``min_matched`` words are; "any" — at least ``min_matched`` words match.
    """

    col: str
    mode: str
    min_matched: int = 1

    def sql(self) -> str:
        ml, mr = _matched_sql(self.col, "l", "r"), _matched_sql(self.col, "r", "l")
        nl, nr = f"len({_c(self.col, 'l')})", f"len({_c(self.col, 'r')})"
        if self.mode == "both":
            return f"({ml} = {nl} AND {mr} = {nr})"
        if self.mode == "either":
            return f"(({ml} = {nl} OR {mr} = {nr}) AND least({ml}, {mr}) >= {self.min_matched})"
        # A word match is symmetric, so one side having a matched word means both do: one count is enough.
        return f"{ml} >= {self.min_matched}" if self.min_matched == 1 else f"greatest({ml}, {mr}) >= {self.min_matched}"

    def test(self, left: Row, right: Row) -> bool:
        a, b = left[self.col], right[self.col]
        if a is None or b is None:
            return False
        ml, mr = _matched(a, b), _matched(b, a)
        if self.mode == "both":
            return ml == len(a) and mr == len(b)
        if self.mode == "either":
            return (ml == len(a) or mr == len(b)) and min(ml, mr) >= self.min_matched
        return max(ml, mr) >= self.min_matched


@dataclass(frozen=True)
class All:
    parts: tuple[Cond, ...]

    def sql(self) -> str:
        return "(" + " AND ".join(p.sql() for p in self.parts) + ")"

    def test(self, left: Row, right: Row) -> bool:
        return all(p.test(left, right) for p in self.parts)


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Cond, ...]

    def sql(self) -> str:
        return "(" + " OR ".join(p.sql() for p in self.parts) + ")"

    def test(self, left: Row, right: Row) -> bool:
        return any(p.test(left, right) for p in self.parts)


@dataclass(frozen=True)
class Else:
    """The last level: everything not caught before."""

    def sql(self) -> str:
        return "ELSE"

    def test(self, left: Row, right: Row) -> bool:
        return True


def both(*parts: Cond) -> All:
    return All(tuple(parts))


def either(*parts: Cond) -> AnyOf:
    return AnyOf(tuple(parts))


# --- the comparisons ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    label: str
    cond: Cond
    null: bool = False
    # Term-frequency adjustment on the canonical name: agreeing on a rare name weighs more than on a
    # common one (Splink's tf adjustment; the Python scorer takes the frequencies as an argument).
    tf: bool = False
    # Starting values; training replaces them (identifiers, absent from the generated training data,
    # keep these).
    m: float = 0.5
    u: float = 0.5


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str
    levels: tuple[Level, ...]
    show: Callable[[Row], str]

    def level_of(self, left: Row, right: Row) -> int:
        for i, level in enumerate(self.levels):
            if level.cond.test(left, right):
                return i
        raise AssertionError("the last level is ELSE")  # pragma: no cover

    def splink(self, params: ComparisonParams | None) -> dict[str, Any]:
        levels = []
        for i, level in enumerate(self.levels):
            spec: dict[str, Any] = {"sql_condition": level.cond.sql(), "label_for_charts": level.label}
            if level.tf:
                spec["tf_adjustment_column"] = TF_COLUMN
                spec["tf_adjustment_weight"] = 1.0
                spec["disable_tf_exact_match_detection"] = True
            if level.null:
                spec["is_null_level"] = True
            else:
                m, u = (params.m[i], params.u[i]) if params else (level.m, level.u)
                spec["m_probability"] = m
                spec["u_probability"] = u
            levels.append(spec)
        return {
            "output_column_name": self.name,
            "comparison_description": self.description,
            "comparison_levels": levels,
        }


def _join(values: Any) -> str:
    if values is None:
        return ""
    return " ".join(values) if isinstance(values, (list, tuple)) else str(values)


def _dob(row: Row) -> str:
    y, m, d = row["dob_year"], row["dob_month"], row["dob_day"]
    if y is None:
        return ""
    return f"{y:04d}" + (f"-{m:02d}" if m is not None else "") + (f"-{d:02d}" if d is not None else "")


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "name",
        "Name: spelling, transliteration, order, missing middle names",
        (
            Level("missing", Missing("canon"), null=True),
            Level("exact", Eq("name_key"), tf=True, m=0.5, u=1e-5),
            Level("transliteration", either(Eq("canon_key"), Eq("squash")), tf=True, m=0.2, u=2e-5),
            Level("sounds alike", Eq("skel_key"), tf=True, m=0.05, u=5e-5),
            Level("spelling", Cover("canon", "both"), tf=True, m=0.1, u=1e-4),
            Level("middle name missing", Cover("canon", "either", 2), m=0.1, u=1e-4),
            Level("one name in common", Cover("canon", "any", 1), m=0.04, u=0.02),
            Level("disagree", Else(), m=0.01, u=0.98),
        ),
        lambda r: _join(r["tokens"]),
    ),
    Comparison(
        "dob",
        "Date of birth: exact, partial, swapped day and month",
        (
            Level("missing", Missing("dob_year"), null=True),
            Level("exact", both(Eq("dob_year"), Eq("dob_month"), Eq("dob_day")), m=0.6, u=5e-5),
            Level("swapped day-month", both(Eq("dob_year"), Swapped()), m=0.05, u=5e-5),
            Level("year and month", both(Eq("dob_year"), Eq("dob_month"), Missing("dob_day")), m=0.05, u=0.003),
            Level("year only", both(Eq("dob_year"), Missing("dob_month")), m=0.3, u=0.03),
            Level("same year, another date", Eq("dob_year"), m=0.01, u=0.03),
            Level("a year apart", Within("dob_year", 1), m=0.01, u=0.06),
            Level("disagree", Else(), m=0.01, u=0.9),
        ),
        _dob,
    ),
    Comparison(
        "nationality",
        "Nationality (ISO 3166)",
        (
            Level("missing", Missing("nationality"), null=True),
            Level("exact", Eq("nationality"), m=0.98, u=0.1),
            Level("disagree", Else(), m=0.02, u=0.9),
        ),
        lambda r: r["nationality"] or "",
    ),
    Comparison(
        "selectors",
        "Shared phone, email, vehicle or account",
        (
            Level("missing", Missing("selectors"), null=True),
            Level("shared", Overlap("selectors"), m=0.5, u=1e-5),
            Level("disagree", Else(), m=0.5, u=1.0 - 1e-5),
        ),
        lambda r: _join(r["selectors"]),
    ),
    Comparison(
        "identifiers",
        "Shared passport or identity document number",
        (
            Level("missing", Missing("identifiers"), null=True),
            Level("shared", Overlap("identifiers"), m=0.9, u=1e-7),
            Level("disagree", Else(), m=0.1, u=1.0 - 1e-7),
        ),
        lambda r: _join(r["identifiers"]),
    ),
)


def blocking_rules() -> list[Any]:
    """The pairs worth scoring. None is a name on its own (at a million records that is tens of millions
    of pairs): a name with a year, a rare whole name, a sounds-alike name with a year, or one of the
    capped keys of ``block_keys`` (a selector; a rare pair of name words, alone or with the year; a
    name word with the date of birth, day and month in either order)."""
    from splink import block_on

    return [
        block_on("canon_key", "dob_year"),
        block_on("name_block"),
        block_on("skel_key", "dob_year"),
        # selectors, word pairs alone and with the year, a word with the date: one list (see prepare)
        block_on("block_keys", arrays_to_explode=["block_keys"]),
    ]


def training_rules() -> list[Any]:
    """EM sessions: each leaves out the comparisons its rule uses, and together they train all."""
    from splink import block_on

    return [
        block_on("canon_key", "dob_year"),
        block_on("dob_year", "dob_month", "dob_day"),
        block_on("canon_key", "nationality"),
    ]


# --- parameters --------------------------------------------------------------------------------


@dataclass
class ComparisonParams:
    labels: list[str]
    m: list[float]
    u: list[float]


@dataclass
class ModelParams:
    """What training produced, as saved in model_params.json."""

    comparisons: dict[str, ComparisonParams]
    probability_two_random_records_match: float
    training_records: int
    threshold: float = DEFAULT_THRESHOLD
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def matches_per_record(self) -> float:
        # Splink's prior is per pair; per record it stays put when the data grows, so a model trained
        # on 100,000 records keeps its calibration on a million.
        return self.probability_two_random_records_match * (self.training_records - 1) / 2

    def prior_for(self, population: int) -> float:
        if population < 2:
            return self.probability_two_random_records_match
        return min(0.5, 2 * self.matches_per_record / (population - 1))

    def to_json(self) -> dict[str, Any]:
        return {
            "version": PARAMS_VERSION,
            "probability_two_random_records_match": self.probability_two_random_records_match,
            "training_records": self.training_records,
            "threshold": self.threshold,
            "notes": self.notes,
            "comparisons": {
                name: {
                    "levels": [
                        {"label": label, "m_probability": m, "u_probability": u}
                        for label, m, u in zip(p.labels, p.m, p.u, strict=True)
                    ]
                }
                for name, p in self.comparisons.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelParams:
        if data.get("version") != PARAMS_VERSION:
            raise ValueError(f"model parameters version {data.get('version')!r}, expected {PARAMS_VERSION}: retrain")
        comparisons = {}
        for comp in COMPARISONS:
            levels = data["comparisons"][comp.name]["levels"]
            labels = [lv["label"] for lv in levels]
            if labels != [lv.label for lv in comp.levels]:
                raise ValueError(f"model parameters for {comp.name!r} do not match its levels in code: retrain")
            comparisons[comp.name] = ComparisonParams(
                labels, [float(lv["m_probability"]) for lv in levels], [float(lv["u_probability"]) for lv in levels]
            )
        return cls(
            comparisons=comparisons,
            probability_two_random_records_match=float(data["probability_two_random_records_match"]),
            training_records=int(data["training_records"]),
            threshold=float(data.get("threshold", DEFAULT_THRESHOLD)),
            notes=dict(data.get("notes", {})),
        )

    def save(self, path: Path = PARAMS_PATH) -> None:
        text = json.dumps(self.to_json(), indent=2) + "\n"
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # a file to commit, not mkstemp's 0600
        os.replace(tmp, path)


def default_params() -> ModelParams:
    """The starting values in ``COMPARISONS`` (what training starts from)."""
    return ModelParams(
        comparisons={
            c.name: ComparisonParams(
                [lv.label for lv in c.levels], [lv.m for lv in c.levels], [lv.u for lv in c.levels]
            )
            for c in COMPARISONS
        },
        probability_two_random_records_match=1e-5,
        training_records=100_000,
    )


# --- scoring one pair ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldWeight:
    """One comparison of a scored pair: the level it fell into and what that weighs."""

    field: str
    level: str
    weight: float  # bits: log2(m/u); 0 when either side is missing
    left: str
    right: str


@dataclass(frozen=True, slots=True)
class Score:
    probability: float
    match_weight: float
    fields: list[FieldWeight]


def _probability(weight: float) -> float:
    if weight > 60:
        return 1.0
    odds = 2.0**weight
    return odds / (1 + odds)


class Model:
    """The trained comparisons; ``score`` is the real-time path (no database, no Splink)."""

    def __init__(self, params: ModelParams) -> None:
        self.params = params
        self.prior_weight = math.log2(
            params.probability_two_random_records_match / (1 - params.probability_two_random_records_match)
        )
        self._weights: list[list[float]] = []
        for comp in COMPARISONS:
            p = params.comparisons[comp.name]
            self._weights.append([0.0 if lv.null else math.log2(p.m[i] / p.u[i]) for i, lv in enumerate(comp.levels)])

    @property
    def threshold(self) -> float:
        return self.params.threshold

    def levels(self, left: PersonFeatures | Row, right: PersonFeatures | Row) -> list[int]:
        a = left.row() if isinstance(left, PersonFeatures) else left
        b = right.row() if isinstance(right, PersonFeatures) else right
        return [comp.level_of(a, b) for comp in COMPARISONS]

    def score(
        self,
        left: PersonFeatures | Row,
        right: PersonFeatures | Row,
        *,
        population: int | None = None,
        name_frequency: Callable[[str], float | None] | None = None,
    ) -> Score:
        """How likely two records are one person, with each comparison's level and weight.

        ``population`` is the number of records the candidate was drawn from; the prior (the chance
        two records picked at random are one person) falls as it grows. Without it the prior is the
        training data's. ``name_frequency(canon_key)`` is the share of those records with that
        canonical name (``canon_key``); with it an agreeing rare name weighs more and a common one
        less, exactly as Splink's term-frequency adjustment does in batch.
        """
        a = left.row() if isinstance(left, PersonFeatures) else left
        b = right.row() if isinstance(right, PersonFeatures) else right
        prior = self.prior_weight
        if population is not None:
            lam = self.params.prior_for(population)
            prior = math.log2(lam / (1 - lam))
        total = prior
        fields = []
        for c, (comp, weights) in enumerate(zip(COMPARISONS, self._weights, strict=True)):
            i = comp.level_of(a, b)
            w = weights[i]
            if comp.levels[i].tf and name_frequency is not None:
                w += self._tf_adjustment(c, i, name_frequency(a[TF_COLUMN]), name_frequency(b[TF_COLUMN]))
            total += w
            fields.append(FieldWeight(comp.name, comp.levels[i].label, w, comp.show(a), comp.show(b)))
        return Score(_probability(total), total, fields)

    def _tf_adjustment(self, comparison: int, level: int, tf_l: float | None, tf_r: float | None) -> float:
        # Splink: log2(u of the level) - log2(greatest(tf_l, tf_r)), nothing when neither is known.
        if tf_l is None and tf_r is None:
            return 0.0
        tf = max(tf_l if tf_l is not None else tf_r or 0.0, tf_r if tf_r is not None else tf_l or 0.0)
        if tf <= 0:
            return 0.0
        u = self.params.comparisons[COMPARISONS[comparison].name].u[level]
        return math.log2(u) - math.log2(tf)

    def splink_settings(self, *, link_type: str, prior: float | None = None, detail: bool = False) -> dict[str, Any]:
        """Splink settings with this model's parameters; ``detail`` keeps the gamma (level) columns."""
        from splink import SettingsCreator

        settings = SettingsCreator(
            link_type=link_type,  # type: ignore[arg-type]
            unique_id_column_name="unique_id",
            comparisons=[c.splink(self.params.comparisons[c.name]) for c in COMPARISONS],
            blocking_rules_to_generate_predictions=blocking_rules(),
            probability_two_random_records_match=prior or self.params.probability_two_random_records_match,
            retain_matching_columns=detail,
            retain_intermediate_calculation_columns=detail,
        )
        return settings.get_settings("duckdb").as_dict()


def index_of_gamma(comp: Comparison, gamma: int) -> int:
    """The index in ``comp.levels`` of Splink's comparison vector value (-1 missing; 0 the last level)."""
    if gamma == -1:
        return 0
    return len(comp.levels) - 1 - gamma


@lru_cache(maxsize=1)
def load_model(path: str | None = None) -> Model:
    """The model trained on the generated world (cairn/linking/model_params.json)."""
    target = Path(path) if path else PARAMS_PATH
    return Model(ModelParams.from_json(json.loads(target.read_text(encoding="utf-8"))))


# --- batch: records in, pairs and clusters out ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A raw person record as the platform or a CSV file has it."""

    record_id: str
    name: str | None
    dob: str | None = None
    nationality: str | None = None
    identifiers: tuple[str, ...] = ()
    selectors: tuple[str, ...] = ()


# Records come as PersonRecord objects, as a pyarrow Table with those columns (unique_id for
# record_id), or as the name of a table or view already in the DuckDB connection.
Records = Iterable[PersonRecord] | Any

CHUNK = 100_000
_RAW_COLUMNS = "unique_id::VARCHAR AS unique_id, name, dob, nationality, identifiers, selectors"


def _connect(con: Any | None = None) -> Any:
    import duckdb

    if con is None:
        con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con


def _source_schema() -> Any:
    import pyarrow as pa

    return pa.schema(
        [
            ("unique_id", pa.string()),
            ("name", pa.string()),
            ("dob", pa.string()),
            ("nationality", pa.string()),
            ("identifiers", pa.list_(pa.string())),
            ("selectors", pa.list_(pa.string())),
        ]
    )


def load_records(con: Any, records: Records, table: str) -> None:
    """Put raw records into DuckDB table ``table`` (in chunks, so an iterator of any length streams)."""
    import pyarrow as pa

    if isinstance(records, str):
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {_RAW_COLUMNS} FROM {records}")  # noqa: S608
        return
    if isinstance(records, pa.Table):
        con.register("_lr_arrow", records)
        con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT {_RAW_COLUMNS} FROM _lr_arrow")  # noqa: S608
        con.unregister("_lr_arrow")
        return
    schema = _source_schema()
    con.execute(
        f"CREATE OR REPLACE TABLE {table} (unique_id VARCHAR, name VARCHAR, dob VARCHAR, nationality VARCHAR, "
        "identifiers VARCHAR[], selectors VARCHAR[])"
    )
    batch: list[PersonRecord] = []

    def flush() -> None:
        cols = {
            "unique_id": [r.record_id for r in batch],
            "name": [r.name for r in batch],
            "dob": [r.dob for r in batch],
            "nationality": [r.nationality for r in batch],
            "identifiers": [list(r.identifiers) or None for r in batch],
            "selectors": [list(r.selectors) or None for r in batch],
        }
        con.register("_lr_chunk", pa.table(cols, schema=schema))
        con.execute(f"INSERT INTO {table} SELECT * FROM _lr_chunk")  # noqa: S608
        con.unregister("_lr_chunk")
        batch.clear()

    for r in records:
        batch.append(r)
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()


def prepare(con: Any, source: str, target: str) -> Any:
    """Features of ``source`` in ``target``, with the blocking keys that depend on the whole batch:
    selectors and names capped by how many records share them (``*_LIMIT``)."""
    stats = build_features(con, source, target)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _keys AS
        WITH pk AS (
            SELECT unique_id, dob_year, unnest(pair_keys) AS k FROM {target}
        ),
        counted AS (
            SELECT unique_id, dob_year, k, count(*) OVER (PARTITION BY k) AS nk,
                   count(*) OVER (PARTITION BY k, dob_year) AS nky
            FROM pk
        ),
        pairs AS (
            SELECT unique_id,
                list(k) FILTER (nk <= {PAIR_BLOCK_LIMIT}) AS pair_block,
                list(k || '/' || dob_year) FILTER (dob_year IS NOT NULL AND nky <= {PAIR_YEAR_BLOCK_LIMIT}) AS pair_year
            FROM counted GROUP BY unique_id
        ),
        wk AS (
            SELECT unique_id, dob_block, unnest(list_distinct(string_split(skel_key, ' '))) AS w FROM {target}
            WHERE dob_block IS NOT NULL
        ),
        words AS (
            SELECT unique_id,
                list(w || '/' || dob_block) AS word_date
            FROM wk WHERE dob_block IS NOT NULL GROUP BY unique_id
        ),
        sk AS (
            SELECT unique_id, unnest(selectors) AS s FROM {target}
        ),
        sels AS (
            SELECT unique_id, list(s) FILTER (n <= {SELECTOR_BLOCK_LIMIT}) AS sel_block
            FROM (SELECT unique_id, s, count(*) OVER (PARTITION BY s) AS n FROM sk) GROUP BY unique_id
        )
        SELECT unique_id,
            -- one list of every capped key, each kind prefixed, so Splink explodes and joins once
            list_concat(
                list_transform(coalesce(sel_block, []), lambda k: 's:' || k),
                list_transform(coalesce(pair_block, []), lambda k: 'p:' || k),
                list_transform(coalesce(pair_year, []), lambda k: 'y:' || k),
                list_transform(coalesce(word_date, []), lambda k: 'd:' || k)
            ) AS block_keys
        FROM pairs FULL JOIN sels USING (unique_id) FULL JOIN words USING (unique_id)"""  # noqa: S608
    )
    con.execute(
        f"""CREATE OR REPLACE TABLE {target} AS
            SELECT f.*,
                CASE WHEN len(k.block_keys) > 0 THEN k.block_keys END AS block_keys,
                CASE WHEN count(*) OVER (PARTITION BY f.canon_key) <= {NAME_BLOCK_LIMIT}
                     THEN f.canon_key END AS name_block
            FROM {target} f LEFT JOIN _keys k USING (unique_id)"""  # noqa: S608
    )
    con.execute("DROP TABLE _keys")
    return stats


@dataclass
class Batch:
    """One batch run in its own DuckDB connection: records loaded, features built, a Splink linker."""

    model: Model
    con: Any
    tables: list[str]
    records: int
    stats: list[Any]
    linker: Any = None
    link_only: bool = False

    @classmethod
    def start(
        cls,
        records: Records,
        *,
        other: Records | None = None,
        link_only: bool = False,
        model: Model | None = None,
        con: Any | None = None,
        detail: bool = False,
    ) -> Batch:
        from splink import DuckDBAPI, Linker

        model = model or load_model()
        con = _connect(con)
        sources = [records] if other is None else [records, other]
        if link_only and other is None:
            raise ValueError("link_only needs two sets of records")
        tables, stats = [], []
        for i, src in enumerate(sources):
            load_records(con, src, f"_raw_{i}")
            stats.append(prepare(con, f"_raw_{i}", f"features_{i}"))
            con.execute(f"DROP TABLE _raw_{i}")
            tables.append(f"features_{i}")
        total = sum(s.records for s in stats)
        link_type = "link_only" if link_only else ("dedupe_only" if other is None else "link_and_dedupe")
        db = DuckDBAPI(connection=con)
        frames = [db.register(t, dataset_display_name=f"d{i}") for i, t in enumerate(tables)]
        settings = model.splink_settings(link_type=link_type, prior=model.params.prior_for(total), detail=detail)
        linker = Linker(frames if len(frames) > 1 else frames[0], settings, log_level=logging.WARNING)
        return cls(model, con, tables, total, stats, linker, link_only)

    def predict(self, threshold: float | None = None) -> Any:
        return self.linker.inference.predict(threshold_match_probability=threshold, warning_mode="never")


def resolve(
    records: Records,
    *,
    threshold: float | None = None,
    link_only: bool = False,
    other: Records | None = None,
    model: Model | None = None,
) -> Iterator[tuple[str, str, float | None]]:
    """Cluster the records: yields (record_id, cluster_id, match_probability) for every record.

    The probability is the strongest link the record has inside its cluster (None for a record
    alone). With ``other``, the two sets are linked (``link_only``: pairs across the sets only,
    each record id prefixed by its set, "0:" or "1:", as ids may repeat between files).
    """
    batch = Batch.start(records, other=other, link_only=link_only, model=model)
    t = batch.model.threshold if threshold is None else threshold
    try:
        yield from cluster_rows(batch, t)
    finally:
        batch.con.close()


def cluster_links(count: int, links: Sequence[tuple[int, int, float]], chain_at: float = CHAIN_AT) -> list[int]:
    """The cluster (a representative's index) of each of ``count`` records, from scored links.

    Links are taken strongest first. One at or above ``chain_at`` joins the two clusters whatever
    their size; a weaker one only attaches a record that is still alone, and only to a record not
    itself attached that way. Connected components would let a run of weak links chain different
    people into one cluster (at a million generated records, clusters of 30 records of 20 people).
    """
    parent = list(range(count))
    size = [1] * count
    attached = bytearray(count)

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b, p in sorted(links, key=lambda link: (-link[2], link[0], link[1])):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        if p < chain_at:
            if size[ra] == 1 and not attached[b]:
                attached[a] = 1
            elif size[rb] == 1 and not attached[a]:
                attached[b] = 1
            else:
                continue
        if size[ra] < size[rb]:
            ra, rb = rb, ra
        parent[rb] = ra
        size[ra] += size[rb]
    return [find(i) for i in range(count)]


def cluster_table(batch: Batch, threshold: float, table: str = "clusters", predictions: Any = None) -> str:
    """Create ``table`` (source, record_id, cluster_id, match_probability) for every record of the batch.

    ``source`` is the input's index (0, or 0 and 1 when linking two sets); ``match_probability`` the
    strongest link the record has inside its cluster, NULL for a record alone. Clusters follow
    ``cluster_links``: links from ``threshold`` up attach lone records, from ``CHAIN_AT`` up join
    clusters. ``predictions`` may be Splink's pairs from a lower threshold (a threshold sweep).
    """
    import pyarrow as pa

    predictions = predictions if predictions is not None else batch.predict(threshold)
    two = len(batch.tables) > 1
    key_l = "source_dataset_l || ':' || unique_id_l" if two else "unique_id_l"
    key_r = "source_dataset_r || ':' || unique_id_r" if two else "unique_id_r"
    # Only records with a link go through Python; everyone else is a cluster of one (a 2 GB file
    # stays in DuckDB).
    rows = batch.con.execute(
        f"""SELECT {key_l}, {key_r}, match_probability FROM {predictions.physical_name}
            WHERE match_probability >= {float(threshold)}
            ORDER BY 1, 2"""  # noqa: S608
    ).fetchall()  # in a fixed order: equal links, and so cluster ids, come out the same on every run
    index: dict[str, int] = {}
    links = [(index.setdefault(a, len(index)), index.setdefault(b, len(index)), float(p)) for a, b, p in rows]
    keys = list(index)
    roots = cluster_links(len(keys), links, max(CHAIN_AT, threshold))
    best: dict[int, float] = {}
    for a, b, p in links:
        if roots[a] == roots[b]:
            best[a] = max(best.get(a, 0.0), p)
            best[b] = max(best.get(b, 0.0), p)
    batch.con.register(
        "_linked",
        pa.table(
            {
                "k": keys,
                "cluster_id": [keys[r] for r in roots],
                "p": [best.get(i) for i in range(len(keys))],
            }
        ),
    )
    # The same keys as the links': the dataset name (d0, d1) and the id when linking two sets.
    key = [f"'d{i}:' || unique_id" if two else "unique_id" for i in range(len(batch.tables))]
    records = " UNION ALL ".join(
        f"SELECT {i} AS source, unique_id, {key[i]} AS k FROM {t}"  # noqa: S608
        for i, t in enumerate(batch.tables)
    )
    batch.con.execute(
        f"""CREATE OR REPLACE TABLE {table} AS
        SELECT r.source, r.unique_id AS record_id, coalesce(l.cluster_id, r.k) AS cluster_id,
               l.p AS match_probability
        FROM ({records}) r LEFT JOIN _linked l ON l.k = r.k"""  # noqa: S608
    )
    batch.con.unregister("_linked")
    return table


def cluster_rows(batch: Batch, threshold: float) -> Iterator[tuple[str, str, float | None]]:
    """(record_id, cluster_id, best probability) for every record of a started batch; with two sets
    of records the id is prefixed by its set ("0:", "1:")."""
    table = cluster_table(batch, threshold)
    two = len(batch.tables) > 1
    cur = batch.con.execute(
        f"SELECT source, record_id, cluster_id, match_probability FROM {table} ORDER BY cluster_id, source, record_id"  # noqa: S608
    )
    while chunk := cur.fetchmany(50_000):
        for source, rid, cid, p in chunk:
            yield (f"{source}:{rid}" if two else str(rid)), str(cid), (float(p) if p is not None else None)


@dataclass(frozen=True, slots=True)
class PairProposal:
    left_id: str
    right_id: str
    probability: float
    score: Score


def predict_pairs(
    records: Records,
    threshold: float | None = None,
    *,
    other: Records | None = None,
    link_only: bool = False,
    model: Model | None = None,
) -> list[PairProposal]:
    """Every pair scoring at least ``threshold``, with its explanation, to propose for review."""
    batch = Batch.start(records, other=other, link_only=link_only, model=model)
    t = batch.model.threshold if threshold is None else threshold
    try:
        return pairs_from_batch(batch, t)
    finally:
        batch.con.close()


def pairs_from_batch(batch: Batch, threshold: float) -> list[PairProposal]:
    """Splink's pairs at or above ``threshold``, each explained by the Python scorer (same levels)."""
    predictions = batch.predict(threshold)
    cols = ", ".join(f"l.{c}" for c in COLUMNS) + ", " + ", ".join(f"r.{c}" for c in COLUMNS)
    two = len(batch.tables) > 1
    union = " UNION ALL ".join(f"SELECT 'd{i}' AS sd, * FROM {t}" for i, t in enumerate(batch.tables))  # noqa: S608
    if two:
        joins = (
            f"JOIN ({union}) l ON l.unique_id = p.unique_id_l AND l.sd = p.source_dataset_l "
            f"JOIN ({union}) r ON r.unique_id = p.unique_id_r AND r.sd = p.source_dataset_r"
        )
        ids = "p.source_dataset_l || ':' || p.unique_id_l, p.source_dataset_r || ':' || p.unique_id_r"
    else:
        t = batch.tables[0]
        joins = f"JOIN {t} l ON l.unique_id = p.unique_id_l JOIN {t} r ON r.unique_id = p.unique_id_r"
        ids = "p.unique_id_l, p.unique_id_r"
    rows = batch.con.execute(
        f"""SELECT {ids}, p.match_probability, {cols}
            FROM {predictions.physical_name} p {joins}
            WHERE p.match_probability >= {threshold}
            ORDER BY p.match_probability DESC, 1, 2"""  # noqa: S608
    ).fetchall()
    tf = name_frequencies(batch.con, batch.tables)
    k = len(COLUMNS)
    out = []
    for row in rows:
        left = dict(zip(COLUMNS, row[3 : 3 + k], strict=True))
        right = dict(zip(COLUMNS, row[3 + k :], strict=True))
        score = batch.model.score(left, right, population=batch.records, name_frequency=tf.get)
        out.append(PairProposal(str(row[0]), str(row[1]), float(row[2]), score))
    return out


def name_frequencies(con: Any, tables: Sequence[str]) -> dict[str, float]:
    """Share of records with each canonical name, as Splink's term-frequency table computes it."""
    union = " UNION ALL ".join(f"SELECT {TF_COLUMN} FROM {t}" for t in tables)  # noqa: S608
    rows = con.execute(
        f"""SELECT {TF_COLUMN}, count(*) / sum(count(*)) OVER () FROM ({union})
            WHERE {TF_COLUMN} IS NOT NULL GROUP BY {TF_COLUMN}"""  # noqa: S608
    ).fetchall()
    return {key: float(share) for key, share in rows}


# --- training ------------------------------------------------------------------------------------


def train(
    records: Records,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    save: bool = True,
    max_u_pairs: float = 2e6,
    notes: dict[str, Any] | None = None,
) -> ModelParams:
    """Estimate the model on unlabelled records with Splink: u by random sampling, m by EM."""
    from splink import DuckDBAPI, Linker

    start = Model(default_params())
    con = _connect()
    load_records(con, records, "_raw")
    stats = prepare(con, "_raw", "features")
    db = DuckDBAPI(connection=con)
    frame = db.register("features", dataset_display_name="training")
    settings = start.splink_settings(link_type="dedupe_only")
    linker = Linker(frame, settings, log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match(
        [
            "l.canon_key = r.canon_key AND l.dob_year = r.dob_year AND l.dob_month = r.dob_month "
            "AND l.dob_day = r.dob_day",
            "list_has_any(l.selectors, r.selectors) AND l.canon_key = r.canon_key",
        ],
        # Most true pairs have a partial or missing date or another selector, so these strict rules find
        # perhaps a third of them.
        recall=0.35,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=max_u_pairs, seed=1)
    for rule in training_rules():
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    trained = linker.misc.save_model_to_json()
    comparisons = {}
    for comp, spec in zip(COMPARISONS, trained["comparisons"], strict=True):
        labels, ms, us = [], [], []
        for level, lv in zip(comp.levels, spec["comparison_levels"], strict=True):
            labels.append(level.label)
            # A level training never saw (identifiers in generated data) keeps its starting value.
            # Floors keep one unseen disagreement (a nationality recorded wrongly) from outweighing all else.
            ms.append(max(PROBABILITY_FLOOR, float(lv.get("m_probability") or level.m)))
            us.append(max(PROBABILITY_FLOOR, float(lv.get("u_probability") or level.u)))
        comparisons[comp.name] = ComparisonParams(labels, ms, us)
    params = ModelParams(
        comparisons=comparisons,
        probability_two_random_records_match=float(trained["probability_two_random_records_match"]),
        training_records=stats.records,
        threshold=threshold,
        notes=notes or {},
    )
    if save:
        params.save()
        load_model.cache_clear()
    return params
