from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cairn.access.capabilities import Capability
from cairn.access.policy import require
from cairn.accounts.models import User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.core.reasons import current_reason, reason_required
from cairn.intelligence.selectors import entity_for_reading


@login_required
def entity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    require(user, Capability.READ_INTELLIGENCE)
    view = entity_for_reading(actor=user, entity_id=pk)
    if view is None:
        raise Http404
    # Looking up a person or selector is a consultation: it needs a stated reason.
    if needs := reason_required(request):
        return needs
    audit.record(
        action=AuditAction.VIEW,
        actor=user,
        object_type="entities.entity",
        object_id=pk,
        object_repr=view.label[:300],
        reason=current_reason(request),
        request=request,
        detail={"facts_from_reports": len(view.reports), "flags": len(view.flags)},
    )
    return render(request, "entities/detail.html", {"view": view})
