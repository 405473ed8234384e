from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from cairn.access.capabilities import Capability
from cairn.access.policy import capabilities


def cairn(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    caps = capabilities(user)
    unread = 0
    if user is not None and user.is_authenticated:
        from cairn.notifications.models import Notification

        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {
        "unread_notifications": unread,
        "can_search": Capability.SEARCH in caps,
        "cairn_node": settings.CAIRN_NODE_NAME,
        "can_view_audit_log": Capability.VIEW_AUDIT_LOG in caps,
        "can_read_intelligence": Capability.READ_INTELLIGENCE in caps,
        "can_submit_intelligence": Capability.SUBMIT_INTELLIGENCE in caps,
        "can_supervise_intelligence": Capability.SUPERVISE_INTELLIGENCE in caps,
        "can_manage_accounts": Capability.MANAGE_ACCOUNTS in caps,
        "can_analyse_networks": Capability.ANALYSE_NETWORKS in caps and Capability.READ_INTELLIGENCE in caps,
    }
