from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cairn.access.capabilities import AVAILABLE_NOW, Capability
from cairn.access.policy import capabilities


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
