"""Writes for intelligence: submit, edit (a new revision), review, sanitise, access requests.

Each function takes the acting user by keyword, validates before writing,
runs in one transaction and records its audit event in it.
"""

from __future__ import annotations

import hashlib
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
from cairn.accounts.models import Organisation, SharingGroup, User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.core import bulk
from cairn.entities.choices import EntityKind, PremisesType, Property, SubjectRole
from cairn.entities.models import Entity, Statement
from cairn.entities.normalise import name_tokens
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
from cairn.search import vocabulary
from cairn.search.indexing import index_person_names
from cairn.search.models import PersonName
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


# For references written without _next_reference (an older database, a benchmark's COPY): each
# series (a reference's prefix and year, named as _reference_sequence names it) starts above every
# place already drawn in it: a seven-digit number was counted and is its place; a nine-digit one was
# numbered by cairn_reference_number (core/0004), which cairn_reference_place undoes.
REFERENCE_SEQUENCES_SQL = r"""
DO $$
DECLARE
    held record;
    name text;
BEGIN
    FOR held IN
        SELECT prefix, year, max(CASE WHEN length(number) = 9
                                      THEN cairn_reference_place(number::bigint, prefix || '-' || year)
                                      ELSE number::bigint END) AS last
        FROM (
            SELECT substring(reference FROM '^(.*)-\d{4}-\d+(?:-S)?$') AS prefix,
                   substring(reference FROM '-(\d{4})-\d+(?:-S)?$') AS year,
                   substring(reference FROM '-\d{4}-(\d+)(?:-S)?$') AS number
            FROM intelligence_intelligencereport
            WHERE reference ~ '.-\d{4}-\d+(-S)?$'
        ) written
        GROUP BY 1, 2
    LOOP
        name := format('intelligence_report_ref_%s_%s',
                       left(encode(sha256(convert_to(held.prefix, 'UTF8')), 'hex'), 16), held.year);
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I', name);
        EXECUTE format('SELECT setval(%L, greatest(%s, (SELECT last_value FROM %I)))', name, held.last, name);
    END LOOP;
END
$$
"""


def _reference_sequence(prefix: str, year: int) -> str:
    """The sequence of one series of references: a prefix (an organisation's code, as written) and a year.

    Keyed by the prefix, not the organisation: two organisations whose codes begin alike (the prefix is
    the code's first 16 letters, upper case) share one series rather than write the same reference.
    """
    return f"intelligence_report_ref_{hashlib.sha256(prefix.encode()).hexdigest()[:16]}_{year}"


def _next_reference(org_code: str, count: int = 1) -> list[str]:
    """``count`` new references for reports of this organisation, drawn from its own series (its code's)
    each year, and printed by a keyed permutation of the series (``cairn_reference_number``, nine digits).

    One sequence for every organisation let the gap between two of a force's own references count
    every report filed meanwhile, confidential ones included; counted per force, two of another force's
    references counted the reports it filed between them that you may not read. A sequence never
    blocks (numbers lost to a rolled-back submission are places never printed). It is made the first
    time a force files in a year, with the next year's, so the first reports of a year do not wait for
    each other.
    """
    year = timezone.now().year
    prefix = org_code.upper()[:16]
    sequence = _reference_sequence(prefix, year)
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [sequence])
        if cursor.fetchone()[0] is None:  # type: ignore[index]
            # Two first reports at once would both create it (and one fail on the catalog's unique
            # index): the second waits here until the first commits, then finds it.
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('cairn.reference'), hashtext(%s))", [sequence])
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {sequence}")
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {_reference_sequence(prefix, year + 1)}")
        cursor.execute(
            "SELECT cairn_reference_number(nextval(%s::regclass), %s) FROM generate_series(1, %s) AS g(n) ORDER BY g.n",
            [sequence, f"{prefix}-{year}", count],
        )
        numbers = [r[0] for r in cursor.fetchall()]
    return [f"{prefix}-{year}-{n:09d}" for n in numbers]


def _snapshot(report: IntelligenceReport, groups: Iterable[SharingGroup] | None = None) -> dict[str, Any]:
    data = {f: getattr(report, f) for f in SNAPSHOT_FIELDS}
    data["occurred_on"] = report.occurred_on.isoformat() if report.occurred_on else None
    chosen = list(report.sharing_groups.all() if groups is None else groups)
    data["sharing_groups"] = sorted(g.name for g in chosen)
    # Who the revision reached is read by id (access.intelligence.revisions_visible_to): a name can be
    # changed, and given to another group after.
    data["sharing_group_ids"] = sorted(g.pk for g in chosen)
    return data


def _sharing_groups(ids: Iterable[int], organisation_id: int) -> list[SharingGroup]:
    """The named groups, each one the originating organisation belongs to."""
    ids = list(dict.fromkeys(ids))
    groups = list(SharingGroup.objects.filter(pk__in=ids, members__id=organisation_id))
    if len(groups) != len(ids):
        raise ValidationError({"sharing_group_ids": "Name only sharing groups your organisation belongs to."})
    return groups


_KEYED_ENTITIES_SQL = """
WITH wanted(kind, key) AS (SELECT * FROM unnest(%s::varchar[], %s::varchar[])),
inserted AS (
    INSERT INTO {table} (kind, key, created_at)
    SELECT w.kind, w.key, %s FROM wanted w
    -- Only keys not held yet: the id's default (a keyed permutation) is computed for each row offered.
    WHERE NOT EXISTS (SELECT 1 FROM {table} e WHERE e.kind = w.kind AND e.key = w.key)
    ORDER BY w.kind, w.key
    ON CONFLICT (kind, key) WHERE key IS NOT NULL DO NOTHING
    RETURNING id, kind, key
)
SELECT id, kind, key FROM inserted
UNION ALL
SELECT e.id, e.kind, e.key FROM {table} e JOIN wanted w ON e.kind = w.kind AND e.key = w.key
"""


def _keyed_entities(keys: list[tuple[str, str]], now: Any) -> dict[tuple[str, str], int]:
    """The shared entity of every (kind, key), created where missing, in one statement.

    ON CONFLICT DO NOTHING: two submissions naming the same new phone at once both succeed. The
    rows are inserted in (kind, key) order, so two concurrent batches wait on each other's new keys
    in the same order and cannot deadlock. A key another transaction committed while this statement
    ran is neither inserted nor visible to it, so it is looked up again afterwards.
    """
    table = connection.ops.quote_name(Entity._meta.db_table)
    by_key: dict[tuple[str, str], int] = {}
    with connection.cursor() as cursor:
        cursor.execute(_KEYED_ENTITIES_SQL.format(table=table), [[k for k, _ in keys], [v for _, v in keys], now])
        for entity_id, kind, key in cursor.fetchall():
            by_key[(kind, key)] = entity_id
        missing = [k for k in keys if k not in by_key]
        if missing:
            cursor.execute(
                f"SELECT e.id, e.kind, e.key FROM {table} e "  # noqa: S608 - the model's own table name
                "JOIN unnest(%s::varchar[], %s::varchar[]) AS w(kind, key) ON e.kind = w.kind AND e.key = w.key",
                [[k for k, _ in missing], [v for _, v in missing]],
            )
            for entity_id, kind, key in cursor.fetchall():
                by_key[(kind, key)] = entity_id
    return by_key


def _resolve_entities(*, actor: User, subjects: list[SubjectInput], now: Any) -> list[tuple[int, str]]:
    """(entity id, entity kind) for every subject of a batch, in a handful of queries whatever the batch size.

    Selector entities are shared by normalised key (that is what correlates two
    organisations' reports); people and organisations get a record per mention
    until entity resolution links them.
    """
    known_ids = {s.known_entity_id for s in subjects if s.known_entity_id is not None}
    known: dict[int, str] = {}
    if known_ids:
        # Only an entity the submitter can already see may be linked by id.
        known = dict(policy.entities_visible_to(actor).filter(pk__in=known_ids).values_list("pk", "kind"))
        missing = known_ids - set(known)
        if missing:
            raise ValidationError({"subjects": f"Entity {min(missing)} is not one you can link to."})
    keys = sorted({(s.entity_kind, s.key) for s in subjects if s.known_entity_id is None and s.key})
    by_key = _keyed_entities(keys, now) if keys else {}
    fresh_kinds = [s.entity_kind for s in subjects if s.known_entity_id is None and not s.key]
    fresh_ids = bulk.allocate_ids(Entity, len(fresh_kinds))
    bulk.copy_rows(
        Entity,
        ("id", "kind", "key", "created_at"),
        ((i, k, None, now) for i, k in zip(fresh_ids, fresh_kinds, strict=True)),
    )
    fresh_iter = iter(zip(fresh_ids, fresh_kinds, strict=True))
    out: list[tuple[int, str]] = []
    for s in subjects:
        if s.known_entity_id is not None:
            out.append((s.known_entity_id, known[s.known_entity_id]))
        elif s.key:
            out.append((by_key[(s.entity_kind, s.key)], s.entity_kind))
        else:
            out.append(next(fresh_iter))
    return out


# Statement rows as COPY writes them (the id is filled in once the batch's ids are drawn).
_STATEMENT_COLUMNS = (
    "id",
    "entity_id",
    "report_id",
    "prop",
    "value",
    "value_normalised",
    "role",
    "related_entity_id",
    "created_at",
)
_PERSON_NAME_COLUMNS = (
    "statement_id",
    "entity_id",
    "report_id",
    "name",
    "name_key",
    "tokens",
    "birth_date",
    "birth_year",
    "nationality",
)
_NAMED_KINDS = frozenset({EntityKind.PERSON, EntityKind.ORGANISATION})


def _subject_statements(
    *, report_id: int, subjects: list[SubjectInput], entities: list[tuple[int, str]], now: Any, out: list[list[Any]]
) -> None:
    """Append the statement rows one report makes about its subjects (without ids) to ``out``."""
    for s, (entity_id, _kind) in zip(subjects, entities, strict=True):
        out.append([None, entity_id, report_id, Property.SUBJECT, s.value, s.key or s.name_key, s.role, None, now])
        if s.entity_kind in _NAMED_KINDS:
            out.append([None, entity_id, report_id, Property.NAME, s.value, s.name_key, "", None, now])
        elif s.key:
            out.append([None, entity_id, report_id, Property.IDENTIFIER, s.value, s.key, "", None, now])
        if s.date_of_birth:
            out.append(
                [None, entity_id, report_id, Property.DATE_OF_BIRTH, s.date_of_birth, s.date_of_birth, "", None, now]
            )
        if s.nationality:
            out.append([None, entity_id, report_id, Property.NATIONALITY, s.nationality, s.nationality, "", None, now])
        if s.premises_type:
            # Shown by its label on the report; searched by its code.
            label = PremisesType(s.premises_type).label
            out.append([None, entity_id, report_id, Property.PREMISES_TYPE, label, s.premises_type, "", None, now])
    for s, (entity_id, _kind) in zip(subjects, entities, strict=True):
        if s.linked_to is not None:
            # Read as "<linked_to> <relation> <this subject>": the person uses the phone.
            out.append([None, entities[s.linked_to][0], report_id, s.relation, "", "", "", entity_id, now])


def _person_name_rows(rows: list[list[Any]], entity_kinds: dict[int, str]) -> list[tuple[Any, ...]]:
    """The name-index rows for the person NAME statements among ``rows``, as ``index_person_names`` builds them.

    Dates of birth and nationality come from the same report's statements about the same entity,
    so each index row carries only what its own report says.
    """
    extras: dict[tuple[int, int], dict[str, str]] = {}
    for r in rows:
        if r[3] == Property.DATE_OF_BIRTH or r[3] == Property.NATIONALITY:
            extras.setdefault((r[2], r[1]), {})[r[3]] = r[5]
    out: list[tuple[Any, ...]] = []
    for statement_id, entity_id, report_id, prop, value, *_ in rows:
        if prop != Property.NAME or entity_kinds.get(entity_id) != EntityKind.PERSON:
            continue
        tokens = name_tokens(value)[:12]
        if not tokens:
            continue
        extra = extras.get((report_id, entity_id), {})
        dob = extra.get(Property.DATE_OF_BIRTH, "")
        out.append(
            (
                statement_id,
                entity_id,
                report_id,
                value[:500],
                " ".join(sorted(tokens))[:500],
                tokens,
                dob,
                int(dob[:4]) if dob[:4].isdigit() else None,
                extra.get(Property.NATIONALITY, ""),
            )
        )
    return out


def _new_report(
    *,
    data: ReportInput,
    reference: str,
    organisation: Any,
    author: User,
    now: Any,
    review_state: str,
    review_date: Any,
    **extra: Any,
) -> IntelligenceReport:
    """An unsaved report from validated input: the one place a new report row is put together."""
    return IntelligenceReport(
        reference=reference,
        organisation=organisation,
        author=author,
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
        review_state=review_state,
        review_date=review_date,
        grading_model=data.grading_model,
        legacy_grading=data.legacy_grading,
        source_system=data.source_system,
        source_reference=data.source_reference,
        **extra,
    )


def report_submit(*, actor: User, data: ReportInput) -> IntelligenceReport:
    """Record a new report with its subjects. Raises ValidationError or PermissionDenied; writes nothing then."""
    return report_submit_many(actor=actor, items=[data])[0]


def report_submit_many(
    *, actor: User, items: list[ReportInput], audit_detail: dict[str, Any] | None = None
) -> list[IntelligenceReport]:
    """Submit several reports in one transaction (the importer and the ingest benchmark use this).

    Rows are written with COPY (``cairn.core.bulk``) in the order a reader needs them: reports,
    entities, statements, name index, and the audit entries last, so the audit chain's
    lock is held only for the last moments of the transaction. Any failure rolls all of it back.
    """
    if not can(actor, Capability.SUBMIT_INTELLIGENCE):
        raise PermissionDenied("Your roles do not include submitting intelligence.")
    for data in items:
        validate(data)
    now = timezone.now()
    org = actor.organisation
    review_date = (now + timedelta(days=365 * RETENTION_YEARS)).date()
    with transaction.atomic():
        group_ids = {i for d in items for i in d.sharing_group_ids}
        if group_ids:
            _sharing_groups(group_ids, org.pk)  # refuses a group the organisation does not belong to
        references = _next_reference(org.code, len(items))
        reports: list[IntelligenceReport] = []
        for data, reference, report_id in zip(
            items, references, bulk.allocate_ids(IntelligenceReport, len(items)), strict=True
        ):
            review = needs_review(data.source_evaluation, data.intelligence_assessment, data.handling_code)
            report = _new_report(
                data=data,
                reference=reference,
                organisation=org,
                author=actor,
                now=now,
                review_state=ReviewState.AWAITING if review else ReviewState.NOT_REQUIRED,
                review_date=review_date,
            )
            report.pk = report_id
            report.sharing_group_ids = list(dict.fromkeys(data.sharing_group_ids))
            reports.append(report)
        bulk.copy_instances(IntelligenceReport, reports)
        bulk.copy_rows(
            IntelligenceReport.sharing_groups.through,
            ("intelligencereport_id", "sharinggroup_id"),
            ((r.pk, g) for r in reports for g in r.sharing_group_ids),
        )

        entities = _resolve_entities(actor=actor, subjects=[s for d in items for s in d.subjects], now=now)
        rows: list[list[Any]] = []
        offset = 0
        for data, report in zip(items, reports, strict=True):
            count = len(data.subjects)
            _subject_statements(
                report_id=report.pk,
                subjects=data.subjects,
                entities=entities[offset : offset + count],
                now=now,
                out=rows,
            )
            offset += count
        for row, statement_id in zip(rows, bulk.allocate_ids(Statement, len(rows)), strict=True):
            row[0] = statement_id
        bulk.copy_rows(Statement, _STATEMENT_COLUMNS, rows)
        bulk.copy_rows(PersonName, _PERSON_NAME_COLUMNS, _person_name_rows(rows, dict(entities)))

        # No revision row: a report as submitted is its own first revision until an edit supersedes it
        # (``_new_revision`` stores it then), so a million submitted reports are not written twice.
        report_ids = [r.pk for r in reports]
        # Watchers hear of new intelligence once it is committed, never of a rolled-back one.
        transaction.on_commit(lambda: notify_watchers(report_ids))
        transaction.on_commit(lambda: linking.reports_arrived(report_ids))
        transaction.on_commit(lambda: vocabulary.words_arrived(report_ids))
        # Check every reference written so far now (PostgreSQL runs the deferred foreign-key checks
        # when they are made immediate), not at commit while this batch holds the audit chain's lock
        # and the other submitters queue for it; then defer again, as Django's constraints expect.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
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


SUBMITTED = "submitted"


def first_revision(report: IntelligenceReport) -> ReportRevision:
    """Revision 1 of a report no one has changed yet, read from the report itself (unsaved).

    Every field of the snapshot changes only through ``_new_revision``, which stores this before its
    first change; the one thing read as it is now, not as it was, is a sharing group's name.
    """
    return ReportRevision(
        report=report,
        number=1,
        # .all() uses the groups a reader already prefetched (report_for_reading) instead of a query.
        snapshot=_snapshot(report, report.sharing_groups.all()),
        changed_by=report.author,
        changed_at=report.created_at,
        reason=SUBMITTED,
    )


def _new_revision(
    *, actor: User, report: IntelligenceReport, data: ReportInput, reason: str, review_state: str | None = None
) -> IntelligenceReport:
    if report.revision == 1 and not ReportRevision.unscoped_objects.filter(report=report, number=1).exists():
        # The first change supersedes the report as submitted: keep that as revision 1 before changing it.
        first_revision(report).save(force_insert=True)
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
    changed = sorted(k for k in after if k != "sharing_group_ids" and before.get(k) != after.get(k))
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
        # New words of an edited text join the "did you mean" vocabulary (a word no longer used stays
        # there until a rebuild; it is only offered when a search for it finds something).
        transaction.on_commit(lambda: vocabulary.words_arrived([locked.pk]))
        # A wider dissemination, a new sharing group or a new subject may meet someone's watch; a
        # watcher already told of this report is not told again.
        transaction.on_commit(lambda: notify_watchers([locked.pk]))
        # A side of a hit that could not see this report before may see it now: tell it (the hits
        # record who was told, so no one hears twice). A sanitised version has no hits of its own:
        # its original made them.
        if locked.sanitised_from_id is None:
            transaction.on_commit(lambda: linking.record_hits([locked.pk]))
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
        version = _new_report(
            data=data,
            reference=f"{reference}-S",
            organisation=report.organisation,
            author=actor,
            now=now,
            review_state=ReviewState.REVIEWED,
            review_date=report.review_date,
            reviewed_by=actor,
            reviewed_at=now,
            sanitised_from=report,
            sanitisation_authorised_by=actor,
        )
        version.save(force_insert=True)
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
            if st.entity.kind in _NAMED_KINDS:
                # The name the kept subject is shown by, so person search finds the version; not the
                # original's date of birth or nationality, which the supervisor did not choose to pass on.
                statements.append(
                    Statement(
                        entity=st.entity,
                        report=version,
                        prop=Property.NAME,
                        value=st.value,
                        value_normalised=st.value_normalised,
                    )
                )
            elif st.entity.key:
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
        index_person_names(statements)
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
        # No hits of its own (the original made them), but reports that arrive later meet it too.
        transaction.on_commit(lambda: linking.sightings_record([version.pk]))
        transaction.on_commit(lambda: vocabulary.words_arrived([version.pk]))
        # It may go wider than the original: watchers who could not read that may read this.
        transaction.on_commit(lambda: notify_watchers([version.pk]))
    return version


def flag_open(*, actor: User, token: str, reason: str, request: Any, api: bool = False) -> policy.Flag | None:
    """The flag ``token`` addresses for the actor, its viewing audited (who looked at whose flag, from
    which subject); None, and nothing recorded, if it is not one of theirs."""
    flag = policy.flag_at(actor, token)
    if flag is None:
        return None
    audit.record(
        action=AuditAction.VIEW,
        actor=actor,
        object_type="intelligence.report",
        object_id=flag.report_id,
        reason=reason[:500],
        detail={"access": "flag", "entity_id": flag.entity_id, **({"api": True} if api else {})},
        request=request,
        subject_organisation=Organisation.objects.get(pk=flag.organisation_id),
    )
    return flag


def access_request_create(*, actor: User, flag_token: str, reason: str) -> AccessRequest:
    """Ask the originator for a restricted report the actor sees as the flag ``flag_token`` addresses.

    The request belongs to that flag (its report and subject): the flags of one report on two
    subjects take a request each, so neither the answer nor the page says they are one report.
    """
    reason = clean_text(reason)
    if not reason:
        raise ValidationError({"reason": "Give a reason: what you need it for, and your reference if you have one."})
    if len(reason) > 2000:
        raise ValidationError({"reason": "Keep the reason under 2,000 characters."})
    flag = policy.flag_at(actor, flag_token)
    if flag is None:
        # The same answer for "no such flag", "already visible" and "not yours to ask".
        raise PermissionDenied("There is no flag of a restricted report like that that you can ask about.")
    report = IntelligenceReport.unscoped_objects.select_related("organisation").get(pk=flag.report_id)
    with transaction.atomic():
        existing = AccessRequest.unscoped_objects.filter(
            policy.made_from(flag), requester=actor, status=AccessRequestStatus.PENDING
        ).first()
        if existing is not None:
            return existing
        request = AccessRequest.unscoped_objects.create(
            report=report, requester=actor, entity_id=flag.entity_id, reason=reason
        )
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


def _record_decision(
    actor: User, request: AccessRequest, reason: str, granted: bool, with_request: int | None = None
) -> None:
    """The audit entry of one access request granted or refused (``with_request``: the grant that answered it)."""
    detail: dict[str, object] = {
        "report": request.report.reference,
        "requester": request.requester.username,
        "granted": granted,
    }
    if with_request is not None:
        detail["with_request"] = with_request
    audit.record(
        action=AuditAction.ACCESS_DECISION,
        actor=actor,
        obj=request,
        object_type="intelligence.access_request",
        object_repr=f"{'Granted' if granted else 'Refused'} {request.report.reference} to {request.requester.username}",
        reason=reason,
        subject_organisation=request.requester.organisation,
        detail=detail,
    )


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
        _record_decision(actor, request, reason, grant)
        if grant:
            # The requester's other requests for this report (made from its flags on other subjects) are
            # answered by this one: the report is theirs to read now.
            siblings = list(
                AccessRequest.unscoped_objects.select_for_update().filter(
                    report_id=request.report_id, requester_id=request.requester_id, status=AccessRequestStatus.PENDING
                )
            )
            for sibling in siblings:
                sibling.status = AccessRequestStatus.GRANTED
                sibling.decided_by = actor
                sibling.decided_at = request.decided_at
                sibling.decision_reason = f"Granted with request {request.pk}: {reason}"[:2000]
                # The same report and requester, already read: no query a sibling for its audit entry.
                sibling.report, sibling.requester = request.report, request.requester
                _record_decision(actor, sibling, reason, True, with_request=request.pk)
            AccessRequest.unscoped_objects.bulk_update(
                siblings, ["status", "decided_by", "decided_at", "decision_reason"]
            )
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
