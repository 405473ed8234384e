"""Notifications about a restricted report known only by flag linked to the report's id, which now
answers "not found": they link to the flag of the report itself instead (cairn.access.flags).

Such a notification does not say which subject its flag was on, so the link is to the flag of the
report (no subject); it was the report's id before, so it tells its reader nothing new.
"""

import re

from django.db import migrations

from cairn.access.flags import flag_token, open_token

_BY_ID = re.compile(r"^/intelligence/(\d+)/$")
_BY_TOKEN = re.compile(r"^/intelligence/flags/([A-Za-z0-9_-]+)/$")
_FLAG_KINDS = ("hit_flag", "watch_flag")


def _rewrite(apps, pattern, new_link):  # type: ignore[no-untyped-def]
    """Each matching notification's link rewritten, a thousand to a statement (not one a row)."""
    notification = apps.get_model("notifications", "Notification")
    batch = []
    for n in notification.objects.filter(kind__in=_FLAG_KINDS, link__regex=pattern.pattern).iterator():
        link = new_link(n.recipient_id, pattern.match(n.link).group(1))
        if link is not None:
            n.link = link
            batch.append(n)
        if len(batch) >= 1000:
            notification.objects.bulk_update(batch, ["link"])
            batch = []
    notification.objects.bulk_update(batch, ["link"])


def to_tokens(apps, schema_editor):  # type: ignore[no-untyped-def]
    _rewrite(apps, _BY_ID, lambda recipient, pk: f"/intelligence/flags/{flag_token(recipient, int(pk), None)}/")


def to_ids(apps, schema_editor):  # type: ignore[no-untyped-def]
    def by_id(recipient, token):  # type: ignore[no-untyped-def]
        address = open_token(recipient, token)
        return f"/intelligence/{address.report_id}/" if address is not None else None

    _rewrite(apps, _BY_TOKEN, by_id)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("intelligence", "0009_access_request_per_flag"),
    ]

    operations = [migrations.RunPython(to_tokens, to_ids)]
