from django.db import migrations

from cairn.core.ids import public_ids


class Migration(migrations.Migration):
    """Saved charts are numbered by cairn_public_id(): counted from one sequence, the gap between two
    counted everyone's charts saved meanwhile."""

    dependencies = [("core", "0003_id_order"), ("network", "0001_initial")]

    operations = [public_ids("network_savedchart", own_permutation=True)]
