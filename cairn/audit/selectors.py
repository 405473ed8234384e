from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from cairn.access.policy import audit_entries_visible_to
from cairn.accounts.models import User
from cairn.audit.models import AuditEntry


def audit_entry_list(*, actor: User, filters: dict[str, Any]) -> QuerySet[AuditEntry]:
    qs = audit_entries_visible_to(actor)
    if filters.get("actor"):
        qs = qs.filter(actor_username__iexact=filters["actor"].strip())
    if filters.get("action"):
        qs = qs.filter(action=filters["action"])
    if filters.get("object_type"):
        qs = qs.filter(object_type=filters["object_type"].strip())
    tz = timezone.get_current_timezone()
    if filters.get("date_from"):
        qs = qs.filter(at__gte=datetime.combine(filters["date_from"], time.min, tzinfo=tz))
    if filters.get("date_to"):
        qs = qs.filter(at__lte=datetime.combine(filters["date_to"], time.max, tzinfo=tz))
    return qs.order_by("-id")
