"""Search over the API: the same search as the page, paged, in a stable order."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from cairn.access.capabilities import Capability
from cairn.access.policy import can
from cairn.accounts.models import User
from cairn.core.reasons import clean_reason
from cairn.notifications.models import Notification
from cairn.search import services
from cairn.search.choices import QueryKind
from cairn.search.models import Watch
from cairn.search.selectors import SearchInputError, search
from cairn.search.views import _page, asked, filters_from, record_search

router = Router(tags=["search"])


class ReportRefOut(Schema):
    id: int
    reference: str
    organisation: str
    created_at: datetime


class HitOut(Schema):
    entity_id: int
    label: str
    kind: str
    score: float
    why: list[str]
    birth_date: str
    nationality: str
    reports: list[ReportRefOut]
    reports_capped: bool  # only the newest reports are listed (a selector named in very many)
    merged_with: list[int] = Field(
        default_factory=list,
        description="The person's other records you read in full that analysts judged the same person",
    )


class FlagHitOut(Schema):
    token: str = Field(description="How you address the flag (GET /flags/{token}); never the report's id")
    organisation: str
    organisation_code: str
    contact_point: str
    recorded_on: date = Field(description="The day the report was recorded (no time: it would mark the report)")
    exploitation_types: list[str]


class SearchOut(Schema):
    query: str
    kind: str
    understood_as: str
    normalised: str
    total: int
    total_is_capped: bool
    page: int
    pages: int
    message: str
    did_you_mean: str = Field("", description="a corrected query finding reports you may read, when yours found none")
    tied_at_top: int = Field(
        0,
        description="people matching a name as well as the best (5 or more), searched without a date of birth or "
        "nationality, which would tell them apart; else 0",
    )
    hits: list[HitOut]
    reports: list[ReportRefOut]
    flags: list[FlagHitOut]
    facets: dict[str, list[tuple[str, int]]]


class WatchIn(Schema):
    query: str
    kind: str = QueryKind.AUTO
    reason: str = ""  # a watch is a standing search: it needs a reason as a search does


class WatchOut(Schema):
    id: int
    kind: str
    query: str


class NotificationOut(Schema):
    id: int
    kind: str
    text: str
    link: str
    read: bool


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not can(user, Capability.SEARCH):
        raise HttpError(404, "Not found.")
    return user


@router.get("/search", response=SearchOut, summary="Search people, selectors or words across every organisation")
def search_api(
    request: HttpRequest,
    q: str,
    kind: str = QueryKind.AUTO,
    dob: str = "",
    nationality: str = "",
    organisation: str = "",
    date_from: str = "",
    date_to: str = "",
    exploitation_type: str = "",
    source_evaluation: str = "",
    intelligence_assessment: str = "",
    premises_type: str = "",
    entity_type: str = "",
    page: str = "1",
    reason: str = "",
) -> Any:
    """Names match any spelling; selectors match however written; restricted matches come back as flags.

    A reason (a reference or a few words) is required, as on the page, and recorded.
    """
    user = _user(request)
    reason = clean_reason(reason)
    if settings.AUDIT_REQUIRE_JUSTIFICATION and not reason:
        raise HttpError(422, "Give a reason (&reason=...) for the search: a reference or a few words.")
    params = {
        "kind": kind,
        "dob": dob,
        "nationality": nationality,
        "organisation": organisation,
        "date_from": date_from,
        "date_to": date_to,
        "exploitation_type": exploitation_type,
        "source_evaluation": source_evaluation,
        "intelligence_assessment": intelligence_assessment,
        "premises_type": premises_type,
        "entity_type": entity_type,
    }
    try:
        result = search(
            actor=user,
            query=q,
            kind=kind,
            dob=dob,
            nationality=nationality,
            filters=filters_from(params),
            page=_page(page),
        )
    except SearchInputError as exc:
        raise HttpError(422, str(exc)) from exc
    record_search(request, user, result, api=True, reason=reason, criteria=asked(params))
    return {
        **{
            k: getattr(result, k)
            for k in (
                "query",
                "kind",
                "understood_as",
                "normalised",
                "total",
                "total_is_capped",
                "page",
                "pages",
                "message",
                "did_you_mean",
                "tied_at_top",
                "facets",
            )
        },
        "hits": [{**h.__dict__, "reports": [r.__dict__ for r in h.reports]} for h in result.hits],
        "reports": [r.__dict__ for r in result.reports],
        "flags": [f.__dict__ for f in result.flags],
    }


@router.get("/watches", response=list[WatchOut], summary="Your active watches")
def list_watches(request: HttpRequest) -> Any:
    user = _user(request)
    return list(Watch.objects.filter(owner=user, active=True).values("id", "kind", "query"))


@router.post("/watches", response={201: WatchOut}, summary="Watch a person, selector or words")
def create_watch(request: HttpRequest, payload: WatchIn) -> Any:
    user = _user(request)
    reason = clean_reason(payload.reason)
    if settings.AUDIT_REQUIRE_JUSTIFICATION and not reason:
        raise HttpError(422, 'Give a reason ("reason": ...) for the watch: a reference or a few words.')
    try:
        watch = services.watch_create(actor=user, query=payload.query, kind=payload.kind, reason=reason)
    except ValidationError as exc:
        raise HttpError(422, " ".join(exc.messages)) from exc
    return Status(201, {"id": watch.pk, "kind": watch.kind, "query": watch.query})


@router.delete("/watches/{watch_id}", response={204: None}, summary="Stop a watch")
def stop_watch(request: HttpRequest, watch_id: int) -> Any:
    user = _user(request)
    services.watch_stop(actor=user, watch_id=watch_id)
    return Status(204, None)


@router.get("/notifications", response=list[NotificationOut], summary="Your newest notifications")
def notifications(request: HttpRequest) -> Any:
    user = request.user
    assert isinstance(user, User)
    return [
        {"id": n.pk, "kind": n.kind, "text": n.text, "link": n.link, "read": n.read_at is not None}
        for n in Notification.objects.filter(recipient=user)[:100]
    ]
