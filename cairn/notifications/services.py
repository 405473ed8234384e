from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from cairn.accounts.models import User
from cairn.notifications.models import Notification


def notify_many(items: Iterable[tuple[int, str, str, str]]) -> int:
    """(recipient id, kind, text, link) rows, written together."""
    rows = [Notification(recipient_id=r, kind=k, text=t[:500], link=link) for r, k, t, link in items]
    Notification.objects.bulk_create(rows)
    return len(rows)


def mark_read(*, actor: User, notification_ids: list[int] | None = None) -> int:
    with transaction.atomic():
        qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
        if notification_ids is not None:
            qs = qs.filter(pk__in=notification_ids)
        return qs.update(read_at=timezone.now())
