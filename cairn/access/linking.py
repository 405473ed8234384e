"""Who sees which links: correlations, match proposals and resolved people.

Built on the one rule in ``cairn.access.intelligence``: a link is no wider
than the reports behind it. A proposal is shown only to an analyst who may
read both records in full (so a user who can see neither side — or only one —
never learns the proposal exists); a correlation shows the other report in
full, as a flag, or not at all, exactly as the report itself would.

A record is read "in full" when every report stating something about it may be
read. A sanitised version reuses the original's person, so reading the version
alone is not enough: the model scored the original's facts, and a proposal's
explanation would show them.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from cairn.access import intelligence as rule
from cairn.access.capabilities import Capability
from cairn.access.policy import can
from cairn.entities.choices import EntityKind
from cairn.entities.models import Entity, Statement
from cairn.linking.choices import Decision
from cairn.linking.models import Judgement, MatchProposal, NoiseSelector


def may_link(user: Any) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and can(user, Capability.ANALYSE_NETWORKS)
        and can(user, Capability.READ_INTELLIGENCE)
    )


def _read_in_full(user: Any, column: str) -> Q:
    """The record in ``column`` has a statement the user may read, and none in a report they may not."""
    about = Statement.unscoped_objects.filter(entity_id=OuterRef(column))
    return Q(Exists(about.filter(rule.report_q(user, "report__")))) & ~Q(
        Exists(about.exclude(rule.report_q(user, "report__")))
    )


def proposals_visible_to(user: Any) -> QuerySet[MatchProposal]:
    """Proposals whose two records the analyst may both read in full."""
    if not may_link(user):
        return MatchProposal.unscoped_objects.none()
    return MatchProposal.unscoped_objects.filter(_read_in_full(user, "left_id"), _read_in_full(user, "right_id"))


def judgements_visible_to(user: Any) -> QuerySet[Judgement]:
    return Judgement.objects.filter(proposal__in=proposals_visible_to(user).values("pk"))


def readable_entity_ids(user: Any, entity_ids: set[int] | list[int]) -> set[int]:
    """Which of these entities the user may read at least one statement about, in full."""
    if not entity_ids:
        return set()
    return set(
        rule.statements_visible_to(user)
        .filter(entity_id__in=list(entity_ids))
        .values_list("entity_id", flat=True)
        .distinct()
    )


def fully_readable_entity_ids(user: Any, entity_ids: set[int] | list[int]) -> set[int]:
    """Which of these entities the user may read in full: every report stating something about them."""
    if not entity_ids:
        return set()
    found = Entity.unscoped_objects.filter(_read_in_full(user, "pk"), pk__in=list(entity_ids))
    return set(found.values_list("pk", flat=True))


def person_known_to(
    user: Any, entity_id: int, pairs: set[tuple[int, int]] | list[tuple[int, int]]
) -> tuple[set[int], set[int], list[rule.Flag]]:
    """A merged person as this user may know it: (its records, those readable, flags for the rest).

    ``pairs`` are the merged person's standing "same" pairs. The person is joined through records
    the user reads in full (every report about them, as a proposal needs): a judgement was made on
    what both records' reports say, so two records joined only through one the user may not read
    in full (a flag, a sanitised version of a confidential original, or nothing at all) are not one
    person to them, since only intelligence they may not read says so. A record known only by a
    flag is shown as a flag where it joins.
    """
    cluster = {entity_id} | {i for p in pairs for i in p}
    readable = readable_entity_ids(user, cluster)
    whole = fully_readable_entity_ids(user, readable)
    flags = rule.flags_for(user, entity_ids=sorted(cluster - readable))
    flagged = {f.entity_id for f in flags if f.entity_id is not None}
    person = {entity_id}
    frontier = [entity_id] if entity_id in whole else []
    while frontier:
        here = frontier.pop()
        for a, b in pairs:
            other = b if a == here else a if b == here else None
            if other is None or other in person:
                continue
            if other in whole:
                person.add(other)
                frontier.append(other)
            elif other in flagged:
                person.add(other)  # a flag where it joins: never a way through
    return person, readable & person, [f for f in flags if f.entity_id in person]


def merged_records_known_to(user: Any, entity_ids: set[int] | list[int]) -> dict[int, frozenset[int]]:
    """For each of these records that is one merged person with others, as the user may know it: its records.

    The same joining as ``person_known_to``, for many records at once (a search's results): a
    person is joined through records the user reads in full, so a record not read in full stands
    alone, and the records returned are all readable in full. Records no standing "same" judgement
    joins to another the user may know are left out. Walks outwards from the records one step a
    query, and only through records read in full (two more queries a step say which), so how long
    it takes says nothing of merges beyond what the user may know.
    """
    table = MatchProposal._meta.db_table
    sql = (
        f'SELECT left_id, right_id FROM "{table}" WHERE decision = %s '  # noqa: S608
        "AND (left_id = ANY(%s::bigint[]) OR right_id = ANY(%s::bigint[]))"
    )
    joined: dict[int, set[int]] = {}
    whole: set[int] = set()
    checked: set[int] = set()  # records whose reading in full is known
    seen, frontier = set(entity_ids), set(entity_ids)
    while frontier:
        # The ids as one array literal: a search asks about up to 300 records, nearly always none merged,
        # and psycopg adapting them one by one cost more than the lookup.
        ids = "{" + ",".join(map(str, frontier)) + "}"
        with connection.cursor() as cursor:
            cursor.execute(sql, [Decision.SAME.value, ids, ids])
            found = set(cursor.fetchall())
        if not found:
            break
        ends = {i for pair in found for i in pair}
        whole |= fully_readable_entity_ids(user, readable_entity_ids(user, ends - checked))
        checked |= ends
        for a, b in found:
            if a in whole and b in whole:
                joined.setdefault(a, set()).add(b)
                joined.setdefault(b, set()).add(a)
        frontier = (ends & whole) - seen
        seen |= frontier
    people: dict[int, frozenset[int]] = {}
    for start in joined:
        if start in people:
            continue
        person, stack = {start}, [start]
        while stack:
            for other in joined[stack.pop()] - person:
                person.add(other)
                stack.append(other)
        for record in person:
            people[record] = frozenset(person)
    return {record: people[record] for record in entity_ids if record in people}


def noise_marks_visible_to(user: Any) -> QuerySet[NoiseSelector]:
    """Noise marks this user may see (and so clear): their organisation's, or another's on a selector
    they may see in a report of the marking organisation.

    A mark says its organisation holds the selector: on one the user sees only in their own
    reports (or another's they may read), it would tell them of a holding they may not know of.
    """
    through_marker = rule.statements_visible_to(user).filter(
        entity_id=OuterRef("entity_id"), report__organisation_id=OuterRef("marked_by__organisation_id")
    )
    return NoiseSelector.objects.filter(entity__in=rule.entities_visible_to(user).values("pk")).filter(
        Q(marked_by__organisation_id=user.organisation_id) | Exists(through_marker)
    )


def statements_about(user: Any, entity_ids: set[int] | list[int]) -> QuerySet[Statement]:
    """Visible statements about any of these entities (a resolved person's facts)."""
    return rule.statements_visible_to(user).filter(entity_id__in=list(entity_ids))


def report_selector_ids(report: Any) -> list[int]:
    """The selector entities a report names (the caller has already been allowed to read the report)."""
    return list(
        Statement.unscoped_objects.filter(report=report, entity__key__isnull=False)
        .exclude(entity__kind=EntityKind.PERSON)
        .values_list("entity_id", flat=True)
        .order_by()  # the statements' default ordering would make DISTINCT keep one row per statement
        .distinct()
    )


def entities_by_id(entity_ids: list[int]) -> dict[int, Entity]:
    """Entity rows (kind and key only: no facts) for ids already reached through the rule."""
    return {e.pk: e for e in Entity.unscoped_objects.filter(pk__in=entity_ids)}


def counterpart_statements(user: Any, entity_ids: list[int], *, exclude_report_id: int) -> QuerySet[Statement]:
    """Statements of other reports about these selectors, annotated access='full'|'flag' (correlation)."""
    return rule.rows_with_access(user, Statement).filter(entity_id__in=entity_ids).exclude(report_id=exclude_report_id)
