"""Features of a person record for entity resolution: what the comparisons in ``model.py`` look at.

A raw record (a name as written, a date of birth in whatever form, a nationality as a code, a
country or an adjective, identifiers and selector keys) becomes ``PersonFeatures``:

* ``tokens`` — the ASCII-folded lower-case words of the name in written order ('Nguyễn Văn Minh'
  -> nguyen van minh; Cyrillic and other scripts through anyascii);
* ``name_key`` — the tokens sorted, so the order a name is written in does not matter;
* ``canon`` — each word of two letters or more in a canonical spelling: a known transliteration
  variant group (Mohammed / Muhammad / Mohamed ...), an English nickname (Bob -> Robert, via the
  ``nicknames`` package) and spelling rules that differ between transliteration systems (ph/f,
  kh/h, ou/u, y/i, w/v, doubled letters ...); ``canon_key`` is them sorted, ``squash`` them run
  together in written order (Abdul Rahman = Abdulrahman);
* ``skel_key`` — a consonant skeleton of each canonical word (first letter, then no vowels), sorted:
  the "sounds alike" key; ``pair_keys`` every unordered pair of skeletons, for blocking;
* ``given`` / ``family`` — a guess at the given and family names whatever the order (a comma, a word in
  capitals, a known East Asian family name written first or last);
* the date of birth as year / month / day with its precision (a full date, a month, a year) and
  whether the raw value was an impossible date; ``dob_block`` the date with day and month sorted,
  so a record with the two swapped still meets the other;
* ``nationality`` as an ISO 3166 alpha-2 code; identifiers and selectors as sorted tuples.

The spelling rules exist twice on purpose: as Python (``translit``, ``skeleton``) and as SQL
(``translit_sql``, ``skeleton_sql``) for DuckDB or PostgreSQL; ``tests/test_features.py`` checks the
two agree. Everything here is pure and cached per word, so a million records cost a few seconds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from anyascii import anyascii

# --- spelling rules ------------------------------------------------------------------------------

# Applied in order to an ASCII lower-case word. Each is (regular expression, replacement); the
# patterns use nothing beyond what RE2 (DuckDB) and PostgreSQL's regexp_replace both understand.
TRANSLIT_RULES: tuple[tuple[str, str], ...] = (
    ("[^a-z]", ""),
    ("dzh|dj|zh", "j"),
    ("tch", "ch"),
    ("sch", "sh"),
    ("cz", "ch"),
    ("ph", "f"),
    ("kh", "h"),
    ("gh", "g"),
    ("dh", "d"),
    ("th", "t"),
    ("ck", "k"),
    ("sz", "s"),
    ("x", "ks"),
    ("tz", "ts"),
    ("q", "k"),
    ("ch", "C"),  # keep ch while every other c becomes k
    ("c", "k"),
    ("C", "ch"),
    ("w", "v"),
    ("y", "i"),
    ("ou|oo", "u"),
    ("ee|ie", "i"),
    ("ei", "ai"),
    ("([oe])ff$", "\\1v"),
)
DOUBLES = tuple(chr(c) * 2 for c in range(ord("a"), ord("z") + 1))
TRAILING_H = ("([aeiou])h$", "\\1")

_TRANSLIT = tuple((re.compile(p), r) for p, r in TRANSLIT_RULES)
_TRAILING_H = re.compile(TRAILING_H[0])
_VOWELS_AFTER_FIRST = re.compile("[aeiou]")


def translit(word: str) -> str:
    """The word with spellings that differ between transliteration systems made one."""
    for pattern, repl in _TRANSLIT:
        word = pattern.sub(repl, word)
    for double in DOUBLES:
        word = word.replace(double, double[0])
    return _TRAILING_H.sub(TRAILING_H[1], word)


@lru_cache(maxsize=500_000)
def skeleton(word: str) -> str:
    """First letter (a vowel as 'a') and the consonants after it, doubles collapsed: mohammed -> mhmd."""
    if not word:
        return word
    first = "a" if word[0] in "aeiou" else word[0]
    rest = _VOWELS_AFTER_FIRST.sub("", word[1:])
    out = first + rest
    for double in DOUBLES:
        out = out.replace(double, double[0])
    return out


def _sql_quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def translit_sql(expr: str) -> str:
    """``translit`` as a SQL expression over ``expr`` (an ASCII lower-case word), for DuckDB."""
    for pattern, repl in TRANSLIT_RULES:
        expr = f"regexp_replace({expr}, {_sql_quote(pattern)}, {_sql_quote(repl)}, 'g')"
    for double in DOUBLES:
        expr = f"replace({expr}, '{double}', '{double[0]}')"
    return f"regexp_replace({expr}, {_sql_quote(TRAILING_H[0])}, {_sql_quote(TRAILING_H[1])})"


def skeleton_sql(expr: str) -> str:
    """``skeleton`` as a SQL expression over ``expr`` (a word already through ``translit``)."""
    first = f"(CASE WHEN left({expr}, 1) IN ('a','e','i','o','u') THEN 'a' ELSE left({expr}, 1) END)"
    out = f"({first} || regexp_replace(substr({expr}, 2), '[aeiou]', '', 'g'))"
    for double in DOUBLES:
        out = f"replace({out}, '{double}', '{double[0]}')"
    return f"(CASE WHEN {expr} = '' THEN '' ELSE {out} END)"


# Well-known transliteration variants of the same name, each group mapped to its first member.
# Spelling rules cannot see that Mohammed and Muhammad, or Hussein and Hossein, are one name.
VARIANT_GROUPS = (
    "mohammed muhammad mohamed mohammad muhammed mohamad mohamud mohammod mohd",
    "ahmed ahmad ahmet",
    "mahmoud mahmud mahmood",
    "hussein hussain husain hussien husein hossein",
    "hassan hasan",
    "abdullah abdallah abdulla abdalla",
    "omar umar omer",
    "osman othman usman uthman",
    "yusuf youssef yousef yousif yosef yousuf",
    "ibrahim ebrahim ibraheem",
    "ismail ismael esmail",
    "mustafa mostafa moustafa",
    "khalid khaled",
    "suleiman sulaiman soliman suleyman",
    "abdelrahman abdulrahman abdalrahman abdurrahman",
    "abdelaziz abdulaziz abdalaziz",
    "abdelkarim abdulkarim",
    "jamal gamal",
    "jaafar jafar gaafar",
    "fatima fatma fatimah fatemeh",
    "aisha ayesha aysha",
    "mariam maryam meryem",
    "yasin yaseen yassin",
    "idris idriss edris idrees",
    "saleh salih",
    "said saeed sayed sayid",
    "younis yunus younes",
    "zakaria zakariya zachariah",
    "haroun haroon harun",
    "jibril jibreel gabriel",
    "musa mousa moussa",
    "issa isa eisa",
    "qasim kasim qassim",
    "bilal belal",
    "tesfay tesfaye tesfai",
    "yohannes yohanes johannes",
    "gebremedhin ghebremedhin gebremedin",
    "tsegay tsegai tsegaye",
    "tewelde tewolde",
    "mikael michael mikiel",
    "isaias isayas esayas",
    "sayyid syed",
    "huynh huyen",
    "vu vo",
    "hoxha hoxa hodja",
    "aleksandr alexander oleksandr",
    "sergei sergey serhiy",
    "dmitri dmitry dmytro",
    "andriy andrii andrei",
    "mykola nikolai nikolay",
    "olena elena yelena",
    "yuliya yulia julia",
    "tatiana tetiana tatyana",
    "natalia nataliya natalya",
    "oluwaseun oluseun",
)
VARIANT_OF: dict[str, str] = {}
for _group in VARIANT_GROUPS:
    _members = _group.split()
    for _m in _members:
        VARIANT_OF.setdefault(_m, _members[0])

# Family names that East Asian names put first; they tell which word is the family name whatever
# the order the record was written in.
EAST_ASIAN_FAMILY = frozenset(
    [
        "nguyen",
        "tran",
        "le",
        "pham",
        "hoang",
        "huynh",
        "phan",
        "vu",
        "vo",
        "dang",
        "bui",
        "do",
        "ho",
        "ngo",
        "duong",
        "ly",
        "mai",
        "dinh",
        "truong",
        "lam",
        "dao",
        "luong",
        "cao",
        "ta",
        "wang",
        "li",
        "zhang",
        "liu",
        "chen",
        "yang",
        "huang",
        "zhao",
        "wu",
        "zhou",
        "xu",
        "sun",
        "ma",
        "zhu",
        "hu",
        "guo",
        "he",
        "gao",
        "lin",
        "luo",
        "zheng",
        "liang",
        "xie",
        "song",
        "tang",
        "han",
        "feng",
        "deng",
        "cao",
        "peng",
        "zeng",
        "xiao",
        "tian",
        "dong",
        "yuan",
        "pan",
        "cai",
        "jiang",
        "yu",
        "du",
        "ye",
        "cheng",
        "wei",
        "su",
        "lu",
        "ding",
        "ren",
        "shen",
        "yao",
        "jin",
    ]
)


@lru_cache(maxsize=1)
def _nicknamer() -> Any:
    from nicknames import NickNamer

    return NickNamer()


@lru_cache(maxsize=200_000)
def nickname_canonical(word: str) -> str:
    """The formal name an English nickname stands for (bob -> robert, mike -> michael), else the word.

    The nickname lists run both ways and are loose (al -> alan, albert, alexander ...); of the longer
    names that list the word as their nickname, the one with the most nicknames (the usual formal
    name: bob -> robert, not bobby) is taken, so the mapping is deterministic. A rare false pair
    (van -> sullivan) costs little: both sides of a comparison are mapped alike.
    """
    if len(word) < 2 or len(word) > 6 or word in VARIANT_OF:
        return word
    namer = _nicknamer()
    if len(namer.nicknames_of(word)) > 2:  # a formal name itself (john, not johnathan)
        return word
    formal = [c for c in namer.canonicals_of(word) if len(c) > len(word) and word in namer.nicknames_of(c)]
    if not formal:
        return word
    return min(formal, key=lambda c: (-len(namer.nicknames_of(c)), c))


@lru_cache(maxsize=500_000)
def canonical(word: str) -> str:
    """A folded word's canonical spelling: variant group, nickname, then transliteration rules."""
    word = VARIANT_OF.get(word, word)
    word = nickname_canonical(word)
    word = VARIANT_OF.get(word, word)
    return translit(word)


_TOKEN_RE = re.compile(r"[a-z0-9]+")
_POSSESSIVE = re.compile(r"'s\b")
_APOSTROPHE = re.compile(r"['`]")


@lru_cache(maxsize=500_000)
def _fold_piece(piece: str) -> tuple[tuple[str, ...], bool]:
    """The tokens of one whitespace-separated piece of a name and whether it was written in capitals."""
    folded = piece if piece.isascii() else anyascii(piece)
    upper = len(folded) > 1 and folded.isupper()
    folded = _APOSTROPHE.sub("", _POSSESSIVE.sub("", folded.lower()))
    return tuple(_TOKEN_RE.findall(folded)), upper


_SPACE = re.compile(r"[ \t\n\r\f]+")


def name_parts(raw: str) -> tuple[list[str], int | None, set[int]]:
    """(tokens, index where the part after a comma starts or None, indexes of tokens in capitals)."""
    tokens: list[str] = []
    comma_at: int | None = None
    upper: set[int] = set()
    for piece in _SPACE.split(raw.replace(",", " , ")):
        if not piece:
            continue
        if piece == ",":
            if comma_at is None and tokens:
                comma_at = len(tokens)
            continue
        toks, is_upper = _fold_piece(piece)
        if is_upper:
            upper.update(range(len(tokens), len(tokens) + len(toks)))
        tokens.extend(toks)
    return tokens, comma_at, upper


def guess_given_family(tokens: Sequence[str], comma_at: int | None, upper: set[int]) -> tuple[int, int] | None:
    """Indexes of the likely (given, family) names among ``tokens``, looking at words of two letters or more.

    In order: a comma (family name before it), one word in capitals among others, a known East Asian
    family name first (given name last) or last (given name just before it); otherwise Western order.
    The batch version in ``build_features`` follows the same steps in SQL.
    """
    idx = [i for i, t in enumerate(tokens) if len(t) > 1]
    if len(idx) < 2:
        return None
    if comma_at is not None:
        before = [i for i in idx if i < comma_at]
        after = [i for i in idx if i >= comma_at]
        if before and after:
            return after[0], before[-1]
    capitals = [i for i in idx if i in upper]
    if capitals and len(capitals) < len(idx):
        family = capitals[0]
        return (idx[-1] if family == idx[0] else idx[0]), family
    if tokens[idx[0]] in EAST_ASIAN_FAMILY:
        return idx[-1], idx[0]
    if tokens[idx[-1]] in EAST_ASIAN_FAMILY:
        return idx[-2], idx[-1]
    return idx[0], idx[-1]


# --- dates of birth ------------------------------------------------------------------------------

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        )
    )
    for m in names.split()
}
_ISO = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?:[T ].*)?$")
_DMY = re.compile(r"^(\d{1,2})[-/. ](\d{1,2})[-/. ](\d{4})$")
_MY = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_WORDS = re.compile(r"^(?:(\d{1,2})(?:st|nd|rd|th)?\s+)?([a-z]+)\.?,?\s+(\d{4})$")
_WORDS_US = re.compile(r"^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
MIN_YEAR = 1900


@dataclass(frozen=True, slots=True)
class Dob:
    """A date of birth as far as it is known; ``invalid`` when the raw value was not a possible date."""

    year: int | None = None
    month: int | None = None
    day: int | None = None
    invalid: bool = False

    @property
    def precision(self) -> str | None:
        if self.year is None:
            return None
        return "day" if self.day is not None else "month" if self.month is not None else "year"

    @property
    def iso(self) -> str | None:
        if self.year is None:
            return None
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


def _checked(year: int, month: int | None, day: int | None) -> Dob:
    if not MIN_YEAR <= year <= date.today().year:
        return Dob(invalid=True)
    if month is None:
        return Dob(year)
    if not 1 <= month <= 12:
        return Dob(invalid=True)
    if day is None:
        return Dob(year, month)
    try:
        date(year, month, day)
    except ValueError:
        return Dob(invalid=True)
    return Dob(year, month, day)


@lru_cache(maxsize=100_000)
def parse_dob(raw: str | None) -> Dob:
    """A date of birth from 'YYYY-MM-DD', 'YYYY-MM', 'YYYY', 'DD/MM/YYYY' (UK order unless the day
    cannot be a month), 'MM/YYYY', '12 March 1990', 'March 12, 1990' or 'March 1990'.

    Empty -> unknown; anything unreadable or impossible (2001-02-30, month 13, a year before 1900 or
    in the future) -> unknown with ``invalid`` set, so the caller can count it.
    """
    if raw is None:
        return Dob()
    text = raw.strip().lower()
    if not text:
        return Dob()
    if m := _ISO.match(text):
        return _checked(int(m[1]), int(m[2]) if m[2] else None, int(m[3]) if m[3] else None)
    if m := _DMY.match(text):
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        if second > 12 >= first:  # 03/25/1990 can only be month/day
            return _checked(year, first, second)
        return _checked(year, second, first)
    if m := _MY.match(text):
        return _checked(int(m[2]), int(m[1]), None)
    if m := _WORDS.match(text):
        month = MONTHS.get(m[2])
        if month is None:
            return Dob(invalid=True)
        return _checked(int(m[3]), month, int(m[1]) if m[1] else None)
    if m := _WORDS_US.match(text):
        month = MONTHS.get(m[1])
        if month is None:
            return Dob(invalid=True)
        return _checked(int(m[3]), month, int(m[2]))
    return Dob(invalid=True)


# --- nationality ---------------------------------------------------------------------------------

# Adjectives pycountry does not know; the rest are found through the country's own name.
DEMONYMS = {
    "british": "GB",
    "english": "GB",
    "scottish": "GB",
    "welsh": "GB",
    "northern irish": "GB",
    "uk": "GB",
    "irish": "IE",
    "vietnamese": "VN",
    "chinese": "CN",
    "sudanese": "SD",
    "south sudanese": "SS",
    "polish": "PL",
    "afghan": "AF",
    "afghani": "AF",
    "iraqi": "IQ",
    "kurdish": "IQ",
    "syrian": "SY",
    "egyptian": "EG",
    "turkish": "TR",
    "czech": "CZ",
    "slovak": "SK",
    "dutch": "NL",
    "french": "FR",
    "german": "DE",
    "spanish": "ES",
    "portuguese": "PT",
    "greek": "GR",
    "swiss": "CH",
    "danish": "DK",
    "swedish": "SE",
    "finnish": "FI",
    "norwegian": "NO",
    "thai": "TH",
    "filipino": "PH",
    "filipina": "PH",
    "pakistani": "PK",
    "bangladeshi": "BD",
    "kosovan": "XK",
    "kosovar": "XK",
    "emirati": "AE",
    "yemeni": "YE",
    "somali": "SO",
    "eritrean": "ER",
    "ethiopian": "ET",
    "ghanaian": "GH",
    "nigerian": "NG",
    "congolese": "CD",
    "ivorian": "CI",
    "senegalese": "SN",
    "lebanese": "LB",
    "kuwaiti": "KW",
    "saudi": "SA",
    "american": "US",
    "russian": "RU",
    "iranian": "IR",
    "persian": "IR",
    "moldovan": "MD",
    "lithuanian": "LT",
    "latvian": "LV",
    "estonian": "EE",
    "hungarian": "HU",
    "belarusian": "BY",
    "uzbek": "UZ",
}
XK = "XK"  # Kosovo: a user-assigned code, used by the EU and in travel documents


@lru_cache(maxsize=10_000)
def parse_nationality(raw: str | None) -> str | None:
    """An ISO 3166 alpha-2 code from a code (GB, GBR), a country name or an adjective; None if unknown."""
    if raw is None:
        return None
    text = " ".join(raw.strip().split())
    if not text:
        return None
    lower = text.lower()
    if lower in DEMONYMS:
        return DEMONYMS[lower]
    if lower in {"xk", "xkx", "kosovo"}:
        return XK
    import pycountry

    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        pass
    # Albanian -> Albania, Romanian -> Romania, Bulgarian -> Bulgaria, Indian -> India, Ukrainian -> Ukraine.
    for suffix, repl in (("ian", "ia"), ("ian", "y"), ("ian", "e"), ("an", "a"), ("ean", "ea"), ("ese", ""), ("i", "")):
        if lower.endswith(suffix):
            try:
                return str(pycountry.countries.lookup(text[: -len(suffix)] + repl).alpha_2)
            except LookupError:
                continue
    return None


# --- the record ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonFeatures:
    """One person record ready to compare. Empty values are None, so 'missing' has one meaning."""

    tokens: tuple[str, ...] | None
    name_key: str | None
    canon: tuple[str, ...] | None
    canon_key: str | None
    squash: str | None
    skel_key: str | None
    pair_keys: tuple[str, ...] | None
    given: str | None
    family: str | None
    dob_year: int | None
    dob_month: int | None
    dob_day: int | None
    dob_block: str | None
    dob_invalid: bool
    nationality: str | None
    identifiers: tuple[str, ...] | None
    selectors: tuple[str, ...] | None

    @property
    def dob(self) -> str | None:
        return Dob(self.dob_year, self.dob_month, self.dob_day).iso

    def row(self) -> dict[str, Any]:
        """The record as the columns the comparisons read (``COLUMNS``)."""
        return {name: getattr(self, name) for name in COLUMNS}


# The columns of a features table, with their DuckDB types.
COLUMN_TYPES: dict[str, str] = {
    "tokens": "VARCHAR[]",
    "name_key": "VARCHAR",
    "canon": "VARCHAR[]",
    "canon_key": "VARCHAR",
    "squash": "VARCHAR",
    "skel_key": "VARCHAR",
    "pair_keys": "VARCHAR[]",
    "given": "VARCHAR",
    "family": "VARCHAR",
    "dob_year": "SMALLINT",
    "dob_month": "TINYINT",
    "dob_day": "TINYINT",
    "dob_block": "VARCHAR",
    "dob_invalid": "BOOLEAN",
    "nationality": "VARCHAR",
    "identifiers": "VARCHAR[]",
    "selectors": "VARCHAR[]",
}
COLUMNS = tuple(COLUMN_TYPES)


def _tuple_or_none(values: Iterable[str] | None) -> tuple[str, ...] | None:
    if not values:
        return None
    out = tuple(sorted({v.strip() for v in values if v and v.strip()}))
    return out or None


def name_features(raw: str | None) -> dict[str, Any]:
    """The name columns of ``PersonFeatures`` for one written name."""
    tokens, comma_at, upper = name_parts(raw or "")
    if not tokens:
        return dict.fromkeys(
            ("tokens", "name_key", "canon", "canon_key", "squash", "skel_key", "pair_keys", "given", "family")
        )
    canon = [canonical(t) for t in tokens if len(t) > 1]
    canon = [c for c in canon if c]
    skels = sorted({skeleton(c) for c in canon})
    pairs = tuple(f"{a}|{b}" for i, a in enumerate(skels) for b in skels[i + 1 :]) or (tuple(skels) if skels else ())
    gf = guess_given_family(tokens, comma_at, upper)
    return {
        "tokens": tuple(tokens),
        "name_key": " ".join(sorted(tokens)),
        "canon": tuple(canon) or None,
        "canon_key": " ".join(sorted(canon)) or None,
        "squash": "".join(canon) or None,
        "skel_key": " ".join(sorted(skeleton(c) for c in canon)) or None,
        "pair_keys": pairs or None,
        "given": (canonical(tokens[gf[0]]) or None) if gf else None,
        "family": (canonical(tokens[gf[1]]) or None) if gf else None,
    }


_NAME_CACHE: dict[str, dict[str, Any]] = {}
_NAME_CACHE_LIMIT = 300_000


def _cached_name_features(raw: str | None) -> dict[str, Any]:
    key = raw or ""
    hit = _NAME_CACHE.get(key)
    if hit is None:
        hit = name_features(key)
        if len(_NAME_CACHE) >= _NAME_CACHE_LIMIT:
            _NAME_CACHE.clear()
        _NAME_CACHE[key] = hit
    return hit


def person_features(
    name: str | None,
    dob: str | None = None,
    nationality: str | None = None,
    identifiers: Iterable[str] | None = None,
    selectors: Iterable[str] | None = None,
) -> PersonFeatures:
    """The features of one raw person record (see the module docstring)."""
    n = _cached_name_features(name)
    d = parse_dob(dob)
    block = None
    if d.day is not None and d.month is not None:
        lo, hi = sorted((d.month, d.day))
        block = f"{d.year}-{lo}-{hi}"
    return PersonFeatures(
        tokens=n["tokens"],
        name_key=n["name_key"],
        canon=n["canon"],
        canon_key=n["canon_key"],
        squash=n["squash"],
        skel_key=n["skel_key"],
        pair_keys=n["pair_keys"],
        given=n["given"],
        family=n["family"],
        dob_year=d.year,
        dob_month=d.month,
        dob_day=d.day,
        dob_block=block,
        dob_invalid=d.invalid,
        nationality=parse_nationality(nationality),
        identifiers=_tuple_or_none(identifiers),
        selectors=_tuple_or_none(selectors),
    )


# --- the batch: the same features for a table of records, in DuckDB -----------------------------


@dataclass(frozen=True, slots=True)
class BuildStats:
    """What ``build_features`` saw: records, records without a usable name, impossible dates of birth."""

    records: int
    empty_names: int
    invalid_dobs: int
    unknown_nationalities: int


def _register(con: Any, name: str, columns: dict[str, list[Any]], types: dict[str, Any]) -> None:
    import pyarrow as pa

    con.register(name, pa.table({k: pa.array(v, type=types[k]) for k, v in columns.items()}))


_PIECES_SQL = """
CREATE OR REPLACE TEMP TABLE _lf_pieces AS
SELECT s.unique_id, p.ppos, p.piece
FROM {source} s,
     unnest(string_split_regex(replace(coalesce(s.name, ''), ',', ' , '), '[ \\t\\n\\r\\f]+'))
         WITH ORDINALITY p(piece, ppos)
WHERE p.piece <> ''
"""
_TOKENS_SQL = """
CREATE OR REPLACE TEMP TABLE _lf_tokens AS
WITH folded AS (
    SELECT p.unique_id, p.ppos, p.piece = ',' AS comma, coalesce(f.folded, p.piece) AS folded
    FROM _lf_pieces p LEFT JOIN _lf_fold f USING (piece)
),
pieces AS (
    SELECT unique_id, ppos, comma,
           length(folded) > 1 AND regexp_matches(folded, '[A-Z]') AND NOT regexp_matches(folded, '[a-z]') AS upper,
           regexp_extract_all(regexp_replace(regexp_replace(lower(folded), '''s\\b', '', 'g'), '[''`]', '', 'g'),
                              '[a-z0-9]+') AS toks
    FROM folded
),
firsts AS (SELECT unique_id, min(ppos) AS first_ppos FROM pieces WHERE len(toks) > 0 GROUP BY unique_id),
commas AS (  -- the first comma with a word before it
    SELECT c.unique_id, min(c.ppos) AS comma_ppos
    FROM pieces c JOIN firsts f USING (unique_id)
    WHERE c.comma AND c.ppos > f.first_ppos
    GROUP BY c.unique_id
)
SELECT p.unique_id, p.ppos, t.tpos, t.tok, p.upper, coalesce(p.ppos > c.comma_ppos, false) AS after_comma
FROM pieces p LEFT JOIN commas c USING (unique_id), unnest(p.toks) WITH ORDINALITY t(tok, tpos)
WHERE NOT p.comma
"""
_NAMES_SQL = """
CREATE OR REPLACE TEMP TABLE _lf_names AS
WITH t AS (
    SELECT t.unique_id, t.ppos, t.tpos, t.tok, t.upper, t.after_comma, w.canon, w.skel, coalesce(w.ea, false) AS ea
    FROM _lf_tokens t LEFT JOIN _lf_words w USING (tok)
),
agg AS (
    SELECT unique_id,
        list(tok ORDER BY ppos, tpos) AS tokens,
        list(canon ORDER BY ppos, tpos) FILTER (length(tok) > 1) AS lc,
        list(upper ORDER BY ppos, tpos) FILTER (length(tok) > 1) AS lu,
        list(after_comma ORDER BY ppos, tpos) FILTER (length(tok) > 1) AS la,
        list(ea ORDER BY ppos, tpos) FILTER (length(tok) > 1) AS le,
        list(canon ORDER BY ppos, tpos) FILTER (length(tok) > 1 AND canon <> '') AS canon,
        list(skel ORDER BY ppos, tpos) FILTER (length(tok) > 1 AND canon <> '') AS skels
    FROM t GROUP BY unique_id
),
idx AS (
    SELECT *, coalesce(len(lc), 0) AS n,
        coalesce(list_bool_or(la) AND NOT list_bool_and(la), false) AS by_comma,
        coalesce(list_bool_or(lu) AND NOT list_bool_and(lu), false) AS by_capitals,
        list_sort(list_distinct(skels)) AS us
    FROM agg
),
gf AS (
    SELECT *,
        CASE WHEN n < 2 THEN NULL
             WHEN by_comma THEN len(list_filter(la, lambda x: NOT x)) + 1
             WHEN by_capitals THEN CASE WHEN list_position(lu, true) = 1 THEN n ELSE 1 END
             WHEN le[1] THEN n
             WHEN le[n] THEN n - 1
             ELSE 1 END AS gi,
        CASE WHEN n < 2 THEN NULL
             WHEN by_comma THEN len(list_filter(la, lambda x: NOT x))
             WHEN by_capitals THEN list_position(lu, true)
             WHEN le[1] THEN 1
             ELSE n END AS fi
    FROM idx
)
SELECT unique_id,
    tokens,
    array_to_string(list_sort(tokens), ' ') AS name_key,
    CASE WHEN len(canon) > 0 THEN canon END AS canon,
    nullif(array_to_string(list_sort(canon), ' '), '') AS canon_key,
    nullif(array_to_string(canon, ''), '') AS squash,
    nullif(array_to_string(list_sort(skels), ' '), '') AS skel_key,
    CASE WHEN len(us) > 1 THEN flatten(list_transform(range(1, len(us) + 1),
             lambda i: list_transform(list_slice(us, i + 1, len(us)), lambda b: us[i] || '|' || b)))
         WHEN len(us) = 1 THEN us END AS pair_keys,
    nullif(lc[gi], '') AS given,
    nullif(lc[fi], '') AS family
FROM gf
"""
_TIDY_LIST = (
    "CASE WHEN len(list_filter({0}, lambda v: trim(v) <> '')) > 0 THEN "
    "list_sort(list_distinct(list_filter(list_transform({0}, lambda v: trim(v)), lambda v: v <> ''))) END"
)
_FEATURES_SQL = """
CREATE OR REPLACE TABLE {target} AS
SELECT s.unique_id,
    n.tokens, n.name_key, n.canon, n.canon_key, n.squash, n.skel_key, n.pair_keys, n.given, n.family,
    d.y AS dob_year, d.m AS dob_month, d.d AS dob_day,
    CASE WHEN d.d IS NOT NULL THEN d.y || '-' || least(d.m, d.d) || '-' || greatest(d.m, d.d) END AS dob_block,
    coalesce(d.bad, false) AS dob_invalid,
    c.code AS nationality,
    {identifiers} AS identifiers,
    {selectors} AS selectors
FROM {source} s
    LEFT JOIN _lf_names n USING (unique_id)
    LEFT JOIN _lf_dob d ON d.dob = s.dob
    LEFT JOIN _lf_nat c ON c.nationality = s.nationality
"""


def build_features(con: Any, source: str, target: str) -> BuildStats:
    """Create table ``target`` (``unique_id`` and ``COLUMNS``) from table or view ``source``.

    ``source`` has ``unique_id``, ``name``, ``dob``, ``nationality`` (strings) and ``identifiers``,
    ``selectors`` (string lists or NULL). The work is SQL over the whole table; Python sees only the
    distinct non-ASCII name pieces, words, dates and nationalities, so a million records take
    seconds. The result equals ``person_features`` record by record (tests/test_features.py).
    """
    import pyarrow as pa

    q = con.execute
    q(_PIECES_SQL.format(source=source))
    # Pieces in another script or with accents: folded by anyascii in Python, once per distinct piece.
    odd = [
        r[0]
        for r in q(
            "SELECT DISTINCT piece FROM _lf_pieces WHERE NOT regexp_matches(piece, '^[\\x01-\\x7f]*$')"
        ).fetchall()
    ]
    _register(
        con,
        "_lf_fold",
        {"piece": odd, "folded": [anyascii(p) for p in odd]},
        {"piece": pa.string(), "folded": pa.string()},
    )
    q(_TOKENS_SQL)
    words = [r[0] for r in q("SELECT DISTINCT tok FROM _lf_tokens WHERE length(tok) > 1").fetchall()]
    bases = []
    for w in words:
        b = VARIANT_OF.get(w, w)
        b = nickname_canonical(b)
        bases.append(VARIANT_OF.get(b, b))
    _register(con, "_lf_base", {"tok": words, "base": bases}, {"tok": pa.string(), "base": pa.string()})
    _register(con, "_lf_ea", {"tok": sorted(EAST_ASIAN_FAMILY)}, {"tok": pa.string()})
    q(f"""CREATE OR REPLACE TEMP TABLE _lf_words AS
        SELECT tok, canon, {skeleton_sql("canon")} AS skel, tok IN (SELECT tok FROM _lf_ea) AS ea
        FROM (SELECT tok, {translit_sql("base")} AS canon FROM _lf_base)""")  # noqa: S608
    q(_NAMES_SQL)
    dobs = [r[0] for r in q(f"SELECT DISTINCT dob FROM {source} WHERE dob IS NOT NULL").fetchall()]  # noqa: S608
    parsed = [parse_dob(d) for d in dobs]
    _register(
        con,
        "_lf_dob",
        {
            "dob": dobs,
            "y": [d.year for d in parsed],
            "m": [d.month for d in parsed],
            "d": [d.day for d in parsed],
            "bad": [d.invalid for d in parsed],
        },
        {"dob": pa.string(), "y": pa.int16(), "m": pa.int8(), "d": pa.int8(), "bad": pa.bool_()},
    )
    nats = [r[0] for r in q(f"SELECT DISTINCT nationality FROM {source} WHERE nationality IS NOT NULL").fetchall()]  # noqa: S608
    codes = [parse_nationality(n) for n in nats]
    _register(con, "_lf_nat", {"nationality": nats, "code": codes}, {"nationality": pa.string(), "code": pa.string()})
    q(
        _FEATURES_SQL.format(
            target=target,
            source=source,
            identifiers=_TIDY_LIST.format("s.identifiers"),
            selectors=_TIDY_LIST.format("s.selectors"),
        )
    )
    for t in ("_lf_pieces", "_lf_tokens", "_lf_words", "_lf_names"):
        q(f"DROP TABLE IF EXISTS {t}")
    for v in ("_lf_fold", "_lf_base", "_lf_ea", "_lf_dob", "_lf_nat"):
        con.unregister(v)
    row = q(
        f"""SELECT count(*), count(*) FILTER (canon IS NULL), count(*) FILTER (dob_invalid),
                   count(*) FILTER (nationality IS NULL AND unique_id IN (
                       SELECT unique_id FROM {source} WHERE trim(coalesce(nationality, '')) <> ''))
            FROM {target}"""  # noqa: S608
    ).fetchall()[0]
    return BuildStats(int(row[0]), int(row[1]), int(row[2]), int(row[3]))
