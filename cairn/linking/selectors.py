"""Reading links for one viewer: a report's correlations, the review queue, a resolved person."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, QuerySet

from cairn.access import intelligence as rule
from cairn.access import linking as access
from cairn.access.flags import flag_token
from cairn.accounts.models import User
from cairn.entities.choices import EntityKind, Property
from cairn.entities.models import Entity
from cairn.intelligence.models import IntelligenceReport
from cairn.linking.choices import Decision
from cairn.linking.models import MatchProposal, NoiseSelector, ResolutionRun

# A correlation lists at most this many counterpart reports per selector; more means "mark it as noise?".
MAX_COUNTERPARTS = 50


@dataclass
class Counterpart:
    report_id: int | None  # None for a flag
    reference: str  # empty for a flag
    flag: str  # the flag's token (cairn.access.flags); empty for a report read in full
    organisation: str
    contact_point: str
    access: str  # "full" or "flag"
    occurred_on: Any


@dataclass
class Correlation:
    entity: Entity
    value: str
    noise: bool
    counterparts: list[Counterpart] = field(default_factory=list)
    more: int = 0


def selector_entity_ids(report: IntelligenceReport) -> list[int]:
    return access.report_selector_ids(report)


def _first_flags(actor: User, entity_id: int, flagged: list[tuple[int, str, str, Any]], room: int) -> list[Counterpart]:
    """The first ``room`` flags of a selector, newest day of events first, then by token.

    Tokens are made only for the flags shown and for those tied with the last of them on its day (a
    hot selector can have thousands, and a token costs a few microseconds).
    """
    if room <= 0 or not flagged:
        return []

    def day(f: tuple[int, str, str, Any]) -> int:
        return f[3].toordinal() if f[3] else 0

    flagged = sorted(flagged, key=day, reverse=True)
    if len(flagged) > room:
        last = day(flagged[room - 1])
        before = [f for f in flagged if day(f) > last]
        tied = [f for f in flagged if day(f) == last]
        flagged = before + tied
    made = [
        Counterpart(None, "", flag_token(actor.pk, r, entity_id), org, contact, "flag", occurred)
        for r, org, contact, occurred in flagged
    ]
    made.sort(key=lambda c: (-(c.occurred_on.toordinal() if c.occurred_on else 0), c.flag))
    return made[:room]


def report_correlations(*, actor: User, report: IntelligenceReport) -> list[Correlation]:
    """Other reports naming the same selectors as this one (which the caller may read), as far as the rule allows."""
    ids = selector_entity_ids(report)
    if not ids:
        return []
    entities = access.entities_by_id(ids)
    noise = set(NoiseSelector.objects.filter(entity_id__in=ids).values_list("entity_id", flat=True))
    rows = (  # "access" is annotated by the rule (full or flag)
        access.counterpart_statements(actor, ids, exclude_report_id=report.pk)
        .filter(prop=Property.SUBJECT)
        .values_list(  # type: ignore[misc]
            "entity_id",
            "report_id",
            "access",
            "report__reference",
            "report__organisation__name",
            "report__organisation__contact_point",
            "report__occurred_on",
        )
        .order_by("entity_id", "-report__seq")
    )
    # Reports read in full newest first (in the order they were numbered, which the reader may know
    # of these); then the flags, by the day of events and their token. Placed among the readable ones
    # in that order, a flag's neighbours would bound when its report was filed, and the same bounds on
    # two selectors would pair their flags.
    full: dict[int, list[Counterpart]] = defaultdict(list)
    flagged: dict[int, list[tuple[int, str, str, Any]]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for entity_id, report_id, level, reference, org, contact, occurred in rows.iterator():
        if (entity_id, report_id) in seen:
            continue
        seen.add((entity_id, report_id))
        if level == "full":
            full[entity_id].append(Counterpart(report_id, reference, "", org, contact, level, occurred))
        else:
            flagged[entity_id].append((report_id, org, contact, occurred))
    by_entity: dict[int, list[Counterpart]] = {}
    totals: dict[int, int] = {}
    for entity_id in full.keys() | flagged.keys():
        shown = full[entity_id][:MAX_COUNTERPARTS]
        flags = _first_flags(actor, entity_id, flagged[entity_id], MAX_COUNTERPARTS - len(shown))
        by_entity[entity_id] = shown + flags
        totals[entity_id] = len(full[entity_id]) + len(flagged[entity_id])
    out = []
    for entity_id in sorted(by_entity, key=lambda i: (i in noise, -totals[i], i)):
        entity = entities[entity_id]
        found = by_entity[entity_id]
        out.append(Correlation(entity, entity.key or "", entity_id in noise, found, totals[entity_id] - len(found)))
    return out


def review_queue(*, actor: User) -> QuerySet[MatchProposal]:
    """Undecided or unsure proposals the analyst may judge: across organisations first, then most likely."""
    return (
        access.proposals_visible_to(actor)
        .filter(decision__in=["", Decision.UNSURE])
        .order_by("-cross_organisation", "-probability", "created_at", "id")
    )


def run_proposals_for(*, actor: User, runs: list[ResolutionRun]) -> dict[int, int]:
    """Per run, the proposals it scored (found, or found again) that this analyst may judge; one query.

    The run's own total counts pairs of records others may not know exist, so it is never shown.
    A pair scored again by a later run counts for that run.
    """
    counts = dict(
        access.proposals_visible_to(actor)
        .filter(last_run__in=runs)
        .order_by()
        .values("last_run")
        .annotate(n=Count("pk"))
        .values_list("last_run", "n")
    )
    return {run.pk: counts.get(run.pk, 0) for run in runs}


def proposal_for(*, actor: User, proposal_id: int) -> MatchProposal | None:
    return access.proposals_visible_to(actor).filter(pk=proposal_id).first()


@dataclass
class RecordFacts:
    """What one person record says, from the viewer's visible statements only."""

    entity_id: int
    report_id: int | None
    reference: str
    organisation: str
    names: list[str]
    dates_of_birth: list[str]
    nationalities: list[str]
    roles: list[str]
    selectors: list[str]


def record_facts(*, actor: User, entity_ids: list[int]) -> dict[int, RecordFacts]:
    statements = (
        access.statements_about(actor, entity_ids)
        .select_related("report__organisation")
        .order_by("entity_id", "report__seq", "id")
    )
    facts: dict[int, RecordFacts] = {}
    for st in statements:
        f = facts.get(st.entity_id)
        if f is None:
            f = facts[st.entity_id] = RecordFacts(
                st.entity_id, st.report_id, st.report.reference, st.report.organisation.name, [], [], [], [], []
            )
        target = {
            Property.NAME: f.names,
            Property.DATE_OF_BIRTH: f.dates_of_birth,
            Property.NATIONALITY: f.nationalities,
        }.get(st.prop)  # type: ignore[call-overload]
        if target is not None and st.value not in target:
            target.append(st.value)
        if st.prop == Property.SUBJECT and st.role and st.get_role_display() not in f.roles:
            f.roles.append(st.get_role_display())
    reports = {f.report_id for f in facts.values()}
    co_subjects = (
        rule.statements_visible_to(actor)
        .filter(report_id__in=reports, prop=Property.SUBJECT, entity__key__isnull=False)
        .exclude(entity__kind=EntityKind.PERSON)
        .values_list("report_id", "entity__kind", "entity__key")
    )
    by_report: dict[int, list[str]] = defaultdict(list)
    for report_id, kind, key in co_subjects:
        by_report[report_id].append(f"{kind}: {key}")
    for f in facts.values():
        f.selectors = sorted(set(by_report.get(f.report_id or 0, [])))
    return facts


@dataclass
class ResolvedPerson:
    """A (possibly merged) person as one viewer may see it."""

    entity_id: int
    cluster: set[int]  # the records joined as far as the viewer may know them (never those unknown to them)
    readable: set[int]
    facts: dict[int, RecordFacts]
    flags: list[Any]

    @property
    def merged(self) -> bool:
        # Counted from what the viewer may know (records read in full, and flags): a merge with a
        # record that is confidential to them must not show, not even as "merged".
        return len(self.readable) + len({f.entity_id for f in self.flags}) > 1


def resolved_person(*, actor: User, entity_id: int) -> ResolvedPerson | None:
    """None when the viewer may not read this record (the same as when it does not exist)."""
    from cairn.linking.services import merged_pairs

    if entity_id not in access.readable_entity_ids(actor, [entity_id]):
        return None
    if access.entities_by_id([entity_id])[entity_id].kind != EntityKind.PERSON:
        return None  # a phone or a vehicle is not a person record (its own page is the entity page)
    cluster, readable, flags = access.person_known_to(actor, entity_id, merged_pairs(entity_id))
    facts = record_facts(actor=actor, entity_ids=sorted(readable))
    return ResolvedPerson(entity_id, cluster, readable, facts, flags)
