from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from cairn.access.capabilities import AVAILABLE_NOW, Capability
from cairn.access.policy import capabilities
from cairn.core.reasons import MAX_REASON, current_reason, set_reason


@login_required
def home(request: HttpRequest) -> HttpResponse:
    caps = capabilities(request.user)
    rows = [
        {"label": cap.label, "available": cap in AVAILABLE_NOW, "code": cap.value} for cap in Capability if cap in caps
    ]
    return render(request, "core/home.html", {"capability_rows": rows})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "core/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "core/500.html", status=500)


@login_required
@require_http_methods(["GET", "POST"])
def reason(request: HttpRequest) -> HttpResponse:
    """State (or change) the reason for this session's views and searches of sensitive material."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("core:home")
    error = ""
    if request.method == "POST":
        text = (request.POST.get("reason") or "").strip()
        if not text:
            error = "Give a reason: a reference number or a few words on why you need it."
        elif len(text) > MAX_REASON:
            error = f"Keep it under {MAX_REASON} characters."
        else:
            set_reason(request, text)
            return HttpResponseRedirect(target)
    context = {"next": target, "error": error, "current": current_reason(request)}
    return render(request, "core/reason.html", context, status=422 if error else 200)
