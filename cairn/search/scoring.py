"""Scoring a candidate name against a query, with the reasons, using rapidfuzz."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein, JaroWinkler


@dataclass
class NameScore:
    score: float
    why: list[str] = field(default_factory=list)


# A word one edit away from the candidate's counts as nearly as much as a sound-alike.
SLIP_CREDIT = 0.85
SLIP_MIN_LENGTH = 4  # shorter words one edit apart are different names ('ana' / 'ava')
# ... unless the edit is one a typist makes: two letters swapped ('Nah' / 'Anh') or a key beside the
# right one ('Tqo' / 'Tao'). It counts for less: 'Lam' and 'Lan' may be two people.
TYPING_SLIP_CREDIT = 0.8
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")  # UK and US keyboards
_KEY_AT = {key: (row, col) for row, keys in enumerate(_KEYBOARD_ROWS) for col, key in enumerate(keys)}


# Spellings of one sound that transliteration tables disagree on (Ардж- as 'ardzh' or 'arj',
# Наrayanan / Naraianan, Mikhail / Mihail), folded to one before words are compared again.
_FOLDS = (("dzh", "j"), ("dj", "j"), ("zh", "j"), ("kh", "h"), ("ph", "f"), ("th", "t"), ("ck", "k"),
          ("w", "v"), ("y", "i"), ("ou", "u"), ("q", "k"))  # fmt: skip
FOLD_CREDIT = 0.88
FOLD_SLIP_CREDIT = 0.8


@lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    for spelling, sound in _FOLDS:
        word = word.replace(spelling, sound)
    # A doubled letter is one letter ('Elliott' / 'Eliott').
    return "".join(ch for i, ch in enumerate(word) if i == 0 or ch != word[i - 1])


def _typing_slip(q: str, c: str) -> str:
    """How ``q`` was mistyped for ``c`` of the same length, if by a typist's slip; else ''."""
    if len(q) != len(c):
        return ""
    diff = [i for i, (a, b) in enumerate(zip(q, c, strict=True)) if a != b]
    if len(diff) == 2 and diff[1] == diff[0] + 1 and q[diff[0]] == c[diff[1]] and q[diff[1]] == c[diff[0]]:
        return "two letters swapped"
    if len(diff) == 1:
        a, b = _KEY_AT.get(q[diff[0]]), _KEY_AT.get(c[diff[0]])
        if a and b and abs(a[0] - b[0]) <= 1 and abs(a[1] - b[1]) <= 1:
            return "a neighbouring key"
    return ""


def _sound_comparable(q: str, c: str) -> bool:
    """Whether a shared sound code may make ``q`` and ``c`` one name.

    Double Metaphone codes a word's first sounds only, so 'el' codes as 'olaiya' does and 'zi' as
    'xiaa': a two-letter word sounds like words of up to three letters ('Li' / 'Lee'), a longer word
    like words up to twice its length ('Mohd' / 'Mohammed').
    """
    short, long = sorted((len(q), len(c)))
    return long <= 3 if short <= 2 else long <= 2 * short


def _joined(words: list[str], other: list[str]) -> list[str]:
    """``words`` with two neighbours written as one where ``other`` writes them as one word.

    'El Sadig' / 'Elsadig', 'Al Tin' / 'Altin', 'Yu Zhi Xiao' / 'Zhixiao': one record splits a
    name that another writes whole.
    """
    targets = set(other)
    out: list[str] = []
    i = 0
    while i < len(words):
        if i + 1 < len(words) and words[i] not in targets and words[i + 1] not in targets:
            # Only when the two make up the other word exactly: short words run together and then
            # forgiven a slip would match too much ('Al Tin' is not 'Altan').
            pair = words[i] + words[i + 1]
            if pair in targets:
                out.append(pair)
                i += 2
                continue
        out.append(words[i])
        i += 1
    return out


def _token_match(q: str, candidates: list[str], q_codes: set[str], c_codes: dict[str, set[str]]) -> tuple[float, str]:
    best, reason = 0.0, ""
    for c in candidates:
        if q == c:
            return 1.0, f"'{q}' exact"
        if len(q) == 1 or len(c) == 1:
            if q[0] == c[0] and best < 0.7:
                best, reason = 0.7, f"initial {q[0].upper()}"
            continue
        jw = JaroWinkler.similarity(q, c)
        if jw >= 0.88 and jw > best:
            best, reason = jw, f"'{q}' ~ '{c}' (spelling)"
        # One slip of the keyboard or the pen (a letter dropped, added, changed or two swapped) early in a
        # word costs Jaro-Winkler a lot ('mhoamed'); it is still the same name.
        if (
            best < SLIP_CREDIT
            and min(len(q), len(c)) >= SLIP_MIN_LENGTH
            and DamerauLevenshtein.distance(q, c, score_cutoff=1) <= 1
        ):
            best, reason = SLIP_CREDIT, f"'{q}' ~ '{c}' (one letter out)"
        if best < TYPING_SLIP_CREDIT and len(q) == len(c) == SLIP_MIN_LENGTH - 1 and (how := _typing_slip(q, c)):
            best, reason = TYPING_SLIP_CREDIT, f"'{q}' ~ '{c}' ({how})"
        if best < 0.85 and _sound_comparable(q, c) and q_codes & c_codes.get(c, set()):
            best, reason = 0.85, f"'{q}' sounds like '{c}'"
        if best < FOLD_CREDIT and min(len(q), len(c)) >= 3 and _fold(q) == _fold(c):
            best, reason = FOLD_CREDIT, f"'{q}' ~ '{c}' (transliteration)"
        # A slip in a name written by another transliteration ('Stephen' / 'Sgefen': 'stefen' once
        # folded) is two or three edits apart as written, one apart once both are folded.
        if (
            best < FOLD_SLIP_CREDIT
            and min(len(q), len(c)) >= SLIP_MIN_LENGTH
            and min(len(fq := _fold(q)), len(fc := _fold(c))) >= SLIP_MIN_LENGTH
            and DamerauLevenshtein.distance(fq, fc, score_cutoff=1) <= 1
        ):
            best, reason = FOLD_SLIP_CREDIT, f"'{q}' ~ '{c}' (transliteration, one letter out)"
    return best, reason


def score_name(
    query_tokens: list[str],
    candidate_tokens: list[str],
    query_codes: dict[str, set[str]],
    candidate_codes: dict[str, set[str]],
) -> NameScore:
    """How well a candidate's name covers the query's words, whatever their order."""
    if not query_tokens or not candidate_tokens:
        return NameScore(0.0)
    query_tokens = _joined(query_tokens, candidate_tokens)
    candidate_tokens = _joined(candidate_tokens, query_tokens)
    parts = [_token_match(q, candidate_tokens, query_codes.get(q, set()), candidate_codes) for q in query_tokens]
    coverage = sum(p for p, _ in parts) / len(query_tokens)
    # Names the query does not mention (a middle name) cost a little; the order costs nothing.
    extra = max(0, len(candidate_tokens) - len(query_tokens))
    whole = fuzz.token_sort_ratio(" ".join(query_tokens), " ".join(candidate_tokens)) / 100
    score = 0.8 * coverage + 0.2 * whole - 0.03 * extra
    return NameScore(max(0.0, min(1.0, score)), [r for _, r in parts if r])


def date_adjustment(query: str, candidate: str) -> tuple[float, str]:
    """Agreement of partial dates: 'YYYY', 'YYYY-MM', 'YYYY-MM-DD'; a swapped day and month half counts."""
    if not query or not candidate:
        return 0.0, ""
    qy, cy = query[:4], candidate[:4]
    if qy != cy:
        if qy.isdigit() and cy.isdigit() and abs(int(qy) - int(cy)) == 1:
            return -0.05, f"born {candidate} (a year out)"
        return -0.3, f"born {candidate} (does not match)"
    if len(query) == 10 and len(candidate) == 10:
        if query == candidate:
            return 0.15, f"born {candidate} (same day)"
        if query[5:7] == candidate[8:10] and query[8:10] == candidate[5:7]:
            return 0.08, f"born {candidate} (day and month swapped)"
        return 0.02, f"born {candidate[:4]} (same year, another day)"
    return 0.08, f"born {candidate} (same year)"
