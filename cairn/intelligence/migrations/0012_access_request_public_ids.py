from django.db import migrations

from cairn.core.ids import public_ids


class Migration(migrations.Migration):
    """Access requests are numbered by cairn_public_id(): the id is in the deciding supervisor's link and
    the requester's notification, and counted from one sequence the gap between two counted every
    organisation's requests made meanwhile."""

    dependencies = [("core", "0004_reference_numbers"), ("intelligence", "0011_report_seq")]

    operations = [public_ids("intelligence_accessrequest", own_permutation=True)]
