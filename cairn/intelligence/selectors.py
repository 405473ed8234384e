"""Reads for intelligence. Each starts from the access policy's querysets."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from cairn.access import intelligence as policy
from cairn.accounts.models import User
from cairn.entities.choices import RELATIONSHIPS, Property
from cairn.entities.models import Entity, Statement
from cairn.intelligence.choices import AccessRequestStatus, ReviewState
from cairn.intelligence.models import AccessRequest, IntelligenceReport, ReportRevision
from cairn.intelligence.services import first_revision


def report_list(*, actor: User, filters: dict[str, Any] | None = None) -> QuerySet[IntelligenceReport]:
    filters = filters or {}
    qs = policy.reports_visible_to(actor).select_related("organisation", "author")
    if filters.get("mine"):
        qs = qs.filter(organisation_id=actor.organisation_id)
    if filters.get("awaiting_review"):
        qs = qs.filter(organisation_id=actor.organisation_id, review_state=ReviewState.AWAITING)
    if filters.get("exploitation_type"):
        qs = qs.filter(exploitation_types__contains=[filters["exploitation_type"]])
    return qs.order_by("-created_at", "-seq")


def report_for_reading(*, actor: User, report_id: int) -> IntelligenceReport | None:
    return (
        policy.reports_visible_to(actor)
        .select_related("organisation", "author", "sanitised_from", "reviewed_by", "sanitisation_authorised_by")
        .prefetch_related("sharing_groups")
        .filter(pk=report_id)
        .first()
    )


@dataclass
class SubjectRow:
    entity: Entity
    role: str
    value: str
    facts: list[Statement] = field(default_factory=list)
    links: list[Statement] = field(default_factory=list)


def report_subjects(*, actor: User, report: IntelligenceReport) -> list[SubjectRow]:
    """The subjects of a report the actor can read, with what the report says about each."""
    statements = list(
        policy.statements_visible_to(actor)
        .filter(report=report)
        .select_related("entity", "related_entity")
        .order_by("id")
    )
    rows: dict[int, SubjectRow] = {}
    for st in statements:
        if st.prop == Property.SUBJECT:
            rows[st.entity_id] = SubjectRow(entity=st.entity, role=st.role, value=st.value)
    for st in statements:
        row = rows.get(st.entity_id)
        if row is None or st.prop == Property.SUBJECT:
            continue
        (row.links if st.prop in RELATIONSHIPS else row.facts).append(st)
    return list(rows.values())


def report_revisions(*, actor: User, report: IntelligenceReport) -> list[ReportRevision]:
    """The report's revisions the actor may read, newest first.

    Revision 1 of a report no one has changed is the report itself: it is stored only once an edit
    supersedes it, so it is read from the report when there is no row for it.
    """
    stored = list(
        policy.revisions_visible_to(actor).filter(report=report).select_related("changed_by").order_by("-number")
    )
    if not stored and report.revision == 1 and policy.reports_visible_to(actor).filter(pk=report.pk).exists():
        return [first_revision(report)]
    return stored


def report_revision(*, actor: User, report: IntelligenceReport, number: int) -> ReportRevision | None:
    return next((r for r in report_revisions(actor=actor, report=report) if r.number == number), None)


def pending_request(*, actor: User, flag: policy.Flag) -> AccessRequest | None:
    """The actor's latest request made from this flag (its report and subject), not another's."""
    return (
        policy.access_requests_visible_to(actor)
        .filter(policy.made_from(flag), requester=actor)
        .order_by("-created_at")
        .first()
    )


def review_queue(*, actor: User) -> dict[str, Any]:
    """A supervisor's work: reports awaiting review and access requests on their organisation's reports."""
    reports = (
        policy.reports_visible_to(actor)
        .filter(organisation_id=actor.organisation_id, review_state=ReviewState.AWAITING)
        .select_related("author")
        .order_by("created_at")
    )
    requests = (
        policy.access_requests_visible_to(actor)
        .filter(report__organisation_id=actor.organisation_id, status=AccessRequestStatus.PENDING)
        .select_related("report", "requester__organisation")
        .order_by("created_at")
    )
    return {"reports": reports, "requests": requests}


@dataclass
class EntityView:
    entity: Entity
    label: str
    facts: dict[str, list[Statement]]
    relationships: list[Statement]
    reports: list[IntelligenceReport]
    flags: list[policy.Flag]
    flag_only: bool = False  # known only through a flag: its kind, never its key


def entity_for_reading(*, actor: User, entity_id: int) -> EntityView | None:
    """Every fact about an entity from the reports the actor may see, plus flags for restricted ones."""
    entity = policy.entities_visible_to(actor).filter(pk=entity_id).first()
    flags = policy.flags_for(actor, entity_ids=[entity_id])
    if entity is None:
        if not flags:
            return None
        entity = policy.entities_flagged_to(actor).get(pk=entity_id)  # known through its flag only
        # Its kind only: the number or registration is a selector of restricted intelligence, and
        # anyone may walk entity ids to ask.
        return EntityView(entity, entity.get_kind_display(), {}, [], [], flags, flag_only=True)
    visible = policy.statements_visible_to(actor)
    about = list(visible.filter(entity=entity).select_related("report__organisation", "related_entity").order_by("id"))
    inbound = list(
        visible.filter(related_entity=entity).select_related("report__organisation", "entity").order_by("id")
    )
    facts: dict[str, list[Statement]] = defaultdict(list)
    relationships: list[Statement] = []
    reports: dict[int, IntelligenceReport] = {}
    for st in about:
        reports[st.report_id] = st.report
        if st.prop in RELATIONSHIPS:
            relationships.append(st)
        elif st.prop != Property.SUBJECT:
            facts[st.get_prop_display()].append(st)
    for st in inbound:
        reports[st.report_id] = st.report
        relationships.append(st)
    names = facts.get(Property.NAME.label, [])
    label = entity.key or (names[0].value if names else entity.get_kind_display())
    ordered = sorted(reports.values(), key=lambda r: (r.created_at, r.pk), reverse=True)
    return EntityView(entity, label, dict(facts), relationships, ordered, flags)
