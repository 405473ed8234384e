from django.db import migrations

from cairn.core.ids import public_ids


class Migration(migrations.Migration):
    """API tokens are numbered by cairn_public_id(): the id is in the link that revokes one, and counted from one sequence the gap between two of yours counted everyone's tokens made meanwhile."""

    dependencies = [("core", "0003_id_order"), ("accounts", "0001_initial")]

    operations = [public_ids("accounts_apitoken", own_permutation=True)]
