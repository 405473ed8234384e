"""Crime-group pages: the list, group detection runs, adoption, the group record and its threat assessment."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cairn.access import groups as access
from cairn.access.linking import readable_entity_ids
from cairn.accounts.models import User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.core.reasons import current_reason, reason_required
from cairn.groups import detection, selectors, services
from cairn.groups.choices import RunState
from cairn.groups.forms import AdoptForm
from cairn.groups.models import ThreatScheme


def _analyst(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not access.may_adopt(user):
        raise Http404
    return user


def _viewed(request: HttpRequest, user: User, what: str, **detail: Any) -> None:
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type=f"groups.{what}",
        request=request,
        reason=current_reason(request),
        detail=detail,
    )


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    user = _analyst(request)
    if needs := reason_required(request):  # what it shows is intelligence: consulted for a stated reason
        return needs
    views = selectors.group_list(user)
    _viewed(request, user, "crime_groups", **selectors.list_counts(views))
    return render(
        request,
        "groups/list.html",
        {"groups": views, "runs": selectors.runs_for(user), "scheme": selectors.active_scheme()},
    )


@login_required
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    user = _analyst(request)
    run = detection.start(actor=user)
    messages.success(request, "Group detection started. This page shows its progress.")
    return redirect("groups:run", pk=run.pk)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _analyst(request)
    if needs := reason_required(request):  # what it shows is intelligence: consulted for a stated reason
        return needs
    run = selectors.run_for(user, pk)
    candidates = selectors.candidates_now(user, run) if run.state == RunState.DONE else []
    if run.state == RunState.DONE:
        _viewed(request, user, "detection_run", run=run.pk, candidates=len(candidates))
    return render(
        request,
        "groups/run.html",
        {"run": run, "candidates": candidates, "running": run.state in (RunState.QUEUED, RunState.RUNNING)},
    )


def _ids(raw: str) -> list[int]:
    return list(dict.fromkeys(int(p) for p in raw.replace(" ", "").split(",") if p.isdigit()))[: services.MAX_MEMBERS]


def _offered(user: User, member_ids: list[int]) -> list[tuple[int, str]]:
    """The members offered for adoption: only what the analyst may read (an id typed in shows nothing)."""
    readable = readable_entity_ids(user, member_ids) if member_ids else set()
    labels = selectors.member_labels(user, [e for e in member_ids if e in readable])
    members = sorted((selectors.Member(e, *labels[e]) for e in labels), key=lambda m: (m.kind, m.label.lower()))
    return [(m.entity_id, f"{m.kind_label}: {m.label}") for m in members]


@login_required
@require_http_methods(["GET", "POST"])
def adopt(request: HttpRequest) -> HttpResponse:
    user = _analyst(request)
    if request.method == "GET" and (needs := reason_required(request)):
        return needs
    source = request.GET if request.method == "GET" else request.POST
    offered_ids = _ids(source.get("members" if request.method == "GET" else "offered", ""))
    offered = _offered(user, offered_ids)
    errors: dict[str, list[str]] = {}
    if request.method == "GET":
        # The page shows each offered member's number or name: a view of them, like an entity page.
        _viewed(request, user, "adoption", entities=[e for e, _ in offered])
        form = AdoptForm(
            initial={
                "members": [str(e) for e, _ in offered],
                "offered": ",".join(str(e) for e, _ in offered),
                "found_by": request.GET.get("found_by", "")[:100],
            },
            members=offered,
            organisation_id=user.organisation_id,
        )
    else:
        form = AdoptForm(request.POST, members=offered, organisation_id=user.organisation_id)
        if form.is_valid():
            try:
                group = services.crime_group_adopt(actor=user, data=form.adopt_input())
            except ValidationError as exc:
                errors = exc.message_dict
            except PermissionDenied:
                raise Http404 from None
            else:
                messages.success(request, f"Recorded crime group {group.reference} {group.name}.")
                return redirect("groups:detail", pk=group.pk)
        else:
            errors = {
                str(form.fields[k].label) if k in form.fields else k: [str(m) for m in v]
                for k, v in form.errors.items()
            }
    status = 422 if request.method == "POST" else 200
    return render(request, "groups/adopt.html", {"form": form, "errors": errors, "offered": offered}, status=status)


@login_required
def group_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _analyst(request)
    if needs := reason_required(request):  # what it shows is intelligence: consulted for a stated reason
        return needs
    view = selectors.group_view(user, pk)
    _viewed(request, user, "crime_group", group=pk, access=view.access)
    scheme = selectors.active_scheme()
    context: dict[str, Any] = {"view": view, "scheme": scheme, "may_assess": False}
    if view.access == "full":
        context["may_assess"] = scheme is not None and access.may_assess(user, view.group)
        context["member_ids"] = ",".join(str(m.entity_id) for m in view.members)
    return render(request, "groups/detail.html", context)


@login_required
@require_POST
def assess(request: HttpRequest, pk: int) -> HttpResponse:
    user = _analyst(request)
    view = selectors.group_view(user, pk)
    if view.access != "full" or not access.may_assess(user, view.group):
        raise Http404
    scheme = selectors.active_scheme()
    scores = {f["key"]: request.POST.get(f"score_{f['key']}", "") for f in (scheme.factors if scheme else [])}
    try:
        assessment = services.threat_assess(
            actor=user, group=view.group, scores=scores, rationale=request.POST.get("rationale", ""), scheme=scheme
        )
    except ValidationError as exc:
        messages.error(request, " ".join(m for msgs in exc.message_dict.values() for m in msgs))
        return redirect("groups:detail", pk=pk)
    messages.success(request, f"Threat assessment recorded: {assessment.band} ({assessment.total:g}).")
    return redirect("groups:detail", pk=pk)


@login_required
def schemes(request: HttpRequest) -> HttpResponse:
    _analyst(request)
    return render(request, "groups/schemes.html", {"schemes": ThreatScheme.objects.all()})
