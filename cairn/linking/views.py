"""Linking pages: the review queue, a proposal side by side, a resolved person, noise and re-resolution runs."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from cairn.access import linking as access
from cairn.access.capabilities import Capability
from cairn.access.policy import require
from cairn.accounts.models import User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.core.reasons import current_reason, reason_required
from cairn.linking import runs, selectors, services
from cairn.linking.choices import Decision
from cairn.linking.models import ResolutionRun

PAGE_SIZE = 25


def _analyst(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    if not access.may_link(user):
        raise Http404
    return user


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form was on, if it is one of ours."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


def _errors(exc: ValidationError) -> str:
    return " ".join(m for msgs in exc.message_dict.values() for m in msgs)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    user = _analyst(request)
    page = Paginator(selectors.review_queue(actor=user).select_related("left", "right"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type="linking.review_queue",
        request=request,
        detail={"page": page.number, "shown": len(page.object_list)},
    )
    return render(request, "linking/queue.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _analyst(request)
    proposal = selectors.proposal_for(actor=user, proposal_id=pk)
    if proposal is None:
        raise Http404
    if needs := reason_required(request):
        return needs
    error = ""
    if request.method == "POST":
        try:
            services.judge(
                actor=user,
                proposal_id=pk,
                decision=request.POST.get("decision", ""),
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as exc:
            error = _errors(exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            messages.success(request, "Judgement recorded.")
            return redirect("linking:proposal", pk=pk)
    facts = selectors.record_facts(actor=user, entity_ids=[proposal.left_id, proposal.right_id])
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type="linking.proposal",
        object_id=pk,
        reason=current_reason(request),
        request=request,
    )
    context: dict[str, Any] = {
        "proposal": proposal,
        "left": facts.get(proposal.left_id),
        "right": facts.get(proposal.right_id),
        "judgements": proposal.judgements.select_related("judged_by", "undone_by"),
        "decisions": Decision.choices,
        "error": error,
        "posted": request.POST if request.method == "POST" else {},
    }
    return render(request, "linking/proposal.html", context)


@login_required
def person_detail(request: HttpRequest, entity_id: int) -> HttpResponse:
    """A merged person: each viewer sees only the records and facts they may read, and flags for the rest."""
    user = request.user
    assert isinstance(user, User)
    require(user, Capability.READ_INTELLIGENCE)
    person = selectors.resolved_person(actor=user, entity_id=entity_id)
    if person is None:
        raise Http404
    if needs := reason_required(request):
        return needs
    cluster, readable, facts, flags = person.cluster, person.readable, person.facts, person.flags
    proposals = access.proposals_visible_to(user).filter(left_id__in=readable, right_id__in=readable)
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type="linking.person",
        object_id=entity_id,
        reason=current_reason(request),
        request=request,
        detail={"records_shown": len(readable), "flags": len(flags)},
    )
    context = {
        "entity_id": entity_id,
        "records": [facts[i] for i in sorted(facts)],
        "flags": flags,
        "merged": person.merged,
        # As ``services.split`` decides: every record of the person read in full.
        "can_split": person.merged
        and access.may_link(user)
        and access.fully_readable_entity_ids(user, cluster) == cluster,
        "judgements": access.judgements_visible_to(user)
        .filter(proposal__in=proposals, decision=Decision.SAME, undone_at__isnull=True)
        .select_related("proposal", "judged_by"),
        "can_link": access.may_link(user),
    }
    return render(request, "linking/person.html", context)


@login_required
@require_POST
def person_split(request: HttpRequest, entity_id: int) -> HttpResponse:
    user = _analyst(request)
    try:
        undone = services.split(actor=user, entity_id=entity_id, reason=request.POST.get("reason", ""))
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    except PermissionDenied:
        raise Http404 from None
    else:
        messages.success(request, f"Split: {undone} judgement(s) undone; every record stands alone again.")
    return redirect("linking:person", entity_id=entity_id)


@login_required
@require_POST
def judgement_undo(request: HttpRequest, pk: int) -> HttpResponse:
    user = _analyst(request)
    try:
        services.judgement_undo(actor=user, judgement_id=pk, reason=request.POST.get("reason", ""))
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, "Judgement undone.")
    return _back(request, "linking:queue")


@login_required
@require_http_methods(["GET", "POST"])
def noise(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    require(user, Capability.SUPERVISE_INTELLIGENCE)
    if request.method == "POST":
        entity_id = request.POST.get("entity_id", "")
        try:
            if not entity_id.isdigit():
                raise ValidationError({"entity": "Choose a selector."})
            if request.POST.get("action") == "clear":
                services.noise_clear(actor=user, entity_id=int(entity_id), reason=request.POST.get("reason", ""))
                messages.success(request, "The selector links reports again.")
            else:
                services.noise_mark(actor=user, entity_id=int(entity_id), reason=request.POST.get("reason", ""))
                messages.success(request, "Marked as noise: it no longer links reports or raises hits.")
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        return _back(request, "linking:noise")
    marks = access.noise_marks_visible_to(user).select_related("entity", "marked_by__organisation")
    return render(request, "linking/noise.html", {"marks": marks})


@login_required
@require_http_methods(["GET", "POST"])
def resolution_runs(request: HttpRequest) -> HttpResponse:
    user = _analyst(request)
    if request.method == "POST":
        run = runs.start(actor=user)
        messages.success(request, f"Re-resolution run {run.pk} queued.")
        return redirect("linking:runs")
    # Never a run's own total of proposals: it counts pairs hidden from this analyst.
    recent = list(ResolutionRun.objects.all()[:20])
    counts = selectors.run_proposals_for(actor=user, runs=recent)
    shown = [(run, counts[run.pk]) for run in recent]
    return render(request, "linking/runs.html", {"runs": shown})
