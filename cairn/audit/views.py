from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cairn.access.capabilities import Capability
from cairn.access.policy import audit_object_shown, require
from cairn.accounts.models import User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.audit.forms import AuditFilterForm
from cairn.audit.selectors import audit_entry_list

PAGE_SIZE = 50


@login_required
def log(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    require(user, Capability.VIEW_AUDIT_LOG)
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    # Reading the log is itself a consultation of personal data. Recorded
    # before the page is counted, so the count and the rows agree.
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type="audit.log",
        detail={k: str(v) for k, v in filters.items() if v},
        request=request,
    )
    entries = audit_entry_list(actor=user, filters=filters)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page:
        entry.shown_object, entry.shown_repr = audit_object_shown(entry, user)  # type: ignore[attr-defined]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/log.html", {"form": form, "page": page, "query": query.urlencode()})
