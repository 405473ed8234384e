"""Cross-organisation search: people by any spelling, selectors, words in reports.

Every query applies the access rule inside PostgreSQL (``report_q`` and
``flag_q`` from the access policy) before anything is counted, faceted or
returned, so results, counts and facets only ever describe what the searcher
may see. Restricted matches become flags; confidential ones do not exist.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import OperationalError, connection, transaction
from django.db.models import F, Max, Q, QuerySet
from django.utils import timezone
from psycopg.errors import QueryCanceled
from rapidfuzz import fuzz, process

from cairn.access import intelligence as policy
from cairn.access import linking as access_linking
from cairn.access.flags import flag_token
from cairn.accounts.models import Organisation, User
from cairn.entities.choices import SELECTOR_ENTITY_KIND, EntityKind, Property
from cairn.entities.models import Statement
from cairn.entities.normalise import NormaliseError, SelectorKind, name_tokens, normalise
from cairn.intelligence.inputs import country_code
from cairn.search import vocabulary
from cairn.search.choices import QueryKind
from cairn.search.models import PersonName
from cairn.search.scoring import NameScore, date_adjustment, score_name

MAX_QUERY = 200
CANDIDATES = 300
MAX_NAME_WORDS = 8  # 'Maria del Carmen de la Cruz Lopez' is one name; more words than this are a sentence
# Selectors understood from the query's shape alone: when one finds nothing, the words are searched.
SHAPE_GUESSES = frozenset({SelectorKind.DOCUMENT, SelectorKind.VRM, SelectorKind.POSTCODE})
PERSON_THRESHOLD = 0.55
# pg_trgm's similarity threshold for candidates by spelling, set for each search's own transaction so a
# session setting elsewhere cannot change what search finds. Measured (cairn bench search, 100,000
# records): 0.3 gives recall@10 0.96; 0.4 0.93 and 0.5 0.89, for p95 about 40% and 60% lower. Recall is
# the harder promise, so it stays at pg_trgm's default.
TRIGRAM_THRESHOLD = 0.3
FLAG_THRESHOLD = 0.75
SEARCH_TIMEOUT_MS = 3000
PAGE_SIZE = 20
MAX_TEXT_RESULTS = 1000
PERSON_LIMIT = 100  # people a person search keeps, best first
TIED_HINT = 5  # this many people matching a name equally well: suggest what would tell them apart


class SearchInputError(ValueError):
    """Bad input, said plainly."""


@dataclass
class Filters:
    organisation: str = ""
    date_from: date | None = None
    date_to: date | None = None
    exploitation_type: str = ""
    source_evaluation: str = ""
    intelligence_assessment: str = ""
    premises_type: str = ""  # reports that name a place of this type
    entity_type: str = ""  # reports with a subject of this kind (EntityKind)

    def q(self, prefix: str = "") -> Q:
        q = Q()
        if self.organisation:
            # A subquery, not a join: the same filter is compiled into raw SQL on the report row alone.
            holders = Organisation.objects.filter(code=self.organisation).values("pk")
            q &= Q(**{f"{prefix}organisation__in": holders})
        if self.date_from:
            q &= Q(**{f"{prefix}created_at__date__gte": self.date_from})
        if self.date_to:
            q &= Q(**{f"{prefix}created_at__date__lte": self.date_to})
        if self.exploitation_type:
            q &= Q(**{f"{prefix}exploitation_types__contains": [self.exploitation_type]})
        if self.source_evaluation:
            q &= Q(**{f"{prefix}source_evaluation": self.source_evaluation})
        if self.intelligence_assessment:
            q &= Q(**{f"{prefix}intelligence_assessment": self.intelligence_assessment})
        if self.premises_type:
            q &= policy.naming_q(Property.PREMISES_TYPE, self.premises_type, prefix)
        if self.entity_type:
            q &= policy.subject_kind_q(self.entity_type, prefix)
        return q


@dataclass
class ReportRef:
    id: int
    reference: str
    organisation: str
    created_at: Any


@dataclass
class Hit:
    entity_id: int
    label: str
    kind: str
    score: float = 1.0
    why: list[str] = field(default_factory=list)
    birth_date: str = ""
    nationality: str = ""
    reports: list[ReportRef] = field(default_factory=list)
    reports_capped: bool = False  # more reports than are listed (a selector's newest are)
    # The person's other records the searcher reads in full that analysts judged the same person.
    merged_with: list[int] = field(default_factory=list)


@dataclass
class FlagHit:
    token: str  # how the searcher addresses the flag (cairn.access.flags), never the report's id
    organisation: str
    organisation_code: str
    contact_point: str
    recorded_on: date  # the day only: the time would mark the report, the same on each of its flags
    exploitation_types: list[str]


@dataclass
class Result:
    query: str
    kind: str
    understood_as: str
    normalised: str = ""
    hits: list[Hit] = field(default_factory=list)
    reports: list[ReportRef] = field(default_factory=list)
    flags: list[FlagHit] = field(default_factory=list)
    total: int = 0
    total_is_capped: bool = False
    page: int = 1
    pages: int = 1
    facets: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    message: str = ""
    # A corrected query that finds reports the searcher may read, offered when theirs found none.
    did_you_mean: str = ""
    # People whose names match a person search as well as the best, asked without a date of birth or
    # nationality: only those would tell them apart (0 when fewer than TIED_HINT, or when one was given).
    tied_at_top: int = 0

    @property
    def flags_by_organisation(self) -> list[dict[str, Any]]:
        """One line per holding organisation: who to call, how many reports, the newest, their categories."""
        groups: dict[str, dict[str, Any]] = {}
        for f in self.flags:
            g = groups.setdefault(
                f.organisation_code,
                {
                    "organisation": f.organisation,
                    "contact_point": f.contact_point,
                    "count": 0,
                    "latest": f.recorded_on,
                    "tokens": [],
                    "exploitation_types": set(),
                },
            )
            g["count"] += 1
            g["tokens"].append(f.token)
            g["latest"] = max(g["latest"], f.recorded_on)
            g["exploitation_types"] |= set(f.exploitation_types)
        return sorted(groups.values(), key=lambda g: g["latest"], reverse=True)


# --- understanding the query -------------------------------------------------------------------

SELECTOR_ORDER = [
    SelectorKind.IBAN,
    SelectorKind.EMAIL,
    SelectorKind.URL,
    SelectorKind.BANK_ACCOUNT,
    SelectorKind.POSTCODE,
    SelectorKind.VRM,
    SelectorKind.PHONE,
]


def clean_query(raw: str) -> str:
    text = re.sub(r"[\x00-\x1f\x7f]", " ", raw or "").strip()
    text = re.sub(r"\s+", " ", text)
    if not text:
        raise SearchInputError("Type a name, a number or some words to search for.")
    if len(text) > MAX_QUERY:
        raise SearchInputError(f"The search is {len(text):,} characters long; keep it under {MAX_QUERY}.")
    if len(text.replace(" ", "")) < 2:
        raise SearchInputError("Type at least two characters.")
    return text


def understand(query: str, kind: str = QueryKind.AUTO) -> tuple[str, str, str]:
    """(query kind, selector kind or '', normalised value) for what the searcher typed."""
    if kind == QueryKind.TEXT:
        return QueryKind.TEXT, "", query
    if kind in (QueryKind.AUTO, QueryKind.SELECTOR):
        has_digit = any(ch.isdigit() for ch in query)
        for selector in SELECTOR_ORDER:
            if selector == SelectorKind.PHONE and sum(ch.isdigit() for ch in query) < 7:
                continue
            if selector in (SelectorKind.VRM, SelectorKind.POSTCODE, SelectorKind.BANK_ACCOUNT) and not has_digit:
                continue
            try:
                return QueryKind.SELECTOR, selector, normalise(selector, query)
            except NormaliseError:
                continue
        if kind == QueryKind.SELECTOR:
            # A number among words of three letters or more is a place ('14 Mill Lane'); letters and digits
            # alone, a document ('AB 123456').
            tried = [SelectorKind.DOCUMENT, SelectorKind.ADDRESS]
            if " " in query and re.search(r"\b[A-Za-z]{3,}\b", query):
                tried.reverse()
            for selector in tried:
                try:
                    return QueryKind.SELECTOR, selector, normalise(selector, query)
                except NormaliseError:
                    continue
            raise SearchInputError(f"'{query}' is not a phone, vehicle, email, account, postcode or link Cairn knows.")
        if has_digit and re.fullmatch(r"[A-Za-z0-9]{6,20}", query.replace(" ", "")):
            return QueryKind.SELECTOR, SelectorKind.DOCUMENT, normalise(SelectorKind.DOCUMENT, query)
    tokens = name_tokens(query)
    if kind == QueryKind.PERSON or (
        tokens and len(tokens) <= MAX_NAME_WORDS and not any(t.isdigit() for t in tokens) and '"' not in query
    ):
        if not tokens:
            raise SearchInputError(f"'{query}' is not a name.")
        return QueryKind.PERSON, "", " ".join(tokens)
    return QueryKind.TEXT, "", query


def parse_ages(raw: str) -> tuple[int, int] | None:
    """The ages of an age range as typed ('30-40'), youngest first; None for anything else."""
    if m := re.fullmatch(r"(\d{1,3})\s*-\s*(\d{1,3})", (raw or "").strip()):
        low, high = sorted((int(m.group(1)), int(m.group(2))))
        return low, high
    return None


def _age_within(birth_date: str, ages: tuple[int, int]) -> bool:
    """Whether a full date of birth makes someone of an age within ``ages`` today.

    A partial date (a year, a month) is held to the range's years by the candidate query. Read hits only:
    a flag is decided within the years, never to the day (trying ages in turn would tell a restricted
    subject's birthday).
    """
    if len(birth_date) != 10:
        return True
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return True
    today = date.today()
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return ages[0] <= age <= ages[1]


def parse_dob(raw: str) -> tuple[str, tuple[int, int] | None]:
    """A date of birth as typed: '1985', '1985-03', '1985-03-12', or an age range '30-40'."""
    raw = (raw or "").strip()
    if not raw:
        return "", None
    if ages := parse_ages(raw):
        low, high = ages
        if high > 120:
            raise SearchInputError("An age range is two ages, such as 30-40.")
        year = date.today().year
        return "", (year - high - 1, year - low)
    if re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", raw):
        parts = [int(p) for p in raw.split("-")]
        try:
            date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        except ValueError as exc:
            raise SearchInputError(f"'{raw}' is not a real date.") from exc
        if not 1900 <= parts[0] <= date.today().year:
            raise SearchInputError(f"'{raw}' is not a year anyone alive was born in.")
        return raw, (parts[0], parts[0])
    raise SearchInputError(
        f"'{raw[:20]}' is not a date of birth: write 1985, 1985-03, 1985-03-12 or an age range 30-40."
    )


# --- people ------------------------------------------------------------------------------------


def _codes(tokens: list[str], threshold: float) -> tuple[list[str], list[str], dict[str, set[str]]]:
    with connection.cursor() as cursor:
        # The trigram threshold for this search's transaction (set_config(..., true) is SET LOCAL), in the
        # same round trip as the codes: the candidate query that follows uses it.
        cursor.execute(
            "SELECT set_config('pg_trgm.similarity_threshold', %s, true), cairn_name_codes(%s), cairn_name_pairs(%s), "
            "ARRAY(SELECT dmetaphone(t) || ',' || dmetaphone_alt(t) FROM unnest(%s::text[]) t)",
            [str(threshold), tokens, tokens, tokens],
        )
        _, codes, pairs, per_token = cursor.fetchone()  # type: ignore[misc]
    return codes, pairs, {t: _code_set(c) for t, c in zip(tokens, per_token, strict=False)}


def _code_set(codes: str) -> set[str]:
    """'PRMR,ALT' (a word's Double Metaphone codes as the statements give them) as a set."""
    return set(filter(None, codes.split(",")))


def _word_codes(words: set[str], known: dict[str, set[str]]) -> dict[str, set[str]]:
    """Each word's sound codes: those in ``known`` (the query's), the rest from PostgreSQL in one statement.

    Asked once a search for the distinct words of its candidates (a few hundred), not for every word of
    every row read: a common name's words come back on hundreds of rows.
    """
    codes = {w: known[w] for w in words if w in known}
    if unknown := sorted(words - codes.keys()):
        with connection.cursor() as cursor:
            cursor.execute("SELECT t, dmetaphone(t) || ',' || dmetaphone_alt(t) FROM unnest(%s::text[]) t", [unknown])
            codes.update((w, _code_set(c)) for w, c in cursor.fetchall())
    return codes


# What a hit or a flag shows of its report (``_report_details`` reads it for the chosen rows only).
_REPORT_DETAIL = (
    "report__reference",
    "report__created_at",
    "report__exploitation_types",
    "report__organisation__name",
    "report__organisation__code",
    "report__organisation__contact_point",
)


def _candidate_sql() -> tuple[str, str]:
    """The two statements of a person search's candidates: the matching names, then their rows."""
    from cairn.intelligence.models import IntelligenceReport
    from cairn.search.models import NameKey

    p, k, r = PersonName._meta.db_table, NameKey._meta.db_table, IntelligenceReport._meta.db_table
    names = f'SELECT key, by_length FROM "{k}" WHERE {{match}}'  # noqa: S608
    # The rows of the chosen names, in the names' order, each kept or marked by the rule. The report
    # table keeps its own name: the compiled rule refers to it so. {full}: the rule for "read in
    # full", with the search's filters; {flag}: "a flag only", which the filters do not narrow.
    rows = (
        "SELECT p.statement_id, p.entity_id, p.report_id, p.name, p.tokens, p.birth_date, p.nationality, "  # noqa: S608
        "CASE WHEN {full} THEN 'full' ELSE 'flag' END AS access "
        f'FROM unnest(%s::text[]) WITH ORDINALITY AS k(key, rank) JOIN "{p}" p ON p.name_key = k.key '
        f'JOIN "{r}" ON "{r}"."id" = p.report_id '
        "WHERE ({full} OR {flag}) {year} "
        "ORDER BY k.rank, p.statement_id LIMIT %s"
    )
    return names, rows


@dataclass(frozen=True)
class _Rule:
    """The rule for one search as SQL on the unaliased report table: 'read in full' and 'a flag only'.

    Made once a search and pasted into each of its statements (person search: candidates and report
    details; selector search: its one statement).
    """

    full_sql: str
    full_params: list[Any]
    flag_sql: str
    flag_params: list[Any]

    @classmethod
    def of(cls, actor: User | None, *, unrestricted: bool, report_filter: Q | None = None) -> _Rule:
        """``report_filter`` (a filter on the report itself) narrows what is read in full, not the flags.

        ``unrestricted`` (the benchmark's run without the rule) keeps only the filter, and no flags.
        """
        if unrestricted:
            full_sql, full_params = policy.report_predicate(report_filter or Q())
            return cls(full_sql, full_params, "FALSE", [])
        full_sql, full_params = policy.report_rule_sql(actor, report_filter)
        flag_sql, flag_params = policy.report_rule_sql(actor, flag=True)
        return cls(full_sql, full_params, flag_sql, flag_params)


def _candidates(
    rule: _Rule,
    tokens: list[str],
    year_range: tuple[int, int] | None,
    codes: list[str],
    pairs: list[str],
    deadline: float | None = None,
) -> list[dict[str, Any]]:
    """The ``CANDIDATES`` name rows of the names most alike in spelling, or sharing sounds, that the searcher may see.

    The names that match by trigram or by sound come from ``NameKey``; RapidFuzz (in C++) orders
    them by their likeness to the query (``_best_names``), and their rows are read in that order
    under the rule, compiled from the policy's own Q objects as the selector search does, until
    ``CANDIDATES`` rows are found or the names run out. Ordering in PostgreSQL by ``similarity``
    computed it again for every matching name, thousands for 'nguyen van …' (see docs/benchmarks.md).

    Rows are read a slice of names at a time (the best ``CANDIDATES`` names first; each slice after
    twice the last, within the order as far as it is made, which grows fourfold when reached):
    names whose rows the searcher may not see (or the year asked for rules out) take no place, so
    what a search finds never depends on names only hidden reports hold. Nothing but the search's
    deadline bounds the walk: a searcher who may see few of the rows reads further.
    """
    key = " ".join(sorted(tokens))
    match_params: list[Any]
    if len(pairs) >= 1 and len(tokens) >= 2:
        match, match_params = "key %% %s OR phonetic_pairs && %s::text[]", [key, pairs]
    elif codes and len(key) <= 2:
        # A name of one or two letters has three trigrams, and one shared is above the threshold:
        # every name with a word starting with its first letter is read and compared (0.5-0.8 s
        # for 'an' at a million names). Its sound code finds what the trigrams would ('an', 'anh',
        # 'ann'), in 8 ms.
        match, match_params = "phonetic && %s::text[]", [codes]
    elif codes:
        match, match_params = "key %% %s OR phonetic && %s::text[]", [key, codes]
    else:
        match, match_params = "key %% %s", [key]
    names_sql, rows_sql = _CANDIDATE_SQL
    with connection.cursor() as cursor:
        cursor.execute(names_sql.format(match=match), match_params)
        names = cursor.fetchall()
    if not names:
        return []
    # Only the best CANDIDATES are ordered at first: their rows nearly always fill the places.
    ordered = _best_names(key, names, limit=CANDIDATES)
    # Records with no date of birth still match a name; a known date outside the range does not.
    year_sql = "AND (p.birth_year IS NULL OR p.birth_year BETWEEN %s AND %s)" if year_range else ""
    sql = rows_sql.format(full=rule.full_sql, flag=rule.flag_sql, year=year_sql)
    rows: list[dict[str, Any]] = []
    start, size = 0, CANDIDATES
    while len(rows) < CANDIDATES:
        if start >= len(ordered):
            if len(ordered) == len(names):
                break
            # Places left: the next names in the same order (four times as many as ordered so far).
            read = set(ordered)
            ordered += [name for name in _best_names(key, names, limit=4 * len(ordered)) if name not in read]
        chunk = ordered[start : start + size]
        _within(deadline)
        params = [
            *rule.full_params,
            chunk,
            *rule.full_params,
            *rule.flag_params,
            *(year_range or ()),
            CANDIDATES - len(rows),
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            columns = [c.name for c in cursor.description or ()]
            rows += [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
        start, size = start + len(chunk), size * 2
    return rows


def words_by_length(key: str) -> str:
    """As ``cairn_words_by_length`` (search migration 0005): the words shortest first, then by code point."""
    return " ".join(sorted(key.split(" "), key=lambda w: (len(w), w)))


def _best_names(key: str, names: list[tuple[str, str]], *, limit: int | None) -> list[str]:
    """The ``limit`` names most like ``key`` (None: all of them), best first.

    A name's place is the best of ``fuzz.ratio`` as sorted, ``fuzz.ratio`` with the words by length,
    and ``fuzz.token_set_ratio``: a record giving a middle name the query leaves out ('Nguyen Van
    Toan' for 'Nguyen Toan') scores near the top in ``score_name``, but ``ratio`` put it behind
    hundreds of names one letter off, whose rows then filled every candidate place.
    """
    keys = [n[0] for n in names]
    best: dict[int, float] = {}
    for choices, query, scorer in (
        (keys, key, fuzz.ratio),
        ([n[1] for n in names], words_by_length(key), fuzz.ratio),
        (keys, key, fuzz.token_set_ratio),
    ):
        for _, score, i in process.extract(query, choices, scorer=scorer, limit=limit):
            best[i] = max(score, best.get(i, 0.0))
    ranked = sorted(best, key=lambda i: (-best[i], names[i][0]))[:limit]
    return [names[i][0] for i in ranked]


_CANDIDATE_SQL = _candidate_sql()


def _score(
    rows: list[Any],
    tokens: list[str],
    query_codes: dict[str, set[str]],
    word_codes: dict[str, set[str]],
    dob: str,
    nationality: str,
) -> list[tuple[float, list[str], Any]]:
    """``word_codes``: the sound codes of every word of the rows' names (``_word_codes``)."""
    scored = []
    # Common names come back many times over (the same words, other records): each is scored once.
    by_name: dict[tuple[str, ...], NameScore] = {}
    for row in rows:
        words = tuple(row["tokens"])
        result = by_name.get(words)
        if result is None:
            cand_codes = {t: word_codes[t] for t in words}
            result = by_name[words] = score_name(tokens, row["tokens"], query_codes, cand_codes)
        score, why = result.score, list(result.why)
        if row["access"] == "flag":
            # A flag is decided by the name alone, within the year range asked for (the nominal
            # check): were the day of birth or the nationality to move it across the threshold, a
            # searcher could learn a restricted subject's by trying one after another.
            scored.append((score, why, row))
            continue
        adj, reason = date_adjustment(dob, row["birth_date"])
        score += adj
        if reason:
            why.append(reason)
        if nationality and row["nationality"]:
            if row["nationality"] == nationality:
                score += 0.05
                why.append(f"nationality {nationality}")
            else:
                score -= 0.1
                why.append(f"nationality {row['nationality']} (not {nationality})")
        scored.append((score, why, row))
    # Ordered before the score is held to 0..1: a perfect name born in the year asked for ranks above
    # the same name with no date of birth, though both show 1.0.
    scored.sort(key=lambda s: (-s[0], s[2]["entity_id"]))
    return [(max(0.0, min(1.0, score)), why, row) for score, why, row in scored]


def search_people(
    *,
    actor: User | None,
    name: str,
    dob: str = "",
    year_range: tuple[int, int] | None = None,
    ages: tuple[int, int] | None = None,
    nationality: str = "",
    filters: Filters | None = None,
    limit: int = 10,
    unrestricted: bool = False,
    deadline: float | None = None,
) -> tuple[list[Hit], list[FlagHit]]:
    """People whose recorded names match ``name`` by any spelling, best first, with flags.

    ``unrestricted`` drops the access rule; only the benchmark's baseline sets it. ``deadline``
    (``time.monotonic()``): each statement after the first gets only what is left of the search's time.
    """
    filters = filters or Filters()
    tokens = name_tokens(name)[:MAX_NAME_WORDS]
    if not tokens:
        return [], []
    codes, pairs, query_codes = _codes(tokens, TRIGRAM_THRESHOLD)
    # The filters narrow what is read in full, never the flags: a flag shows only who holds what and
    # when, so a filter on anything else (premises, grading) would let the searcher learn it by toggling.
    rule = _Rule.of(actor, unrestricted=unrestricted, report_filter=filters.q() or None)
    candidates = _candidates(rule, tokens, year_range, codes, pairs, deadline)
    _within(deadline)
    word_codes = _word_codes({t for row in candidates for t in row["tokens"]}, query_codes)
    scored = _score(candidates, tokens, query_codes, word_codes, dob, nationality)
    _within(deadline)
    found = [row["entity_id"] for score, _, row in scored if row["access"] == "full" and score >= PERSON_THRESHOLD]
    # Records analysts have judged one person are one result, headed by its best-matching record.
    people = access_linking.merged_records_known_to(actor, found) if actor is not None and found else {}
    by_entity: dict[int, Hit] = {}
    head_of: dict[int, int] = {}
    chosen: list[tuple[Hit, Any]] = []
    flagged: list[dict[str, Any]] = []
    for score, why, row in scored:
        if row["access"] == "flag":
            if score >= FLAG_THRESHOLD:
                flagged.append(row)
            continue
        if score < PERSON_THRESHOLD:
            continue
        if ages and not _age_within(row["birth_date"], ages):
            continue  # a full date of birth outside the ages asked for (the years let it through)
        record = row["entity_id"]
        head = head_of.setdefault(record, record)
        hit = by_entity.get(head)
        if hit is None:
            if len(by_entity) >= limit:
                continue
            hit = by_entity[head] = Hit(
                head, row["name"], "person", round(score, 3), why, row["birth_date"], row["nationality"]
            )
            if person := people.get(head):
                hit.merged_with = sorted(person - {head})
                hit.why = [*why, f"one person with {len(hit.merged_with)} other record(s), judged the same"]
                head_of.update(dict.fromkeys(person, head))
        chosen.append((hit, row))
    _within(deadline)
    details = _report_details(rule, {row["report_id"] for _, row in chosen}, {row["report_id"] for row in flagged})
    for hit, row in chosen:
        # A report whose access changed since the candidates were read is left out, never shown.
        if (detail := details.get(row["report_id"])) is not None:
            hit.reports.append(_report_ref(detail))
    hits = [hit for hit in by_entity.values() if hit.reports]
    for hit in hits:
        _order_reports(hit)
    shown_flags = [
        {**details[row["report_id"]], "entity_id": row["entity_id"]} for row in flagged if row["report_id"] in details
    ]
    flags = _flags_from_rows(actor, shown_flags) if actor is not None else []
    return hits, flags


def _report_details(rule: _Rule, full: set[int], flagged: set[int]) -> dict[int, dict[str, Any]]:
    """What the chosen hits and flags show of their reports, read for those reports only.

    The candidate query checks the rule from the rule's own index (``report_rule_idx``) and
    never reads the (wide) report rows; only the few reports a result shows are read here,
    through the rule again, as rows shaped like the candidates' (``report_id``, ``report__…``).
    Raw SQL with the rule compiled from the policy's Q objects, as the selector search does:
    Django building and compiling two querysets and their union took longer (5.5 ms a search)
    than PostgreSQL's answer.
    """
    if not full and not flagged:
        return {}
    sql = _DETAIL_SQL.format(full=rule.full_sql, flag=rule.flag_sql)
    with connection.cursor() as cursor:
        cursor.execute(sql, [sorted(full), *rule.full_params, sorted(flagged), *rule.flag_params])
        return {
            row[0]: {"report_id": row[0], **dict(zip(_REPORT_DETAIL, row[1:], strict=True))}
            for row in cursor.fetchall()
        }


def _detail_sql() -> str:
    from cairn.intelligence.models import IntelligenceReport

    r, o = IntelligenceReport._meta.db_table, Organisation._meta.db_table
    # The report table keeps its own name: the compiled rule refers to it so.
    return (
        f'SELECT "{r}"."id", "{r}"."reference", "{r}"."created_at", "{r}"."exploitation_types", '  # noqa: S608
        f'o."name", o."code", o."contact_point" FROM "{r}" JOIN "{o}" o ON o."id" = "{r}"."organisation_id" '
        f'WHERE ("{r}"."id" = ANY(%s) AND {{full}}) OR ("{r}"."id" = ANY(%s) AND {{flag}})'
    )


_DETAIL_SQL = _detail_sql()


def _report_ref(row: Mapping[str, Any]) -> ReportRef:
    return ReportRef(
        row["report_id"], row["report__reference"], row["report__organisation__name"], row["report__created_at"]
    )


def _order_reports(hit: Hit) -> None:
    """One reference per report, newest first."""
    unique = {r.id: r for r in hit.reports}
    hit.reports = sorted(unique.values(), key=lambda r: (r.created_at, r.id), reverse=True)


def _flags_from_rows(viewer: User, rows: list[dict[str, Any]]) -> list[FlagHit]:
    """One flag per restricted report and subject (rows the rule marked 'flag'), newest day first.

    Per subject, not per report: one flag for a report naming two people the search matched would
    say, against two searches that each found one of them, that one report names both.
    """
    by_flag: dict[tuple[int, int], FlagHit] = {}
    for row in rows:
        key = (row["report_id"], row["entity_id"])
        if key not in by_flag:
            by_flag[key] = FlagHit(
                flag_token(viewer.pk, row["report_id"], row["entity_id"]),
                row["report__organisation__name"],
                row["report__organisation__code"],
                row["report__organisation__contact_point"],
                timezone.localdate(row["report__created_at"]),
                list(row["report__exploitation_types"]),
            )
    return sorted(by_flag.values(), key=lambda f: (-f.recorded_on.toordinal(), f.token))


# --- selectors ---------------------------------------------------------------------------------


# A selector search reads the statements of the newest this many reports readable in full, and as
# many flagged.
SELECTOR_REPORTS = 200


def search_selector(
    *, actor: User | None, selector: str, value: str, filters: Filters | None = None, unrestricted: bool = False
) -> tuple[list[Hit], list[FlagHit]]:
    """Everything visible about one normalised selector, and flags for restricted holdings.

    One query, one pass over the selector's statements: each is marked 'full' (the rule lets the
    searcher read its report, with the filters) or 'flag' (restricted, shown as a flag), and the
    statements of the newest ``SELECTOR_REPORTS`` reports of each kind are kept (a hit says when
    there are more). It is raw SQL because Django's building of the querysets cost more than
    PostgreSQL's answer; the rule in it is the policy's own, compiled from its Q objects
    (``report_rule_sql``).
    """
    filters = filters or Filters()
    entity_kind = SELECTOR_ENTITY_KIND[selector]
    rule = _Rule.of(actor, unrestricted=unrestricted, report_filter=filters.q() or None)
    sql = (
        f"SELECT * FROM (SELECT m.*, dense_rank() OVER (PARTITION BY m.holding ORDER BY m.report_seq DESC) AS n "  # noqa: S608
        f"FROM ({_SELECTOR_SQL.replace('{full}', rule.full_sql)} AND ({rule.full_sql} OR {rule.flag_sql})) m) "
        "ranked WHERE n <= %s"
    )
    args = [
        *rule.full_params,
        entity_kind,
        value,
        Property.SUBJECT.value,
        *rule.full_params,
        *rule.flag_params,
        SELECTOR_REPORTS + 1,  # one more, to know whether there are more
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        columns = [c.name for c in cursor.description or ()]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    # n ranks reports, not statements: a report writing the selector twice is one report.
    visible = sorted((r for r in rows if r["holding"] == "full"), key=lambda r: r["report_seq"], reverse=True)
    capped = any(r["n"] > SELECTOR_REPORTS for r in visible)
    visible = [r for r in visible if r["n"] <= SELECTOR_REPORTS]
    hits: list[Hit] = []
    if visible:
        hit = Hit(visible[0]["entity_id"], value, entity_kind, 1.0, [f"exact {selector.replace('_', ' ')}"])
        written = sorted({r["value"] for r in visible} - {value})
        if written:
            hit.why.append("written as " + ", ".join(written[:5]))
        hit.reports = [_report_ref(r) for r in visible]
        _order_reports(hit)
        # Only the newest statements are read: said so, rather than a count that looks whole.
        hit.reports_capped = capped
        hits = [hit]
    flagged = sorted((r for r in rows if r["holding"] == "flag"), key=lambda r: r["report_seq"], reverse=True)
    flags = _flags_from_rows(actor, [r for r in flagged if r["n"] <= SELECTOR_REPORTS]) if actor is not None else []
    return hits, flags


def _selector_sql() -> str:
    from cairn.accounts.models import Organisation
    from cairn.entities.models import Entity, Statement
    from cairn.intelligence.models import IntelligenceReport

    s, e = Statement._meta.db_table, Entity._meta.db_table
    r, o = IntelligenceReport._meta.db_table, Organisation._meta.db_table
    # The report table keeps its own name: the compiled rule refers to it so. {full} is where the
    # caller puts the rule itself, to mark each row readable in full or a flag.
    return (
        f'SELECT s."entity_id", s."report_id", "{r}"."seq" AS "report_seq", s."value", '  # noqa: S608
        f'"{r}"."reference" AS "report__reference", '
        f'"{r}"."created_at" AS "report__created_at", "{r}"."exploitation_types" AS "report__exploitation_types", '
        f'o."name" AS "report__organisation__name", o."code" AS "report__organisation__code", '
        f'o."contact_point" AS "report__organisation__contact_point", '
        f"CASE WHEN {{full}} THEN 'full' ELSE 'flag' END AS \"holding\" "
        f'FROM "{e}" e JOIN "{s}" s ON s."entity_id" = e."id" '
        f'JOIN "{r}" ON "{r}"."id" = s."report_id" JOIN "{o}" o ON o."id" = "{r}"."organisation_id" '
        f'WHERE e."kind" = %s AND e."key" = %s AND s."prop" = %s'
    )


_SELECTOR_SQL = _selector_sql()


# --- words in reports --------------------------------------------------------------------------


def search_text(
    *,
    actor: User | None,
    text: str,
    filters: Filters | None = None,
    page: int = 1,
    unrestricted: bool = False,
    deadline: float | None = None,
) -> tuple[list[ReportRef], int, bool, dict[str, list[tuple[str, int]]]]:
    """Reports the searcher may read whose words match, best first.

    Where more than ``MAX_TEXT_RESULTS`` reports match, the best are chosen from the
    ``MAX_TEXT_RESULTS`` most recently recorded (``capped`` says so): a common word matches a
    large share of all reports, and ranking every one means reading every one of them.

    No flags here: flagging restricted reports by the words in them would let
    anyone probe their contents a word at a time.
    """
    from cairn.intelligence.models import IntelligenceReport

    filters = filters or Filters()
    query = SearchQuery(text, search_type="websearch", config="english")
    base = policy.unrestricted_for_benchmark(IntelligenceReport) if unrestricted else policy.reports_visible_to(actor)
    matching = base.filter(search_vector=query).filter(filters.q())
    rows = _newest_matches(base, matching, query, deadline)
    capped = len(rows) > MAX_TEXT_RESULTS
    rows = rows[:MAX_TEXT_RESULTS]
    _within(deadline)
    facets = _facets(rows)
    rows.sort(key=lambda r: (r["rank"], r["created_at"], r["id"]), reverse=True)
    start = (page - 1) * PAGE_SIZE
    refs = [
        ReportRef(r["id"], r["reference"], r["organisation__name"], r["created_at"])
        for r in rows[start : start + PAGE_SIZE]
    ]
    return refs, len(rows), capped, facets


_TEXT_FIELDS = (
    "id",
    "reference",
    "created_at",
    "organisation__name",
    "exploitation_types",
    "source_evaluation",
    "intelligence_assessment",
    "rank",
)


# The first window of newest report ids read for a text search; widened by what it finds.
TEXT_WINDOW = 32_000


def _newest_matches(
    base: QuerySet[Any], matching: QuerySet[Any], query: SearchQuery, deadline: float | None = None
) -> list[dict[str, Any]]:
    """Up to ``MAX_TEXT_RESULTS + 1`` matching reports, newest (by ``seq``, the order reports were
    numbered in: their ids are in no order) first, each ranked.

    Read window by window from the newest back, each window sized by how dense the
    matches were in the last: PostgreSQL cannot estimate how often words occur together
    ("construction site"), so asked for the newest matches at once it may read every match of
    a common phrase to sort them. A rare word soon widens the window to the whole table,
    which is cheap for a rare word.
    """
    ranked = matching.annotate(rank=SearchRank(F("search_vector"), query)).order_by("-seq").values(*_TEXT_FIELDS)
    # The newest report of all, from one step of its index; the newest the searcher may read would be
    # found by walking back past every newer report hidden from them, row by row.
    newest = base.model._base_manager.aggregate(newest=Max("seq"))["newest"]
    if newest is None:
        return []
    width = TEXT_WINDOW
    while True:
        lower = newest - width
        window = ranked.filter(seq__gt=lower) if lower > 0 else ranked
        _within(deadline)  # each wider window gets what is left of the search's time, not its own
        rows = list(window[: MAX_TEXT_RESULTS + 1])
        if len(rows) > MAX_TEXT_RESULTS or lower <= 0:
            return rows
        # Wide enough, at the density just seen, to hold half as many again as needed.
        width = int(width * max(2.0, 1.5 * (MAX_TEXT_RESULTS + 1) / max(len(rows), 1)))


def _facets(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[tuple[str, int]]]:
    """Counts over ``rows``, the matching reports the searcher may read, and nothing else."""
    orgs = Counter(r["organisation__name"] for r in rows)
    kinds = Counter(t for r in rows for t in r["exploitation_types"])
    # The grade as written on a report (source evaluation, then intelligence assessment: '2B').
    grades = Counter(f"{r['source_evaluation']}{r['intelligence_assessment']}" for r in rows)
    premises: list[tuple[str, int]] = []
    if rows:
        # The ids as one array literal: a thousand placeholders, or a list adapted by the driver, cost
        # more than the query (2-6 ms against 1 ms for 1,000 reports). A report naming two car washes
        # counts once under "Car wash". (No facet of subject kinds here: joining every result's
        # subjects to their entities cost 15 ms a search at 1,000,000 reports; the filter stays.)
        ids = "{" + ",".join(str(int(r["id"])) for r in rows) + "}"
        with connection.cursor() as cursor:
            cursor.execute(_FACET_SQL, [Property.PREMISES_TYPE, ids])
            premises = [(value, n) for value, n in cursor.fetchall()]
    return {
        "organisation": orgs.most_common(),
        "exploitation type": kinds.most_common(),
        "grading": sorted(grades.items()),
        "premises type": premises,
    }


_FACET_SQL = (
    f'SELECT value, count(DISTINCT report_id) AS n FROM "{Statement._meta.db_table}" '  # noqa: S608
    "WHERE prop = %s AND report_id = ANY(%s::bigint[]) GROUP BY value ORDER BY n DESC, value"
)


def _tied_at_top(hits: list[Hit]) -> int:
    """How many of these people match as well as the first, if ``TIED_HINT`` or more (else 0)."""
    tied = sum(1 for hit in hits if hits and hit.score == hits[0].score)
    return tied if tied >= TIED_HINT else 0


def _hit_facets(hits: list[Hit]) -> dict[str, list[tuple[str, int]]]:
    orgs: Counter[str] = Counter()
    per_kind: dict[str, int] = defaultdict(int)
    for h in hits:
        per_kind[EntityKind(h.kind).label] += 1
        for r in h.reports:
            orgs[r.organisation] += 1
    return {"organisation": orgs.most_common(), "entity type": sorted(per_kind.items())}


def _reports_table() -> str:
    from cairn.intelligence.models import IntelligenceReport

    return f'"{IntelligenceReport._meta.db_table}"'


_REPORTS = _reports_table()


def _within(deadline: float | None) -> None:
    """Give the next statement only what is left of the search's time (at least 1 ms, then cancelled)."""
    if deadline is not None:
        left = max(1, int((deadline - time.monotonic()) * 1000))
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {left}")


def _did_you_mean(actor: User, text: str, filters: Filters | None, deadline: float | None = None) -> str:
    """The first correction whose search, under the searcher's rule and filters, finds a report.

    A nicety, not the search: if the search's time runs out while looking, nothing is offered.
    """
    if deadline is not None and time.monotonic() >= deadline:
        return ""
    try:
        with transaction.atomic():  # a savepoint: a cancelled statement leaves the search's transaction usable
            _within(deadline)
            return _first_correction(actor, text, filters or Filters(), deadline)
    except OperationalError as exc:
        if not isinstance(exc.__cause__, QueryCanceled):
            raise
        return ""


def _first_correction(actor: User, text: str, filters: Filters, deadline: float | None) -> str:
    readable = policy.reports_visible_to(actor).filter(filters.q())
    # Which words are corrected is decided by the reports the searcher may read (with the filters),
    # so a hidden report that writes the slip as typed changes nothing they see.
    rule_sql, rule_params = policy.report_rule_sql(actor, filters.q() or None)
    uses = (
        f'EXISTS (SELECT 1 FROM {_REPORTS} WHERE {_REPORTS}."search_vector" @@ '  # noqa: S608
        f"plainto_tsquery('english', c.word) AND {rule_sql})"
    )
    typed = set(text.lower().split())
    for candidate in vocabulary.corrections(text, (uses, rule_params)):
        # Whether any report matches, not which: the search the searcher then runs ranks them.
        query = SearchQuery(candidate, search_type="websearch", config="english")
        if candidate == text.lower():
            continue
        found = readable.filter(search_vector=query)
        # The search is stemmed: 'runners' finds a report that writes 'runner'. A word offered must be
        # written, as offered, in a report the searcher may read, or a form only hidden reports write
        # could be offered. (Vocabulary words are a-z only: nothing in them is a pattern.)
        for word in set(candidate.split()) - typed:
            found = found.filter(text__iregex=rf"\m{word}\M")
        _within(deadline)
        if found.exists():
            return candidate
    return ""


# --- the one entry point -----------------------------------------------------------------------


def search(
    *,
    actor: User,
    query: str,
    kind: str = QueryKind.AUTO,
    dob: str = "",
    nationality: str = "",
    filters: Filters | None = None,
    page: int = 1,
) -> Result:
    """Understand the query, run the right search with the access rule, and page it."""
    text = clean_query(query)
    nationality = (nationality or "").strip()
    if nationality:
        # As reports take it: two letters or three (RO, ROU), stored as two.
        code = country_code(nationality)
        if code is None:
            raise SearchInputError(f"'{nationality[:20]}' is not a country code (RO or ROU, ISO 3166).")
        nationality = code
    dob_text, year_range = parse_dob(dob)
    ages = parse_ages(dob)
    if page < 1:
        raise SearchInputError("Pages start at 1.")
    kind = kind or QueryKind.AUTO
    if kind not in QueryKind.values:
        raise SearchInputError(f"Search for {', '.join(QueryKind.values)}; '{kind[:20]}' is not one of them.")
    kind_found, selector, normalised = understand(text, kind)
    try:
        result = _search(
            actor, text, kind, kind_found, selector, normalised, dob_text, year_range, ages, nationality, filters, page
        )
    except OperationalError as exc:
        # The statement timeout below cancelled it: say so, as for any other search that cannot run.
        if not isinstance(exc.__cause__, QueryCanceled):
            raise
        raise SearchInputError(
            "That search took too long and was stopped. Add words, a date of birth or a filter, and try again."
        ) from exc
    result.page = page
    if page > result.pages:
        result.message = f"There are only {result.pages} page(s) of results."
    return result


def _search(
    actor: User,
    text: str,
    kind: str,
    kind_found: str,
    selector: str,
    normalised: str,
    dob_text: str,
    year_range: tuple[int, int] | None,
    ages: tuple[int, int] | None,
    nationality: str,
    filters: Filters | None,
    page: int,
) -> Result:
    # The whole search's time: a statement that follows others gets what is left of it.
    deadline = time.monotonic() + SEARCH_TIMEOUT_MS / 1000
    with transaction.atomic(), connection.cursor() as cursor:
        # A search never holds a connection for long, whatever was typed.
        cursor.execute(f"SET LOCAL statement_timeout = {SEARCH_TIMEOUT_MS}")
        result: Result | None = None
        if kind_found == QueryKind.PERSON:
            hits, flags = search_people(
                actor=actor,
                name=text,
                dob=dob_text,
                year_range=year_range,
                ages=ages,
                nationality=nationality,
                filters=filters,
                limit=PERSON_LIMIT + 1,  # one more than is kept: whether there were more to keep
                deadline=deadline,
            )
            capped = len(hits) > PERSON_LIMIT
            hits = hits[:PERSON_LIMIT]
            if hits or flags or kind != QueryKind.AUTO:
                # Flags on the first page only, as a selector's hits: a client reading every page counts each once.
                shown = flags if page == 1 else []
                result = Result(text, kind_found, "a person's name", normalised, flags=shown, total=len(hits))
                result.total_is_capped = capped
                result.facets = _hit_facets(hits)
                result.tied_at_top = _tied_at_top(hits) if not (dob_text or year_range or nationality) else 0
                result.pages = max(1, -(-len(hits) // PAGE_SIZE))
                result.hits = hits[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            # else: two lower-case words may be a phrase ("car wash") rather than a name.
        elif kind_found == QueryKind.SELECTOR:
            hits, flags = search_selector(actor=actor, selector=selector, value=normalised, filters=filters)
            # A guess from the shape alone that finds nothing may have been words ('room 101', 'M25'): the
            # words are searched instead, as for a name that finds no one.
            if hits or flags or kind != QueryKind.AUTO or selector not in SHAPE_GUESSES:
                label = SelectorKind(selector).label.lower()
                # One page (each hit carries its reports): a later page shows nothing again, as other searches do.
                result = Result(text, kind_found, label, normalised, flags=flags, total=len(hits))
                result.hits = hits if page == 1 else []
                result.facets = _hit_facets(hits)
        if result is None:
            refs, total, capped, facets = search_text(
                actor=actor, text=text, filters=filters, page=page, deadline=deadline
            )
            result = Result(
                text,
                QueryKind.TEXT,
                "words in reports",
                text,
                reports=refs,
                total=total,
                total_is_capped=capped,
                facets=facets,
            )
            result.pages = max(1, -(-total // PAGE_SIZE))
            if not total:
                result.did_you_mean = _did_you_mean(actor, text, filters, deadline)
    return result
