from django.db import migrations

from cairn.core.ids import public_ids


class Migration(migrations.Migration):
    """Crime groups are numbered by cairn_public_id(): a flag shows a restricted group's id, and the gap
    between two counted the confidential and awaiting groups recorded meanwhile."""

    dependencies = [("core", "0002_public_ids"), ("groups", "0001_initial")]

    operations = [public_ids("groups_crimegroup", own_permutation=False)]
