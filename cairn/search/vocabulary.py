"""'Did you mean': the words reports are written in, and a correction offered only when it finds something.

The vocabulary (``SearchWord``) holds every word of 3 to 30 letters of every report, whoever may
read it. It is never shown as it is: a correction is offered only after the corrected search has
run under the searcher's access rule and found reports they may read, so it can only name words
those reports contain. A word that only confidential or restricted reports use is never offered.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from django.db import connection, transaction
from rapidfuzz.distance import DamerauLevenshtein
from spellchecker import SpellChecker

from cairn.search.models import SearchWord

# The words of some reports as the vocabulary keeps them: 'simple' (no stemming, so a correction
# is a word as written), a-z only, 3 to 30 letters.
_REPORT_WORDS = (
    "SELECT DISTINCT w FROM {reports} r, unnest(tsvector_to_array(to_tsvector('simple', r.text))) w "
    "WHERE w ~ '^[a-z]{{3,30}}$' {where}"
)
# A query is corrected only when it is a few plain words; websearch syntax ("quotes", -not, or) is
# left as typed.
_PLAIN = re.compile(r"[A-Za-z]+(?: [A-Za-z]+){0,5}")
_CLOSE = 3  # spellings tried for each unknown word
_TRIES = 4  # corrected searches run at most
# Trigrams find the neighbours, edits rank them: two letters swapped ('cufrew') share few trigrams
# with the word meant ('curfew', similarity 0.27) and more with a fragment ('cuf', 0.38), so the
# net is cast wider than person search's 0.3 and the closest by Damerau-Levenshtein come first.
_NET = 0.2
_POOL = 40
_MAX_EDITS = 2
_EDITS = SpellChecker(language=None, distance=1)
_EDITS.word_frequency.load_words(["abcdefghijklmnopqrstuvwxyz"])


def _sql(where: str) -> str:
    from cairn.intelligence.models import IntelligenceReport

    words = _REPORT_WORDS.format(reports=f'"{IntelligenceReport._meta.db_table}"', where=where)
    # Counts come only from a rebuild: bumping them as reports arrive would rewrite the rows of the
    # common words for every report.
    table = SearchWord._meta.db_table
    return f'INSERT INTO "{table}" (word, documents) SELECT w, 1 FROM ({words}) n ON CONFLICT DO NOTHING'  # noqa: S608


# Every report's words with how many reports use each ('simple': as written, unstemmed).
REBUILD_SQL = (
    'INSERT INTO "search_searchword" (word, documents) SELECT word, ndoc FROM '
    "ts_stat('SELECT to_tsvector(''simple'', text) FROM intelligence_intelligencereport') "
    "WHERE word ~ '^[a-z]{3,30}$'"
)


def add_report_words(report_ids: list[int]) -> None:
    """Add the words of these reports that the vocabulary does not hold yet."""
    if report_ids:
        with connection.cursor() as cursor:
            cursor.execute(_sql("AND r.id = ANY(%s)"), [list(report_ids)])


def rebuild() -> int:
    """Every report's words, replacing the vocabulary in one transaction; returns how many words."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Reads every report's text: as long as that takes, not a page's timeout.
        cursor.execute("SET LOCAL statement_timeout = 0")
        cursor.execute(f'DELETE FROM "{SearchWord._meta.db_table}"')  # noqa: S608
        cursor.execute(REBUILD_SQL)
        return SearchWord.objects.count()


def _one_edit(word: str) -> set[str]:
    """Every spelling one letter deleted, swapped with the next, replaced or inserted away (pyspellchecker).

    Its own dictionary stays empty (the vocabulary is in PostgreSQL); it is given the letters a-z only,
    which it takes the edits' letters from.
    """
    edits: set[str] = _EDITS.edit_distance_1(word)
    return edits - {word}


def corrections(text: str, readable: tuple[str, list[Any]] | None = None) -> list[str]:
    """Whole queries to try, best first: each word no readable report uses replaced by close spellings of it.

    ``readable`` is an SQL test of a word ``c.word`` ("some report the searcher may read, with their
    filters, uses it"; ``cairn.search.selectors`` builds it from the access policy) and its
    parameters. Which of the query's words are corrected then depends only on reports the searcher
    may read: a hidden report that writes the slip as typed does not stop its correction. Without it
    (a tool's view), a word the vocabulary holds is left as typed.

    Only candidates: ``cairn.search.selectors.search`` offers one only if it finds reports the
    searcher may read.
    """
    if not _PLAIN.fullmatch(text.strip()):
        return []
    words = text.lower().split()
    options: list[list[tuple[str, float]]] = []
    table = SearchWord._meta.db_table
    with connection.cursor() as cursor:
        # The known words, and the wider trigram net for this transaction (set_config(..., true) is
        # SET LOCAL; the search's last statements, which follow, use no trigrams), in one round trip.
        cursor.execute(
            f'SELECT ARRAY(SELECT word FROM "{table}" WHERE word = ANY(%s)), '  # noqa: S608
            "ARRAY(SELECT w FROM unnest(%s::text[]) AS w WHERE numnode(plainto_tsquery('english', w)) = 0), "
            "set_config('pg_trgm.similarity_threshold', %s, true)",
            [words, words, str(_NET)],
        )
        row = cursor.fetchone()
        # A stop word is in no report's search terms: it is read as typed whoever wrote it, so whether
        # the vocabulary holds it (a hidden report may be the only one to) changes nothing.
        stop_words = set(row[1])  # type: ignore[index]
        known = set(row[0]) - stop_words  # type: ignore[index]
        if known and readable is not None:
            # Of those, the ones a report the searcher may read uses. Only known words need asking:
            # an unknown word is in no report.
            test, params = readable
            cursor.execute(
                f"SELECT ARRAY(SELECT c.word FROM unnest(%s::text[]) AS c(word) WHERE {test})",  # noqa: S608
                [sorted(known), *params],
            )
            known = set(cursor.fetchone()[0])  # type: ignore[index]
        known |= stop_words
        for word in words:
            if word in known or len(word) < 3:
                options.append([(word, 1.0)])
                continue
            # The trigram neighbours, and every spelling one edit away looked up as it is: a slip in a
            # short word can leave too few trigrams ('htoel' shares two of ten with 'hotel').
            cursor.execute(
                f'(SELECT word, similarity(word, %s) AS s, documents FROM "{table}" '  # noqa: S608
                "WHERE word %% %s ORDER BY s DESC, word LIMIT %s) "
                f'UNION SELECT word, 0.0, documents FROM "{table}" WHERE word = ANY(%s)',
                [word, word, _POOL, sorted(_one_edit(word))],
            )
            pool = {w: (w, float(s), n) for w, s, n in sorted(cursor.fetchall(), key=lambda r: r[1])}.values()
            # Fewest edits first; then the spelling most reports use; then the most trigrams shared.
            ranked = sorted((DamerauLevenshtein.distance(word, w), -n, -s, w) for w, s, n in pool if w != word)
            close = [(w, 1.0 - e / max(len(word), 1)) for e, _, _, w in ranked if e <= _MAX_EDITS][:_CLOSE]
            if not close:
                return []
            options.append(close)
    if all(len(o) == 1 and o[0][1] == 1.0 for o in options):
        return []  # every word is read as typed: nothing to correct
    combos = sorted(itertools.product(*options), key=lambda c: -sum(s for _, s in c))
    return [" ".join(w for w, _ in combo) for combo in combos[:_TRIES]]


def words_arrived(report_ids: list[int]) -> None:
    """After reports commit: their words join the vocabulary in the background, off the submitter's path."""
    from cairn.search.tasks import add_report_words as task

    if report_ids:
        task.enqueue(list(report_ids))
