"""Keep the person-name index in step with the statements that name people."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from cairn.entities.choices import EntityKind, Property
from cairn.entities.models import Statement
from cairn.entities.normalise import name_tokens
from cairn.search.models import PersonName


def index_person_names(statements: Iterable[Statement]) -> int:
    """Index the NAME statements about people among ``statements`` (already saved).

    Dates of birth and nationality come from the same report's statements about
    the same entity, so each index row carries only what its own report says.
    """
    statements = list(statements)
    extras: dict[tuple[int, int], dict[str, str]] = defaultdict(dict)
    for st in statements:
        if st.prop in (Property.DATE_OF_BIRTH, Property.NATIONALITY):
            extras[(st.report_id, st.entity_id)][st.prop] = st.value_normalised
    rows = []
    for st in statements:
        if st.prop != Property.NAME or st.entity.kind != EntityKind.PERSON:
            continue
        tokens = name_tokens(st.value)[:12]
        if not tokens:
            continue
        extra = extras.get((st.report_id, st.entity_id), {})
        dob = extra.get(Property.DATE_OF_BIRTH, "")
        rows.append(
            PersonName(
                statement_id=st.pk,
                entity_id=st.entity_id,
                report_id=st.report_id,
                name=st.value[:500],
                name_key=" ".join(sorted(tokens))[:500],
                tokens=tokens,
                birth_date=dob,
                birth_year=int(dob[:4]) if dob[:4].isdigit() else None,
                nationality=extra.get(Property.NATIONALITY, ""),
            )
        )
    PersonName.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
