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


def to_tokens(apps, schema_editor):  # type: ignore[no-untyped-def]
    notification = apps.get_model("notifications", "Notification")
    for n in notification.objects.filter(kind__in=_FLAG_KINDS, link__regex=_BY_ID.pattern).iterator():
        report_id = int(_BY_ID.match(n.link).group(1))
        n.link = f"/intelligence/flags/{flag_token(n.recipient_id, report_id, None)}/"
        n.save(update_fields=["link"])


def to_ids(apps, schema_editor):  # type: ignore[no-untyped-def]
    notification = apps.get_model("notifications", "Notification")
    for n in notification.objects.filter(kind__in=_FLAG_KINDS, link__regex=_BY_TOKEN.pattern).iterator():
        address = open_token(n.recipient_id, _BY_TOKEN.match(n.link).group(1))
        if address is not None:
            n.link = f"/intelligence/{address.report_id}/"
            n.save(update_fields=["link"])


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
        ("intelligence", "0009_access_request_per_flag"),
    ]

    operations = [migrations.RunPython(to_tokens, to_ids)]
