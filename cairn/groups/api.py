"""Crime groups over the API: detection runs, adoption, the group record and its threat assessments.

Everything needs the capability to analyse networks; anyone else is told "not found". A group is
shown in full or as a flag as its analysis report's dissemination allows.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from cairn.access import groups as access
from cairn.accounts.models import User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.core.reasons import current_reason
from cairn.groups import detection, selectors, services
from cairn.groups.models import DetectionRun, ThreatScheme
from cairn.intelligence.api import InvalidInput

router = Router(tags=["crime groups"])


def _analyst(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not access.may_adopt(user):
        raise HttpError(404, "Not found.")
    return user


def _viewed(request: HttpRequest, user: User, what: str, **detail: Any) -> None:
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type=f"groups.{what}",
        reason=current_reason(request),
        request=request,
        detail=detail,
    )


class RunOut(Schema):
    id: int
    state: str
    stage: str
    percent: int
    entities: int
    links: int
    candidates: list[dict[str, Any]]
    error: str


def _run(user: User, run: DetectionRun) -> dict[str, Any]:
    return {
        "id": run.pk,
        "state": run.state,
        "stage": run.stage,
        "percent": run.percent,
        "entities": run.entities,
        "links": run.links,
        "candidates": selectors.candidates_now(user, run) if run.state == "done" else [],
        "error": "The run failed; try again or tell an administrator." if run.error else "",
    }


@router.post("/detection-runs", response={202: RunOut}, summary="Detect candidate groups in everything you may see")
def run_start(request: HttpRequest) -> Any:
    user = _analyst(request)
    return Status(202, _run(user, detection.start(actor=user)))


@router.get("/detection-runs/{run_id}", response=RunOut, summary="A detection run's progress and candidates")
def run_detail(request: HttpRequest, run_id: int) -> Any:
    user = _analyst(request)
    try:
        run = selectors.run_for(user, run_id)
    except Http404:
        raise HttpError(404, "Not found.") from None
    if run.state == "done":
        _viewed(request, user, "detection_run", run=run.pk, candidates=len(run.candidates))
    return _run(user, run)


class AdoptIn(Schema):
    name: str
    members: list[int] = Field(..., description="entity ids of the members, at least 2")
    summary: str = ""
    dissemination: str = "restricted"
    sharing_group_ids: list[int] = []
    source_evaluation: str = "1"
    intelligence_assessment: str = "B"
    handling_code: str = "P"
    handling_conditions: list[str] = []
    handling_conditions_text: str = ""
    exploitation_types: list[str] = []
    found_by: str = ""


@router.get("/crime-groups", response=list[dict[str, Any]], summary="Crime groups you may read, and flags")
def group_list(request: HttpRequest) -> Any:
    user = _analyst(request)
    views = selectors.group_list(user)
    _viewed(request, user, "crime_groups", **selectors.list_counts(views))
    out = []
    for v in views:
        d = v.as_dict()
        d.pop("members", None)
        out.append(d)
    return out


@router.post("/crime-groups", response={201: dict[str, Any]}, summary="Adopt a candidate as a recorded crime group")
def group_adopt(request: HttpRequest, body: AdoptIn) -> Any:
    user = _analyst(request)
    data = services.AdoptInput(
        name=body.name,
        member_ids=body.members,
        summary=body.summary,
        dissemination=body.dissemination,
        sharing_group_ids=body.sharing_group_ids,
        source_evaluation=body.source_evaluation,
        intelligence_assessment=body.intelligence_assessment,
        handling_code=body.handling_code,
        handling_conditions=body.handling_conditions,
        handling_conditions_text=body.handling_conditions_text,
        exploitation_types=body.exploitation_types,
        found_by=body.found_by or "the API",
    )
    try:
        group = services.crime_group_adopt(actor=user, data=data)
    except ValidationError as exc:
        raise InvalidInput(exc) from None
    except PermissionDenied:
        raise HttpError(404, "Not found.") from None
    return Status(201, selectors.group_view(user, group.pk).as_dict())


@router.get("/crime-groups/{group_id}", response=dict[str, Any], summary="A crime group: in full, or as a flag")
def group_detail(request: HttpRequest, group_id: int) -> Any:
    user = _analyst(request)
    try:
        view = selectors.group_view(user, group_id)
    except Http404:
        raise HttpError(404, "Not found.") from None
    _viewed(request, user, "crime_group", group=group_id, access=view.access)
    return view.as_dict()


class AssessIn(Schema):
    scores: dict[str, int]
    rationale: str
    scheme_id: int | None = None


@router.post(
    "/crime-groups/{group_id}/assessments",
    response={201: dict[str, Any]},
    summary="Record a threat assessment under the active scheme",
)
def group_assess(request: HttpRequest, group_id: int, body: AssessIn) -> Any:
    user = _analyst(request)
    try:
        view = selectors.group_view(user, group_id)
    except Http404:
        raise HttpError(404, "Not found.") from None
    if view.access != "full" or not access.may_assess(user, view.group):
        raise HttpError(404, "Not found.")
    scheme = None
    if body.scheme_id is not None:
        scheme = ThreatScheme.objects.filter(pk=body.scheme_id).first()
        if scheme is None:
            raise InvalidInput(ValidationError({"scheme_id": "No such threat scheme."}))
    try:
        assessment = services.threat_assess(
            actor=user, group=view.group, scores=body.scores, rationale=body.rationale, scheme=scheme
        )
    except ValidationError as exc:
        raise InvalidInput(exc) from None
    return Status(201, selectors.assessment_dict(assessment))


@router.get("/threat-schemes", response=list[dict[str, Any]], summary="Threat scoring schemes, active first")
def scheme_list(request: HttpRequest) -> Any:
    _analyst(request)
    schemes = sorted(ThreatScheme.objects.all(), key=lambda s: (not s.active, s.name, -s.version))
    return [
        {
            "id": s.pk,
            "name": s.name,
            "version": s.version,
            "example": s.example,
            "active": s.active,
            "description": s.description,
            "factors": s.factors,
            "bands": s.bands,
            "max_score": s.max_score,
        }
        for s in schemes
    ]
