from django.db import migrations

from cairn.core.ids import public_ids


class Migration(migrations.Migration):
    """Watches are numbered by cairn_public_id(): counted from one sequence, the gap between two of a
    user's own counted everyone's watches made meanwhile."""

    dependencies = [("core", "0003_id_order"), ("search", "0006_search_words")]

    operations = [public_ids("search_watch", own_permutation=True)]
