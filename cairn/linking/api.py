"""Linking over the API: correlations, the review queue, judgements, merged people, noise and runs."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from cairn.access import linking as access
from cairn.access.capabilities import Capability
from cairn.access.policy import can
from cairn.accounts.models import User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.intelligence.api import InvalidInput
from cairn.intelligence.selectors import report_for_reading
from cairn.linking import runs, selectors, services

router = Router(tags=["linking"])
MAX_PAGE_SIZE = 100


def _user(request: HttpRequest, capability: Capability = Capability.READ_INTELLIGENCE) -> User:
    user = request.user
    assert isinstance(user, User)
    if not can(user, capability):
        raise HttpError(404, "Not found.")
    return user


def _analyst(request: HttpRequest) -> User:
    user = _user(request)
    if not access.may_link(user):
        raise HttpError(404, "Not found.")
    return user


def _invalid(exc: ValidationError) -> InvalidInput:
    return InvalidInput(exc)


class CounterpartOut(Schema):
    report_id: int | None = Field(description="The report, if you may read it; null for a flag")
    reference: str
    flag: str = Field(description="A flag's token (GET /flags/{token}); empty for a report you may read")
    organisation: str
    contact_point: str
    access: str


class CorrelationOut(Schema):
    entity_id: int
    kind: str
    value: str
    noise: bool
    counterparts: list[CounterpartOut]
    more: int


@router.get(
    "/reports/{report_id}/correlations",
    response=list[CorrelationOut],
    summary="Other reports on this report's selectors",
)
def correlations(request: HttpRequest, report_id: int) -> Any:
    """Reports of any organisation that name the same selectors; restricted ones come back as flags (no reference)."""
    user = _user(request)
    report = report_for_reading(actor=user, report_id=report_id)
    if report is None:
        raise HttpError(404, "Not found.")
    found = selectors.report_correlations(actor=user, report=report)
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type="intelligence.report_correlations",
        object_id=report_id,
        request=request,
        subject_organisation=report.organisation,
        detail={"selectors": len(found)},
    )
    return [
        {
            "entity_id": c.entity.pk,
            "kind": c.entity.kind,
            "value": c.value,
            "noise": c.noise,
            "counterparts": [vars(o) for o in c.counterparts],
            "more": c.more,
        }
        for c in found
    ]


class ProposalOut(Schema):
    id: int
    left_id: int
    right_id: int
    probability: float
    match_weight: float
    cross_organisation: bool
    source: str
    decision: str
    explanation: list[dict[str, Any]]


def _proposal(p: Any) -> dict[str, Any]:
    return {
        "id": p.pk,
        "left_id": p.left_id,
        "right_id": p.right_id,
        "probability": p.probability,
        "match_weight": p.match_weight,
        "cross_organisation": p.cross_organisation,
        "source": p.source,
        "decision": p.decision,
        "explanation": p.explanation,
    }


class ProposalPage(Schema):
    total: int
    page: int
    items: list[ProposalOut]


@router.get("/proposals", response=ProposalPage, summary="The review queue: proposed matches you may judge")
def proposal_list(request: HttpRequest, page: int = 1, size: int = 25) -> Any:
    user = _analyst(request)
    if page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
        raise HttpError(400, f"page must be 1 or more and size between 1 and {MAX_PAGE_SIZE}.")
    queue = selectors.review_queue(actor=user)
    total = queue.count()
    items = list(queue[(page - 1) * size : page * size])
    audit.record(
        action=AuditAction.VIEW, actor=user, object_type="linking.review_queue", request=request, detail={"page": page}
    )
    return {"total": total, "page": page, "items": [_proposal(p) for p in items]}


class RecordOut(Schema):
    entity_id: int
    report_id: int | None
    reference: str
    organisation: str
    names: list[str]
    dates_of_birth: list[str]
    nationalities: list[str]
    roles: list[str]
    selectors: list[str]


class ProposalDetailOut(ProposalOut):
    left: RecordOut | None
    right: RecordOut | None


@router.get("/proposals/{proposal_id}", response=ProposalDetailOut, summary="One proposal, side by side")
def proposal_detail(request: HttpRequest, proposal_id: int) -> Any:
    user = _analyst(request)
    proposal = selectors.proposal_for(actor=user, proposal_id=proposal_id)
    if proposal is None:
        raise HttpError(404, "Not found.")
    facts = selectors.record_facts(actor=user, entity_ids=[proposal.left_id, proposal.right_id])
    audit.record(
        action=AuditAction.VIEW, actor=user, object_type="linking.proposal", object_id=proposal_id, request=request
    )
    left, right = facts.get(proposal.left_id), facts.get(proposal.right_id)
    return {**_proposal(proposal), "left": vars(left) if left else None, "right": vars(right) if right else None}


class JudgementIn(Schema):
    decision: str
    reason: str = ""


class JudgementOut(Schema):
    id: int
    proposal_id: int
    decision: str
    reason: str
    automatic: bool


@router.post(
    "/proposals/{proposal_id}/judgements", response={201: JudgementOut}, summary="Judge: same, not_same or unsure"
)
def proposal_judge(request: HttpRequest, proposal_id: int, body: JudgementIn) -> Any:
    user = _analyst(request)
    try:
        j = services.judge(actor=user, proposal_id=proposal_id, decision=body.decision, reason=body.reason)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    except PermissionDenied as exc:
        raise HttpError(404, "Not found.") from exc
    return Status(
        201, {"id": j.pk, "proposal_id": proposal_id, "decision": j.decision, "reason": j.reason, "automatic": False}
    )


class ReasonIn(Schema):
    reason: str


@router.post(
    "/judgements/{judgement_id}/undo", response={204: None}, summary="Undo a judgement (e.g. an automatic merge)"
)
def judgement_undo(request: HttpRequest, judgement_id: int, body: ReasonIn) -> Any:
    user = _analyst(request)
    try:
        services.judgement_undo(actor=user, judgement_id=judgement_id, reason=body.reason)
    except PermissionDenied as exc:
        raise HttpError(404, "Not found.") from exc
    return Status(204, None)


class PersonOut(Schema):
    entity_id: int
    merged: bool
    records: list[RecordOut]
    flags: list[dict[str, Any]]


@router.get("/people/{entity_id}", response=PersonOut, summary="A (possibly merged) person: the records you may read")
def person(request: HttpRequest, entity_id: int) -> Any:
    user = _user(request)
    person = selectors.resolved_person(actor=user, entity_id=entity_id)
    if person is None:
        raise HttpError(404, "Not found.")
    facts, flags = person.facts, person.flags
    audit.record(
        action=AuditAction.VIEW, actor=user, object_type="linking.person", object_id=entity_id, request=request
    )
    return {
        "entity_id": entity_id,
        "merged": person.merged,
        "records": [vars(facts[i]) for i in sorted(facts)],
        "flags": [{"organisation": f.organisation, "contact_point": f.contact_point, "flag": f.token} for f in flags],
    }


@router.post("/people/{entity_id}/split", response={200: dict[str, int]}, summary="Split a merged person")
def person_split(request: HttpRequest, entity_id: int, body: ReasonIn) -> Any:
    user = _analyst(request)
    try:
        undone = services.split(actor=user, entity_id=entity_id, reason=body.reason)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    except PermissionDenied as exc:
        raise HttpError(404, "Not found.") from exc
    return Status(200, {"judgements_undone": undone})


class NoiseIn(Schema):
    entity_id: int
    reason: str


@router.post("/noise", response={201: dict[str, int]}, summary="Mark a very common selector as noise")
def noise_mark(request: HttpRequest, body: NoiseIn) -> Any:
    user = _user(request, Capability.SUPERVISE_INTELLIGENCE)
    try:
        services.noise_mark(actor=user, entity_id=body.entity_id, reason=body.reason)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    return Status(201, {"entity_id": body.entity_id})


@router.delete("/noise/{entity_id}", response={204: None}, summary="Let a selector link reports again")
def noise_clear(request: HttpRequest, entity_id: int, reason: str) -> Any:
    user = _user(request, Capability.SUPERVISE_INTELLIGENCE)
    try:
        services.noise_clear(actor=user, entity_id=entity_id, reason=reason)
    except ValidationError as exc:
        raise _invalid(exc) from exc
    return Status(204, None)


class RunOut(Schema):
    id: int
    state: str
    stage: str
    percent: int  # not the count of records: it counts records the viewer may not know of
    proposals_created: int


def _run(r: Any, user: User) -> dict[str, Any]:
    return {
        "id": r.pk,
        "state": r.state,
        "stage": r.stage,
        "percent": r.percent,
        # Only those this analyst may judge: the run's own total counts pairs hidden from them.
        "proposals_created": selectors.run_proposals_for(actor=user, runs=[r])[r.pk],
    }


@router.post("/resolution-runs", response={202: RunOut}, summary="Queue a re-resolution of every person record")
def run_start(request: HttpRequest) -> Any:
    user = _analyst(request)
    return Status(202, _run(runs.start(actor=user), user))


@router.get("/resolution-runs/{run_id}", response=RunOut, summary="A run's progress")
def run_detail(request: HttpRequest, run_id: int) -> Any:
    user = _analyst(request)
    from cairn.linking.models import ResolutionRun

    run = ResolutionRun.objects.filter(pk=run_id).first()
    if run is None:
        raise HttpError(404, "Not found.")
    return _run(run, user)
