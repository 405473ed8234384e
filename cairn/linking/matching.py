"""Entity resolution inside Cairn: person records read from the database, scored by the trained model.

A new person record is matched in real time: PostgreSQL's name index finds the
candidates (a shared pair of phonetic codes, a shared selector), and the same
trained model as the batch scores each pair (``cairn.linking.model``). The
batch re-resolution (``cairn.linking.runs``) feeds every record to Splink.

This is the system's own work, not a read for a user: it sees every record, and
what it finds is shown to people only through ``cairn.access.linking``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from cairn.entities.choices import EntityKind, Property
from cairn.entities.models import Statement
from cairn.search.models import PersonName

# Proposals below this probability are not worth an analyst's time.
PROPOSE_AT = 0.5
MAX_CANDIDATES = 200


@dataclass(frozen=True)
class PersonRecord:
    entity_id: int
    report_id: int
    organisation_id: int
    name: str
    birth_date: str
    nationality: str
    selectors: tuple[str, ...]

    def for_model(self) -> Any:
        from cairn.linking.model import PersonRecord as ModelRecord

        return ModelRecord(
            str(self.entity_id), self.name, self.birth_date or None, self.nationality or None, (), self.selectors
        )


@lru_cache(maxsize=1)
def trained_model() -> Any:
    from cairn.linking.model import load_model

    return load_model()


def _selectors_by_report(report_ids: list[int]) -> dict[int, tuple[str, ...]]:
    rows = (
        Statement.unscoped_objects.filter(report_id__in=report_ids, prop=Property.SUBJECT, entity__key__isnull=False)
        .exclude(entity__kind=EntityKind.PERSON)
        .exclude(entity__noise__isnull=False)
        .values_list("report_id", "entity__kind", "entity__key")
    )
    found: dict[int, set[str]] = defaultdict(set)
    for report_id, kind, key in rows:
        found[report_id].add(f"{kind}:{key}")
    return {r: tuple(sorted(v)) for r, v in found.items()}


def _records(names: list[dict[str, Any]]) -> list[PersonRecord]:
    selectors = _selectors_by_report(list({n["report_id"] for n in names}))
    return [
        PersonRecord(
            n["entity_id"],
            n["report_id"],
            n["report__organisation_id"],
            n["name"],
            n["birth_date"],
            n["nationality"],
            selectors.get(n["report_id"], ()),
        )
        for n in names
    ]


_FIELDS = ("entity_id", "report_id", "report__organisation_id", "name", "birth_date", "nationality")


def _names() -> QuerySet[PersonName]:
    # A sanitised version names the original's person (the same entity) with fewer facts: the
    # original's row is that person's record, so the entity is scored once, from one report.
    return PersonName.unscoped_objects.filter(report__sanitised_from__isnull=True)


def records_for_reports(report_ids: list[int]) -> list[PersonRecord]:
    return _records(list(_names().filter(report_id__in=report_ids).values(*_FIELDS)))


def all_records(chunk: int = 20_000) -> Iterator[list[PersonRecord]]:
    """Every person record, in chunks (a re-resolution run reads them all)."""
    last = 0
    while True:
        names = list(
            _names().filter(statement_id__gt=last).order_by("statement_id").values("statement_id", *_FIELDS)[:chunk]
        )
        if not names:
            return
        last = names[-1]["statement_id"]
        yield _records(names)


def candidates_for(record: PersonRecord) -> list[PersonRecord]:
    """Records that could be the same person: a shared pair of phonetic codes or a shared selector."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT c.entity_id FROM search_personname p
            -- One branch per kind of key, each a lookup in its own GIN index for this record's codes:
            -- joined with an OR, PostgreSQL compared the record with every other (1M rows: 400 ms).
            CROSS JOIN LATERAL (
                SELECT c.entity_id, c.birth_year FROM search_personname c
                 WHERE cardinality(p.phonetic_pairs) > 0 AND c.phonetic_pairs && p.phonetic_pairs
                UNION ALL
                SELECT c.entity_id, c.birth_year FROM search_personname c
                 WHERE cardinality(p.phonetic_pairs) = 0 AND c.phonetic && p.phonetic
            ) c
            WHERE p.entity_id = %s AND c.entity_id <> p.entity_id
              AND (p.birth_year IS NULL OR c.birth_year IS NULL OR abs(c.birth_year - p.birth_year) <= 1)
            LIMIT %s
            """,
            [record.entity_id, MAX_CANDIDATES],
        )
        ids = {row[0] for row in cursor.fetchall()}
        if record.selectors and len(ids) < MAX_CANDIDATES:
            cursor.execute(
                """
                SELECT DISTINCT pn.entity_id FROM entities_statement mine
                JOIN entities_statement other ON other.entity_id = mine.entity_id AND other.report_id <> mine.report_id
                 AND other.prop = 'subject'
                JOIN search_personname pn ON pn.report_id = other.report_id
                JOIN entities_entity e ON e.id = mine.entity_id AND e.key IS NOT NULL AND e.kind <> 'person'
                WHERE mine.report_id = %s AND mine.prop = 'subject'
                  AND NOT EXISTS (SELECT 1 FROM linking_noiseselector n WHERE n.entity_id = e.id)
                LIMIT %s
                """,
                [record.report_id, MAX_CANDIDATES - len(ids)],
            )
            ids |= {row[0] for row in cursor.fetchall()}
    ids.discard(record.entity_id)
    if not ids:
        return []
    return _records(list(_names().filter(entity_id__in=ids).values(*_FIELDS)))


def features_of(record: PersonRecord) -> Any:
    from cairn.linking.features import person_features

    return person_features(
        name=record.name, dob=record.birth_date, nationality=record.nationality, selectors=list(record.selectors)
    )


def explanation(score: Any) -> list[dict[str, object]]:
    return [
        {"field": f.field, "level": f.level, "weight": round(f.weight, 2), "left": f.left, "right": f.right}
        for f in score.fields
    ]


def match_record(record: PersonRecord) -> list[tuple[int, int, float, float, list[dict[str, object]]]]:
    """Score one record against its candidates with the trained model; keep the likely ones."""
    model = trained_model()
    mine = features_of(record)
    found = []
    for other in candidates_for(record):
        if other.report_id == record.report_id:
            continue  # two people named in one report are two people
        score = model.score(mine, features_of(other))
        if score.probability >= PROPOSE_AT:
            found.append((record.entity_id, other.entity_id, score.probability, score.match_weight, explanation(score)))
    return found


def record_count() -> int:
    return _names().count()
