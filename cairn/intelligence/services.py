"""Writes for intelligence: submit, edit (a new revision), review, sanitise, access requests.

Each function takes the acting user by keyword, validates before writing,
runs in one transaction and records its audit event in it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone

from cairn.access import intelligence as policy
from cairn.access.capabilities import Capability
from cairn.access.policy import can
from cairn.accounts.models import SharingGroup, User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.entities.choices import EntityKind, Property, SubjectRole
from cairn.entities.models import Entity, Statement
from cairn.intelligence.choices import (
    AccessRequestStatus,
    Dissemination,
    HandlingCode,
    IntelligenceAssessment,
    ReviewState,
    SourceEvaluation,
)
from cairn.intelligence.inputs import ReportInput, SubjectInput, clean_text, validate
from cairn.intelligence.models import AccessRequest, IntelligenceReport, ReportRevision
from cairn.linking import services as linking
from cairn.search.indexing import index_person_names
from cairn.search.services import notify_watchers

RETENTION_YEARS = int(getattr(settings, "CAIRN_REVIEW_YEARS", 6))
SNAPSHOT_FIELDS = [
    "text",
    "source_evaluation",
    "intelligence_assessment",
    "handling_code",
    "handling_conditions",
    "handling_conditions_text",
    "classification",
    "exploitation_types",
    "dissemination",
    "occurred_on",
    "review_state",
]


def needs_review(source_evaluation: str, intelligence_assessment: str, handling_code: str) -> bool:
    """Low-graded or conditioned intelligence stays with the originator until a supervisor looks."""
    return (
        source_evaluation == SourceEvaluation.NOT_RELIABLE
        or intelligence_assessment == IntelligenceAssessment.E
        or handling_code == HandlingCode.C
    )


def _next_reference(org_code: str, count: int = 1) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('intelligence_report_ref_seq') FROM generate_series(1, %s)", [count])
        numbers = sorted(r[0] for r in cursor.fetchall())
    year = timezone.now().year
    return [f"{org_code.upper()[:16]}-{year}-{n:07d}" for n in numbers]


def _snapshot(report: IntelligenceReport, group_names: list[str] | None = None) -> dict[str, Any]:
    data = {f: getattr(report, f) for f in SNAPSHOT_FIELDS}
    data["occurred_on"] = report.occurred_on.isoformat() if report.occurred_on else None
    if group_names is None:
        group_names = list(report.sharing_groups.values_list("name", flat=True))
    data["sharing_groups"] = sorted(group_names)
    return data


def _sharing_groups(ids: Iterable[int], organisation_id: int) -> list[SharingGroup]:
    """The named groups, each one the originating organisation belongs to."""
    ids = list(dict.fromkeys(ids))
    groups = list(SharingGroup.objects.filter(pk__in=ids, members__id=organisation_id))
    if len(groups) != len(ids):
        raise ValidationError({"sharing_group_ids": "Name only sharing groups your organisation belongs to."})
    return groups


def _resolve_entities(*, actor: User, subjects: list[SubjectInput]) -> list[Entity]:
    """The entity for every subject of a batch, in a handful of queries whatever the batch size.

    Selector entities are shared by normalised key (that is what correlates two
    organisations' reports); people and organisations get a record per mention
    until entity resolution links them.
    """
    known_ids = {s.known_entity_id for s in subjects if s.known_entity_id is not None}
    known: dict[int, Entity] = {}
    if known_ids:
        # Only an entity the submitter can already see may be linked by id.
        known = {e.pk: e for e in policy.entities_visible_to(actor).filter(pk__in=known_ids)}
        missing = known_ids - set(known)
        if missing:
            raise ValidationError({"subjects": f"Entity {min(missing)} is not one you can link to."})
    keys = {(s.entity_kind, s.key) for s in subjects if s.known_entity_id is None and s.key}
    by_key: dict[tuple[str, str], Entity] = {}
    if keys:
        kinds = {k for k, _ in keys}
        values = {v for _, v in keys}
        # ON CONFLICT DO NOTHING: two submissions naming the same new phone at once both succeed.
        Entity.unscoped_objects.bulk_create([Entity(kind=k, key=v) for k, v in keys], ignore_conflicts=True)
        for e in Entity.unscoped_objects.filter(kind__in=kinds, key__in=values):
            by_key[(e.kind, e.key or "")] = e
    fresh = [Entity(kind=s.entity_kind) for s in subjects if s.known_entity_id is None and not s.key]
    Entity.unscoped_objects.bulk_create(fresh)
    fresh_iter = iter(fresh)
    out: list[Entity] = []
    for s in subjects:
        if s.known_entity_id is not None:
            out.append(known[s.known_entity_id])
        elif s.key:
            out.append(by_key[(s.entity_kind, s.key)])
        else:
            out.append(next(fresh_iter))
    return out


def _subject_statements(
    *, report: IntelligenceReport, subjects: list[SubjectInput], entities: list[Entity]
) -> list[Statement]:
    """The statements one report makes about its subjects."""
    statements: list[Statement] = []
    for s, entity in zip(subjects, entities, strict=True):
        statements.append(
            Statement(
                entity=entity,
                report=report,
                prop=Property.SUBJECT,
                role=s.role,
                value=s.value,
                value_normalised=s.key or s.name_key,
            )
        )
        if s.entity_kind in {EntityKind.PERSON, EntityKind.ORGANISATION}:
            statements.append(
                Statement(entity=entity, report=report, prop=Property.NAME, value=s.value, value_normalised=s.name_key)
            )
        elif s.key:
            statements.append(
                Statement(entity=entity, report=report, prop=Property.IDENTIFIER, value=s.value, value_normalised=s.key)
            )
        if s.date_of_birth:
            statements.append(
                Statement(
                    entity=entity,
                    report=report,
                    prop=Property.DATE_OF_BIRTH,
                    value=s.date_of_birth,
                    value_normalised=s.date_of_birth,
                )
            )
        if s.nationality:
            statements.append(
                Statement(
                    entity=entity,
                    report=report,
                    prop=Property.NATIONALITY,
                    value=s.nationality,
                    value_normalised=s.nationality,
                )
            )
    for s, entity in zip(subjects, entities, strict=True):
        if s.linked_to is not None:
            # Read as "<linked_to> <relation> <this subject>": the person uses the phone.
            statements.append(
                Statement(entity=entities[s.linked_to], report=report, prop=s.relation, related_entity=entity)
            )
    return statements


def report_submit(*, actor: User, data: ReportInput) -> IntelligenceReport:
    """Record a new report with its subjects. Raises ValidationError or PermissionDenied; writes nothing then."""
    return report_submit_many(actor=actor, items=[data])[0]


def report_submit_many(
    *, actor: User, items: list[ReportInput], audit_detail: dict[str, Any] | None = None
) -> list[IntelligenceReport]:
    """Submit several reports in one transaction (the importer and the ingest benchmark use this)."""
    if not can(actor, Capability.SUBMIT_INTELLIGENCE):
        raise PermissionDenied("Your roles do not include submitting intelligence.")
    for data in items:
        validate(data)
    now = timezone.now()
    org = actor.organisation
    with transaction.atomic():
        references = _next_reference(org.code, len(items))
        reports: list[IntelligenceReport] = []
        for data, reference in zip(items, references, strict=True):
            review = needs_review(data.source_evaluation, data.intelligence_assessment, data.handling_code)
            reports.append(
                IntelligenceReport(
                    reference=reference,
                    organisation=org,
                    author=actor,
                    created_at=now,
                    updated_at=now,
                    occurred_on=data.occurred_on,
                    text=data.text,
                    source_evaluation=data.source_evaluation,
                    intelligence_assessment=data.intelligence_assessment,
                    handling_code=data.handling_code,
                    handling_conditions=data.handling_conditions,
                    handling_conditions_text=data.handling_conditions_text,
                    classification=data.classification,
                    exploitation_types=data.exploitation_types,
                    dissemination=data.dissemination,
                    review_state=ReviewState.AWAITING if review else ReviewState.NOT_REQUIRED,
                    review_date=(now + timedelta(days=365 * RETENTION_YEARS)).date(),
                    grading_model=data.grading_model,
                    legacy_grading=data.legacy_grading,
                    source_system=data.source_system,
                    source_reference=data.source_reference,
                )
            )
        IntelligenceReport.unscoped_objects.bulk_create(reports)
        links = []
        statements: list[Statement] = []
        revisions: list[ReportRevision] = []
        entities = _resolve_entities(actor=actor, subjects=[s for d in items for s in d.subjects])
        groups = {g.pk: g for g in _sharing_groups({i for d in items for i in d.sharing_group_ids}, org.pk)}
        for data, report in zip(items, reports, strict=True):
            report.sharing_group_ids = list(dict.fromkeys(data.sharing_group_ids))
        IntelligenceReport.unscoped_objects.bulk_update(
            [r for r in reports if r.sharing_group_ids], ["sharing_group_ids"], batch_size=1000
        )
        offset = 0
        for data, report in zip(items, reports, strict=True):
            for group_id in dict.fromkeys(data.sharing_group_ids):
                links.append(
                    IntelligenceReport.sharing_groups.through(intelligencereport=report, sharinggroup=groups[group_id])
                )
            count = len(data.subjects)
            statements += _subject_statements(
                report=report, subjects=data.subjects, entities=entities[offset : offset + count]
            )
            offset += count
            snapshot = _snapshot(report, [groups[i].name for i in data.sharing_group_ids])
            revisions.append(
                ReportRevision(
                    report=report, number=1, snapshot=snapshot, changed_by=actor, changed_at=now, reason="submitted"
                )
            )
        IntelligenceReport.sharing_groups.through.objects.bulk_create(links)
        Statement.unscoped_objects.bulk_create(statements)
        index_person_names(statements)
        ReportRevision.unscoped_objects.bulk_create(revisions)
        report_ids = [r.pk for r in reports]
        # Watchers hear of new intelligence once it is committed, never of a rolled-back one.
        transaction.on_commit(lambda: notify_watchers(report_ids))
        transaction.on_commit(lambda: linking.reports_arrived(report_ids))
        audit.record_many(
            audit.AuditEvent(
                action=AuditAction.CREATE,
                actor=actor,
                object_type="intelligence.report",
                object_id=str(r.pk),
                object_repr=r.reference,
                subject_organisation=org,
                detail=audit_detail or {"grade": r.grade, "dissemination": r.dissemination},
            )
            for r in reports
        )
    return reports


EDITABLE = {
    "text",
    "source_evaluation",
    "intelligence_assessment",
    "handling_code",
    "handling_conditions",
    "handling_conditions_text",
    "classification",
    "exploitation_types",
    "dissemination",
    "occurred_on",
}


def _apply(report: IntelligenceReport, changes: dict[str, Any], *, sharing_group_ids: list[int] | None) -> ReportInput:
    unknown = set(changes) - EDITABLE
    if unknown:
        raise ValidationError({"changes": f"These fields cannot be changed: {', '.join(sorted(unknown))}."})
    current = {f: getattr(report, f) for f in EDITABLE}
    merged = current | changes
    data = ReportInput(
        **merged,
        sharing_group_ids=sharing_group_ids
        if sharing_group_ids is not None
        else list(report.sharing_groups.values_list("pk", flat=True)),
    )
    return validate(data)


def _new_revision(
    *, actor: User, report: IntelligenceReport, data: ReportInput, reason: str, review_state: str | None = None
) -> IntelligenceReport:
    before = _snapshot(report)
    for f in EDITABLE:
        setattr(report, f, getattr(data, f))
    if review_state is not None:
        report.review_state = review_state
    elif (
        needs_review(report.source_evaluation, report.intelligence_assessment, report.handling_code)
        and report.review_state == ReviewState.NOT_REQUIRED
    ):
        report.review_state = ReviewState.AWAITING
    report.revision += 1
    report.updated_at = timezone.now()
    report.save()
    groups = _sharing_groups(data.sharing_group_ids, report.organisation_id)
    report.sharing_groups.set(groups)
    report.sharing_group_ids = [g.pk for g in groups]
    report.save(update_fields=["sharing_group_ids"])
    after = _snapshot(report)
    ReportRevision.unscoped_objects.create(
        report=report,
        number=report.revision,
        snapshot=after,
        changed_by=actor,
        changed_at=report.updated_at,
        reason=reason,
    )
    changed = sorted(k for k in after if before.get(k) != after.get(k))
    audit.record(
        action=AuditAction.CHANGE,
        actor=actor,
        obj=report,
        object_type="intelligence.report",
        object_repr=f"{report.reference} r{report.revision}",
        reason=reason,
        detail={"changed": changed, "revision": report.revision},
        subject_organisation=report.organisation,
    )
    return report


def report_edit(
    *,
    actor: User,
    report: IntelligenceReport,
    changes: dict[str, Any],
    reason: str,
    sharing_group_ids: list[int] | None = None,
) -> IntelligenceReport:
    """Change a report: a new revision; the earlier ones stay readable."""
    if not policy.can_edit(actor, report):
        raise PermissionDenied("Only the author or a supervisor of the originating organisation can edit it.")
    reason = clean_text(reason)
    if not reason:
        raise ValidationError({"reason": "Say why the report is changing."})
    with transaction.atomic():
        locked = IntelligenceReport.unscoped_objects.select_for_update().get(pk=report.pk)
        data = _apply(locked, changes, sharing_group_ids=sharing_group_ids)
        return _new_revision(actor=actor, report=locked, data=data, reason=reason)


def report_review(
    *,
    actor: User,
    report: IntelligenceReport,
    changes: dict[str, Any],
    reason: str = "",
    sharing_group_ids: list[int] | None = None,
) -> IntelligenceReport:
    """A supervisor of the originating organisation reviews: corrects grading, sets dissemination, releases."""
    if not policy.can_supervise(actor, report):
        raise PermissionDenied("Only a supervisor of the originating organisation can review it.")
    with transaction.atomic():
        locked = IntelligenceReport.unscoped_objects.select_for_update().get(pk=report.pk)
        data = _apply(locked, changes, sharing_group_ids=sharing_group_ids)
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        # A released report reaches more people: their watches may now match it.
        transaction.on_commit(lambda: notify_watchers([locked.pk]))
        transaction.on_commit(lambda: linking.reports_arrived([locked.pk]))
        return _new_revision(
            actor=actor,
            report=locked,
            data=data,
            reason=clean_text(reason) or "supervisor review",
            review_state=ReviewState.REVIEWED,
        )


def sanitised_version_create(
    *,
    actor: User,
    report: IntelligenceReport,
    text: str,
    dissemination: str,
    sharing_group_ids: list[int] | None = None,
    subject_entity_ids: list[int] | None = None,
    classification: str | None = None,
) -> IntelligenceReport:
    """Write and authorise a sanitised version that may go wider than the original.

    The original stays as it is; the sanitised version carries only the text
    written for it and the subjects the supervisor chose to keep.
    """
    if not policy.can_supervise(actor, report):
        raise PermissionDenied("Only a supervisor of the originating organisation can sanitise it.")
    original_subjects = {
        st.entity_id: st
        for st in Statement.unscoped_objects.filter(report=report, prop=Property.SUBJECT).select_related("entity")
    }
    keep = [original_subjects[i] for i in (subject_entity_ids or []) if i in original_subjects]
    if subject_entity_ids and len(keep) != len(set(subject_entity_ids)):
        raise ValidationError({"subject_entity_ids": "Keep only subjects of the original report."})
    data = validate(
        ReportInput(
            text=text,
            source_evaluation=report.source_evaluation,
            intelligence_assessment=report.intelligence_assessment,
            handling_code=report.handling_code,
            handling_conditions=list(report.handling_conditions),
            handling_conditions_text=report.handling_conditions_text,
            classification=classification or report.classification,
            exploitation_types=list(report.exploitation_types),
            dissemination=dissemination,
            sharing_group_ids=sharing_group_ids or [],
            occurred_on=report.occurred_on,
        )
    )
    if data.text.strip() == report.text.strip():
        raise ValidationError({"text": "A sanitised version must rewrite the text to protect the source."})
    now = timezone.now()
    with transaction.atomic():
        (reference,) = _next_reference(report.organisation.code)
        version = IntelligenceReport.unscoped_objects.create(
            reference=f"{reference}-S",
            organisation=report.organisation,
            author=actor,
            created_at=now,
            updated_at=now,
            occurred_on=report.occurred_on,
            text=data.text,
            source_evaluation=data.source_evaluation,
            intelligence_assessment=data.intelligence_assessment,
            handling_code=data.handling_code,
            handling_conditions=data.handling_conditions,
            handling_conditions_text=data.handling_conditions_text,
            classification=data.classification,
            exploitation_types=data.exploitation_types,
            dissemination=data.dissemination,
            review_state=ReviewState.REVIEWED,
            reviewed_by=actor,
            reviewed_at=now,
            review_date=report.review_date,
            sanitised_from=report,
            sanitisation_authorised_by=actor,
        )
        groups = _sharing_groups(data.sharing_group_ids, report.organisation_id)
        version.sharing_groups.set(groups)
        version.sharing_group_ids = [g.pk for g in groups]
        version.save(update_fields=["sharing_group_ids"])
        statements = []
        for st in keep:
            statements.append(
                Statement(
                    entity=st.entity,
                    report=version,
                    prop=Property.SUBJECT,
                    role=st.role,
                    value=st.value,
                    value_normalised=st.value_normalised,
                )
            )
            if st.entity.key:
                statements.append(
                    Statement(
                        entity=st.entity,
                        report=version,
                        prop=Property.IDENTIFIER,
                        value=st.value,
                        value_normalised=st.entity.key,
                    )
                )
        Statement.unscoped_objects.bulk_create(statements)
        ReportRevision.unscoped_objects.create(
            report=version,
            number=1,
            snapshot=_snapshot(version),
            changed_by=actor,
            changed_at=now,
            reason="sanitised version authorised",
        )
        audit.record(
            action=AuditAction.CREATE,
            actor=actor,
            obj=version,
            object_type="intelligence.report",
            object_repr=version.reference,
            detail={"sanitised_from": report.reference, "dissemination": version.dissemination},
            subject_organisation=report.organisation,
        )
    return version


def access_request_create(*, actor: User, report_id: int, reason: str) -> AccessRequest:
    """Ask the originator for a restricted report the actor sees only as a flag."""
    reason = clean_text(reason)
    if not reason:
        raise ValidationError({"reason": "Give a reason: what you need it for, and your reference if you have one."})
    if len(reason) > 2000:
        raise ValidationError({"reason": "Keep the reason under 2,000 characters."})
    report = policy.reports_flagged_to(actor).filter(pk=report_id).first()
    if report is None:
        # The same answer for "no such report", "already visible" and "not yours to ask".
        raise PermissionDenied("There is no restricted report with that id that you can ask for.")
    with transaction.atomic():
        existing = AccessRequest.unscoped_objects.filter(
            report=report, requester=actor, status=AccessRequestStatus.PENDING
        ).first()
        if existing is not None:
            return existing
        request = AccessRequest.unscoped_objects.create(report=report, requester=actor, reason=reason)
        audit.record(
            action=AuditAction.CREATE,
            actor=actor,
            obj=request,
            object_type="intelligence.access_request",
            object_repr=f"access request for {report.reference}",
            reason=reason,
            subject_organisation=report.organisation,
        )
    return request


def access_request_decide(*, actor: User, request_id: int, grant: bool, reason: str) -> AccessRequest:
    """A supervisor of the originating organisation grants (to the named user) or refuses, with a reason."""
    reason = clean_text(reason)
    if not reason:
        raise ValidationError({"reason": "Record the reason for the decision."})
    with transaction.atomic():
        request = (
            AccessRequest.unscoped_objects.select_for_update()
            .select_related("report", "requester__organisation")
            .filter(pk=request_id)
            .first()
        )
        if request is None or not policy.can_supervise(actor, request.report):
            raise PermissionDenied("There is no access request with that id for you to decide.")
        if request.status != AccessRequestStatus.PENDING:
            raise ValidationError({"status": f"This request was already {request.get_status_display().lower()}."})
        request.status = AccessRequestStatus.GRANTED if grant else AccessRequestStatus.REFUSED
        request.decided_by = actor
        request.decided_at = timezone.now()
        request.decision_reason = reason
        request.save()
        audit.record(
            action=AuditAction.ACCESS_DECISION,
            actor=actor,
            obj=request,
            object_type="intelligence.access_request",
            object_repr=f"{request.get_status_display()} {request.report.reference} to {request.requester.username}",
            reason=reason,
            subject_organisation=request.requester.organisation,
            detail={"report": request.report.reference, "requester": request.requester.username, "granted": grant},
        )
        if grant:
            # A disclosure log names the recipient (DPA 2018 s.62).
            audit.record(
                action=AuditAction.DISCLOSE,
                actor=actor,
                obj=request.report,
                object_type="intelligence.report",
                object_repr=request.report.reference,
                reason=reason,
                subject_organisation=request.report.organisation,
                detail={
                    "recipient": request.requester.username,
                    "recipient_organisation": request.requester.organisation.code,
                },
            )
    return request


__all__ = [
    "Dissemination",
    "SubjectRole",
    "access_request_create",
    "access_request_decide",
    "report_edit",
    "report_review",
    "report_submit",
    "report_submit_many",
    "sanitised_version_create",
]
