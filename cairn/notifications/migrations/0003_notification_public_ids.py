from django.db import migrations

from cairn.core.ids import public_ids


class Migration(migrations.Migration):
    """Notifications are numbered by cairn_public_id(): their ids are in the API, and counted from one sequence the gap between two of yours counted everyone's hits, flags, watch alerts and interest notices meanwhile."""

    dependencies = [("core", "0003_id_order"), ("notifications", "0002_flag_links")]

    operations = [public_ids("notifications_notification", own_permutation=True)]
