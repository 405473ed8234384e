"""Report pages: thin views that parse, call one service or selector, and render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cairn.access import intelligence as policy
from cairn.access.capabilities import Capability
from cairn.access.policy import require
from cairn.accounts.models import User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.core.reasons import current_reason, reason_required
from cairn.entities.choices import PremisesType, SubjectRole
from cairn.entities.extraction import extract
from cairn.intelligence import selectors, services
from cairn.intelligence.choices import Dissemination
from cairn.intelligence.forms import (
    BLANK_SUBJECT_ROWS,
    MANUAL_ROW_START,
    RELATION_CHOICES,
    SUBJECT_KIND_CHOICES,
    DecisionForm,
    ReasonForm,
    ReportForm,
    SanitiseForm,
    parse_subjects,
    report_input,
)
from cairn.intelligence.models import IntelligenceReport
from cairn.intelligence.names import name_matcher_for
from cairn.linking import selectors as linking_selectors

PAGE_SIZE = 50
# Extraction kinds as the subject form names them, and the role a proposal starts with.
EXTRACTED_KIND = {"person_name": "person"}
DEFAULT_ROLE = {
    "person": SubjectRole.ASSOCIATE,
    "phone": SubjectRole.USER,
    "email": SubjectRole.USER,
    "url": SubjectRole.USER,
    "vrm": SubjectRole.USER,
    "address": SubjectRole.LOCATION,
    "postcode": SubjectRole.LOCATION,
    "iban": SubjectRole.OWNER,
    "bank_account": SubjectRole.OWNER,
    "document": SubjectRole.OWNER,
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _error_dict(exc: ValidationError) -> dict[str, list[str]]:
    return exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}


def _subject_context(request: HttpRequest) -> dict[str, Any]:
    return {
        "kind_choices": SUBJECT_KIND_CHOICES,
        "role_choices": SubjectRole.choices,
        "relation_choices": RELATION_CHOICES,
        "premises_choices": PremisesType.choices,
    }


@login_required
def report_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Capability.READ_INTELLIGENCE)
    filters = {"mine": request.GET.get("mine") == "1"}
    page = Paginator(selectors.report_list(actor=user, filters=filters), PAGE_SIZE).get_page(request.GET.get("page"))
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type="intelligence.report_list",
        detail={"filters": filters, "page": page.number},
        request=request,
    )
    return render(request, "intelligence/list.html", {"page": page, "filters": filters})


def _proposal_rows(text: str, user: User, previous: dict[tuple[str, str], dict[str, str]]) -> list[dict[str, Any]]:
    """Turn extraction candidates into subject rows, keeping what the officer already chose for each."""
    rows = []
    for cand in extract(text, matcher=name_matcher_for(user))[:MANUAL_ROW_START]:
        kind = EXTRACTED_KIND.get(cand.kind, cand.kind)
        prior = previous.get((kind, cand.value), {})
        rows.append(
            {
                "kind": kind,
                "value": prior.get("value", cand.text),
                "normalised": cand.value,
                "known": cand.known_entity_id or "",
                "role": prior.get("role", ""),
                "accept": prior.get("accept", "") == "on",
                "confidence": cand.confidence,
            }
        )
    return rows


def _previous_rows(data: Any) -> dict[tuple[str, str], dict[str, str]]:
    out: dict[tuple[str, str], dict[str, str]] = {}
    try:
        total = min(int(data.get("subject-total", "0")), 500)
    except ValueError:
        return out
    for i in range(total):
        p = f"subject-{i}-"
        if p + "proposed" in data:
            out[(data.get(p + "kind", ""), data.get(p + "normalised", ""))] = {
                "value": data.get(p + "value", ""),
                "role": data.get(p + "role", ""),
                "accept": data.get(p + "accept", ""),
            }
    return out


@login_required
@require_POST
def extract_subjects(request: HttpRequest) -> HttpResponse:
    """HTMX: propose subjects for the text typed so far. Never blocks saving; errors show as no proposals."""
    user = _user(request)
    require(user, Capability.SUBMIT_INTELLIGENCE)
    rows = _proposal_rows(request.POST.get("text", ""), user, _previous_rows(request.POST))
    return render(request, "intelligence/_proposals.html", {"proposals": rows, **_subject_context(request)})


@login_required
@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Capability.SUBMIT_INTELLIGENCE)
    form = ReportForm(request.POST or None, organisation_id=user.organisation_id)
    errors: dict[str, list[str]] = {}
    proposals: list[dict[str, Any]] = []
    manual = [
        {"i": i, "row": {k: request.POST.get(f"subject-{i}-{k}", "") for k in ("kind", "value", "role")}}
        for i in range(MANUAL_ROW_START, MANUAL_ROW_START + BLANK_SUBJECT_ROWS)
    ]
    if request.method == "POST":
        proposals = _proposal_rows(request.POST.get("text", ""), user, _previous_rows(request.POST))
        if form.is_valid():
            try:
                report = services.report_submit(actor=user, data=report_input(form, parse_subjects(request.POST)))
            except ValidationError as exc:
                errors = _error_dict(exc)
            except PermissionDenied as exc:
                errors = {"__all__": [str(exc)]}
            else:
                messages.success(request, f"Report {report.reference} saved.")
                return redirect("intelligence:detail", pk=report.pk)
    context = {
        "form": form,
        "errors": errors,
        "proposals": proposals,
        "manual": manual,
        "subject_total": MANUAL_ROW_START + BLANK_SUBJECT_ROWS,
        **_subject_context(request),
    }
    return render(request, "intelligence/new.html", context, status=422 if errors else 200)


def _read_reason(request: HttpRequest) -> str:
    return current_reason(request)


SENSITIVE_LEVELS = {Dissemination.RESTRICTED, Dissemination.CONFIDENTIAL}


def _opened_report(request: HttpRequest, pk: int) -> tuple[User, IntelligenceReport]:
    """The report ``pk`` for reading in full, or 404."""
    user = _user(request)
    require(user, Capability.READ_INTELLIGENCE)
    report = selectors.report_for_reading(actor=user, report_id=pk)
    if report is None:
        # A report you know only by flag is reached through the flag's token, never its id
        # (cairn.access.flags): by id it is as if there were no such report.
        raise Http404
    return user, report


def _record_reading(
    request: HttpRequest,
    user: User,
    report: IntelligenceReport,
    *,
    object_type: str,
    object_repr: str,
    dissemination: str,
    detail: dict[str, Any] | None = None,
) -> HttpResponse | None:
    """Audit a reading of ``report`` (or one of its revisions, at ``dissemination``, the level of what is
    read); first ask for a reason if that level needs one."""
    if dissemination in SENSITIVE_LEVELS and (needs := reason_required(request)):
        return needs
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        obj=report,
        object_type=object_type,
        object_repr=object_repr,
        reason=_read_reason(request),
        request=request,
        detail=detail,
        subject_organisation=report.organisation,
    )
    return None


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user, report = _opened_report(request, pk)
    needs = _record_reading(
        request,
        user,
        report,
        object_type="intelligence.report",
        object_repr=report.reference,
        dissemination=report.dissemination,
        detail={"access": "full", "dissemination": report.dissemination},
    )
    if needs is not None:
        return needs
    context = {
        "report": report,
        "subjects": selectors.report_subjects(actor=user, report=report),
        "revisions": selectors.report_revisions(actor=user, report=report),
        "sanitised_versions": policy.reports_visible_to(user).filter(sanitised_from=report),
        "can_edit": policy.can_edit(user, report),
        "can_supervise": policy.can_supervise(user, report),
        "correlations": linking_selectors.report_correlations(actor=user, report=report),
    }
    return render(request, "intelligence/detail.html", context)


@login_required
def revision_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    user, report = _opened_report(request, pk)
    revision = selectors.report_revision(actor=user, report=report, number=number)
    if revision is None:
        raise Http404
    # A revision read at the wider of its own level and the report's: one that was confidential asks for a
    # reason even if the report is shared now.
    levels = {report.dissemination, revision.snapshot.get("dissemination", "")}
    needs = _record_reading(
        request,
        user,
        report,
        object_type="intelligence.report_revision",
        object_repr=f"{report.reference} r{number}",
        dissemination=next((level for level in levels if level in SENSITIVE_LEVELS), report.dissemination),
    )
    if needs is not None:
        return needs
    return render(request, "intelligence/revision.html", {"report": report, "revision": revision})


def _editable_report(request: HttpRequest, pk: int, *, supervise: bool) -> tuple[User, IntelligenceReport]:
    user = _user(request)
    report = selectors.report_for_reading(actor=user, report_id=pk)
    allowed = report is not None and (
        policy.can_supervise(user, report) if supervise else policy.can_edit(user, report)
    )
    if not allowed:
        raise Http404
    assert report is not None
    return user, report


def _initial(report: IntelligenceReport) -> dict[str, Any]:
    return {
        "text": report.text,
        "occurred_on": report.occurred_on,
        "source_evaluation": report.source_evaluation,
        "intelligence_assessment": report.intelligence_assessment,
        "handling_code": report.handling_code,
        "handling_conditions": report.handling_conditions,
        "handling_conditions_text": report.handling_conditions_text,
        "classification": report.classification,
        "exploitation_types": report.exploitation_types,
        "dissemination": report.dissemination,
        "sharing_groups": list(report.sharing_groups.all()),
    }


def _changes(form: ReportForm) -> tuple[dict[str, Any], list[int]]:
    c = form.cleaned_data
    changes = {
        k: c.get(k)
        for k in (
            "text",
            "occurred_on",
            "source_evaluation",
            "intelligence_assessment",
            "handling_code",
            "handling_conditions_text",
            "classification",
            "dissemination",
        )
    }
    changes["handling_conditions"] = list(c.get("handling_conditions") or [])
    changes["exploitation_types"] = list(c.get("exploitation_types") or [])
    changes["text"] = changes["text"] or ""
    changes["handling_conditions_text"] = changes["handling_conditions_text"] or ""
    return changes, [g.pk for g in c.get("sharing_groups") or []]


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_page(request, pk, supervise=False)


@login_required
@require_http_methods(["GET", "POST"])
def report_review(request: HttpRequest, pk: int) -> HttpResponse:
    return _change_page(request, pk, supervise=True)


def _change_page(request: HttpRequest, pk: int, *, supervise: bool) -> HttpResponse:
    user, report = _editable_report(request, pk, supervise=supervise)
    form = ReportForm(request.POST or None, initial=_initial(report), organisation_id=report.organisation_id)
    reason = (request.POST.get("reason") or "").strip()
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.is_valid():
        changes, groups = _changes(form)
        try:
            if supervise:
                services.report_review(
                    actor=user, report=report, changes=changes, reason=reason, sharing_group_ids=groups
                )
            else:
                services.report_edit(
                    actor=user, report=report, changes=changes, reason=reason, sharing_group_ids=groups
                )
        except ValidationError as exc:
            errors = _error_dict(exc)
        else:
            messages.success(
                request, f"{report.reference} {'reviewed' if supervise else 'updated'}: revision {report.revision + 1}."
            )
            return redirect("intelligence:detail", pk=report.pk)
    return render(
        request,
        "intelligence/change.html",
        {
            "form": form,
            "report": report,
            "errors": errors,
            "supervise": supervise,
            "reason": reason,
        },
        status=422 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_sanitise(request: HttpRequest, pk: int) -> HttpResponse:
    user, report = _editable_report(request, pk, supervise=True)
    subjects = selectors.report_subjects(actor=user, report=report)
    form = SanitiseForm(request.POST or None)
    form.fields["keep"].choices = [(str(s.entity.pk), f"{s.value} ({s.role})") for s in subjects]  # type: ignore[attr-defined]
    errors: dict[str, list[str]] = {}
    if request.method == "POST" and form.is_valid():
        try:
            version = services.sanitised_version_create(
                actor=user,
                report=report,
                text=form.cleaned_data["text"],
                dissemination=form.cleaned_data["dissemination"],
                subject_entity_ids=[int(i) for i in form.cleaned_data["keep"]],
            )
        except ValidationError as exc:
            errors = _error_dict(exc)
        else:
            messages.success(request, f"Sanitised version {version.reference} authorised.")
            return redirect("intelligence:detail", pk=version.pk)
    return render(
        request,
        "intelligence/sanitise.html",
        {"form": form, "report": report, "errors": errors},
        status=422 if errors else 200,
    )


@login_required
@require_POST
def request_access(request: HttpRequest, token: str) -> HttpResponse:
    user = _user(request)
    require(user, Capability.READ_INTELLIGENCE)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give a reason for the request.")
        return redirect("intelligence:flag", token=token)
    try:
        services.access_request_create(actor=user, flag_token=token, reason=form.cleaned_data["reason"])
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in _error_dict(exc).values() for m in ms))
        return redirect("intelligence:flag", token=token)
    messages.success(request, "Your request has gone to the originating organisation's supervisors.")
    return redirect("intelligence:flag", token=token)


@login_required
def flag_detail(request: HttpRequest, token: str) -> HttpResponse:
    """A flag: who holds restricted intelligence on a subject, whom to call, and the request for it."""
    user = _user(request)
    require(user, Capability.READ_INTELLIGENCE)
    flag = services.flag_open(actor=user, token=token, reason=_read_reason(request), request=request)
    if flag is None:
        raise Http404
    context = {"flag": flag, "form": ReasonForm(), "pending": selectors.pending_request(actor=user, flag=flag)}
    return render(request, "intelligence/flag.html", context)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Capability.SUPERVISE_INTELLIGENCE)
    queue = selectors.review_queue(actor=user)
    audit.record(action=AuditAction.VIEW, actor=user, object_type="intelligence.review_queue", request=request)
    return render(request, "intelligence/queue.html", {**queue, "decision_form": DecisionForm()})


@login_required
@require_POST
def decide_request(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    require(user, Capability.SUPERVISE_INTELLIGENCE)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose grant or refuse and give the reason.")
        return redirect("intelligence:queue")
    try:
        decided = services.access_request_decide(
            actor=user,
            request_id=pk,
            grant=form.cleaned_data["decision"] == "grant",
            reason=form.cleaned_data["reason"],
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(m for ms in _error_dict(exc).values() for m in ms))
        return redirect("intelligence:queue")
    messages.success(request, f"Request {decided.get_status_display().lower()}.")
    return redirect("intelligence:queue")
