"""Intelligence over the API: the same services and selectors as the pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Router, Status
from ninja.errors import HttpError
from ninja.pagination import LimitOffsetPagination, paginate

from cairn.access import intelligence as policy
from cairn.access.capabilities import Capability
from cairn.access.policy import can
from cairn.accounts.models import Organisation, User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.core.ids import PublicNumber
from cairn.entities.extraction import extract
from cairn.entities.models import Statement
from cairn.intelligence import selectors, services
from cairn.intelligence.inputs import ReportInput, SubjectInput
from cairn.intelligence.names import name_matcher_for
from cairn.intelligence.schemas import (
    AccessRequestIn,
    AccessRequestOut,
    CandidateOut,
    DecisionIn,
    EntityOut,
    ErrorOut,
    ExtractIn,
    FlagOut,
    ImportOut,
    ReportIn,
    ReportOut,
    ReportSummaryOut,
)

router = Router(tags=["intelligence"])


class InvalidInput(HttpError):
    def __init__(self, exc: ValidationError) -> None:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        super().__init__(422, "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _need(user: User, capability: Capability) -> None:
    if not can(user, capability):
        raise HttpError(404, "Not found.")


def _statements_out(user: User, **where: Any) -> list[dict[str, Any]]:
    """The statements the user may read, as the API shows them, in the order they were recorded.

    Statements are counted from one sequence (cheap at ingest, and their order); shown as counted, the
    gap between two of yours would count everyone's recorded meanwhile, so each is shown by its permuted
    number instead.
    """
    statements = (
        policy.statements_visible_to(user)
        .filter(**where)
        .select_related("report__organisation")
        .annotate(public_number=PublicNumber("id", table="entities_statement"))
        .order_by("id")
    )
    return [_statement_out(s) for s in statements]


def _statement_out(st: Statement) -> dict[str, Any]:
    return {
        "id": st.public_number,  # type: ignore[attr-defined]  # annotated by _statements_out
        "entity_id": st.entity_id,
        "prop": st.prop,
        "value": st.value,
        "value_normalised": st.value_normalised,
        "role": st.role,
        "related_entity_id": st.related_entity_id,
        "report_id": st.report_id,
        "report_reference": st.report.reference,
        "organisation": st.report.organisation.name,
    }


def _flag_out(flag: policy.Flag) -> dict[str, Any]:
    return {
        "token": flag.token,
        "entity_id": flag.entity_id,
        "recorded_on": flag.recorded_on,
        "occurred_on": flag.occurred_on,
        "exploitation_types": flag.exploitation_types,
        "organisation": flag.organisation,
        "organisation_code": flag.organisation_code,
        "contact_point": flag.contact_point,
    }


@router.post("/reports", response={201: ReportOut, 422: ErrorOut}, summary="Submit an intelligence report")
def submit_report(request: HttpRequest, payload: ReportIn) -> Status[dict[str, Any]]:
    user = _user(request)
    _need(user, Capability.SUBMIT_INTELLIGENCE)
    data = ReportInput(
        **payload.dict(exclude={"subjects"}), subjects=[SubjectInput(**s.dict()) for s in payload.subjects]
    )
    try:
        report = services.report_submit(actor=user, data=data)
    except ValidationError as exc:
        raise InvalidInput(exc) from exc
    except PermissionDenied as exc:
        raise HttpError(404, "Not found.") from exc
    return Status(201, _report_full(user, report.pk))


@router.get("/reports", response=list[ReportSummaryOut], summary="Reports you may read in full, newest first")
@paginate(LimitOffsetPagination)
def list_reports(request: HttpRequest, mine: bool = False) -> Any:
    user = _user(request)
    _need(user, Capability.READ_INTELLIGENCE)
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type="intelligence.report_list",
        detail={"api": True, "mine": mine},
        request=request,
    )
    return [
        {
            "id": r.pk,
            "reference": r.reference,
            "organisation": r.organisation.name,
            "created_at": r.created_at,
            "grade": r.grade,
            "dissemination": r.dissemination,
            "review_state": r.review_state,
        }
        for r in selectors.report_list(actor=user, filters={"mine": mine})
    ]


def _report_full(user: User, report_id: int) -> dict[str, Any]:
    report = selectors.report_for_reading(actor=user, report_id=report_id)
    assert report is not None
    statements = _statements_out(user, report=report)
    return {
        "access": "full",
        "id": report.pk,
        "reference": report.reference,
        "organisation": report.organisation.name,
        "created_at": report.created_at,
        "text": report.text,
        "grade": report.grade,
        "handling_code": report.handling_code,
        "handling_conditions": report.handling_conditions,
        "handling_conditions_text": report.handling_conditions_text,
        "classification": report.classification,
        "exploitation_types": report.exploitation_types,
        "dissemination": report.dissemination,
        "review_state": report.review_state,
        "revision": report.revision,
        "legacy_grading": report.legacy_grading,
        # The original's id only to those who may read it: to others it is "an original held by" its
        # organisation, as the page says, and its id would let them ask about it.
        "sanitised_from_id": report.sanitised_from_id
        if report.sanitised_from_id and policy.report_access(user, report.sanitised_from_id) == "full"
        else None,
        "statements": statements,
    }


@router.get(
    "/reports/{report_id}",
    response={200: ReportOut, 404: ErrorOut},
    summary="A report you may read in full (one you know only by flag: GET /flags/{token})",
)
def get_report(request: HttpRequest, report_id: int, reason: str = "") -> dict[str, Any]:
    user = _user(request)
    _need(user, Capability.READ_INTELLIGENCE)
    # A report known only by flag answers as if there were none: its flag is reached through the
    # flag's token (GET /flags/{token}), so an id seen on one flag cannot be matched to another's.
    if policy.report_access(user, report_id) != "full":
        raise HttpError(404, "Not found.")
    body = _report_full(user, report_id)
    if (
        body["dissemination"] in {"restricted", "confidential"}
        and settings.AUDIT_REQUIRE_JUSTIFICATION
        and not reason.strip()
    ):
        raise HttpError(422, "Give a reason (?reason=...) to open restricted or confidential intelligence.")
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type="intelligence.report",
        object_id=report_id,
        object_repr=body["reference"],
        reason=reason[:500],
        detail={"access": "full", "api": True},
        request=request,
        subject_organisation=Organisation.objects.get(reports__pk=report_id),
    )
    return body


@router.get(
    "/entities/{entity_id}",
    response={200: EntityOut, 404: ErrorOut},
    summary="Every fact about an entity from reports you may read, and flags for restricted ones",
)
def get_entity(request: HttpRequest, entity_id: int, reason: str = "") -> dict[str, Any]:
    user = _user(request)
    _need(user, Capability.READ_INTELLIGENCE)
    view = selectors.entity_for_reading(actor=user, entity_id=entity_id)
    if view is None:
        raise HttpError(404, "Not found.")
    if settings.AUDIT_REQUIRE_JUSTIFICATION and not reason.strip():
        raise HttpError(422, "Give a reason (?reason=...) for looking up a person or selector.")
    statements = _statements_out(user, entity_id=entity_id)
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type="entities.entity",
        object_id=entity_id,
        object_repr=view.label[:300],
        reason=reason[:300],
        detail={"api": True},
        request=request,
    )
    return {
        "id": view.entity.pk,
        "kind": view.entity.kind,
        "key": None if view.flag_only else view.entity.key,
        "label": view.label,
        "statements": statements,
        "flags": [_flag_out(f) for f in view.flags],
    }


@router.get(
    "/flags/{token}",
    response={200: FlagOut, 404: ErrorOut},
    summary="A flag you were shown: who holds restricted intelligence on the subject, and whom to contact",
)
def get_flag(request: HttpRequest, token: str, reason: str = "") -> dict[str, Any]:
    user = _user(request)
    _need(user, Capability.READ_INTELLIGENCE)
    flag = services.flag_open(actor=user, token=token, reason=reason, request=request, api=True)
    if flag is None:
        raise HttpError(404, "Not found.")
    # Not which entity: a search's flag is reached from a name, and the entity's id would say which
    # record of a restricted report it matched (the entity's own flags give it, where it is known).
    return {**_flag_out(flag), "entity_id": None}


@router.post(
    "/flags/{token}/access-requests",
    response={201: AccessRequestOut, 404: ErrorOut, 422: ErrorOut},
    summary="Ask for the restricted report behind a flag you were shown",
)
def create_access_request(request: HttpRequest, token: str, payload: AccessRequestIn) -> Status[Any]:
    user = _user(request)
    _need(user, Capability.READ_INTELLIGENCE)
    try:
        req = services.access_request_create(actor=user, flag_token=token, reason=payload.reason)
    except PermissionDenied as exc:
        raise HttpError(404, "Not found.") from exc
    except ValidationError as exc:
        raise InvalidInput(exc) from exc
    # The requester is told the flag, not the report's id, until the request is granted.
    return Status(201, _request_out(req, flag=token))


def _request_out(req: Any, *, flag: str | None = None) -> dict[str, Any]:
    return {
        "id": req.pk,
        "report_id": None if flag else req.report_id,
        "flag": flag,
        "requester": req.requester.username,
        "status": req.status,
        "reason": req.reason,
        "decision_reason": req.decision_reason,
    }


@router.post(
    "/access-requests/{request_id}/decision",
    response={200: AccessRequestOut, 404: ErrorOut, 422: ErrorOut},
    summary="Grant or refuse an access request on your organisation's report",
)
def decide_access_request(request: HttpRequest, request_id: int, payload: DecisionIn) -> Any:
    user = _user(request)
    _need(user, Capability.SUPERVISE_INTELLIGENCE)
    try:
        req = services.access_request_decide(
            actor=user, request_id=request_id, grant=payload.grant, reason=payload.reason
        )
    except PermissionDenied as exc:
        raise HttpError(404, "Not found.") from exc
    except ValidationError as exc:
        raise InvalidInput(exc) from exc
    return _request_out(req)


@router.post("/extract", response=list[CandidateOut], summary="Propose subjects found in a text")
def extract_subjects(request: HttpRequest, payload: ExtractIn) -> list[dict[str, Any]]:
    user = _user(request)
    _need(user, Capability.SUBMIT_INTELLIGENCE)
    return [c.__dict__ for c in extract(payload.text, matcher=name_matcher_for(user))]


MAX_IMPORT_BYTES = 64 * 1024 * 1024


@router.post(
    "/report-imports",
    response={200: ImportOut, 404: ErrorOut, 413: ErrorOut, 422: ImportOut},
    summary="Import a JSONL file of reports (3x5x2 or legacy 5x5x5): all lines or none",
    openapi_extra={
        "requestBody": {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}, "required": True}
    },
)
def import_reports_api(request: HttpRequest, source_system: str = "", dry_run: bool = False) -> Any:
    """The body is the file itself, one JSON report per line; docs/import-format.md describes a line."""
    from cairn.intelligence.importer import ImportFileError, import_reports

    user = _user(request)
    _need(user, Capability.SUBMIT_INTELLIGENCE)
    if len(request.body) > MAX_IMPORT_BYTES:
        raise HttpError(413, f"Send at most {MAX_IMPORT_BYTES // (1024 * 1024)} MB per request; split the file.")
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HttpError(422, "The file is not UTF-8 text.") from exc
    try:
        result = import_reports(
            actor=user, lines=text.split("\n"), source_system=source_system, dry_run=dry_run, file_name="api upload"
        )
    except PermissionDenied as exc:
        raise HttpError(404, "Not found.") from exc
    except (ValidationError, ImportFileError) as exc:
        raise HttpError(422, str(exc)) from exc
    body = {
        "imported": result.imported,
        "dry_run": result.dry_run,
        "references": result.references,
        "rejected": [{"line": r.line, "field": r.field, "message": r.message} for r in result.rejected],
    }
    return Status(422 if result.rejected else 200, body)
