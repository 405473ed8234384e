"""The stated reason for consulting sensitive intelligence (DPA 2018 Part 3, s.62).

A person states a reason once (a reference number or a few words) and it is
remembered for the session; every audited view of restricted or confidential
material carries it. ``AUDIT_REQUIRE_JUSTIFICATION`` switches the requirement
off once the 2025 amendment is commenced.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from cairn.core.text import one_line

SESSION_KEY = "cairn_reason"
MAX_REASON = 300


def clean_reason(text: str) -> str:
    """A reason as typed, on one line: control characters are no part of it (and a NUL byte cannot be audited)."""
    return one_line(text, MAX_REASON)


def current_reason(request: HttpRequest) -> str:
    return clean_reason(str(request.session.get(SESSION_KEY, "")))


def set_reason(request: HttpRequest, reason: str) -> None:
    request.session[SESSION_KEY] = clean_reason(reason)


def reason_required(request: HttpRequest) -> HttpResponse | None:
    """A redirect to the reason page when a reason is needed and none is stated yet."""
    if not settings.AUDIT_REQUIRE_JUSTIFICATION or current_reason(request):
        return None
    query = urlencode({"next": request.get_full_path()})
    return HttpResponseRedirect(f"{reverse('core:reason')}?{query}")
