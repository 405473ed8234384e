from django.db import migrations

from cairn.core.ids import public_ids


class Migration(migrations.Migration):
    """Entities are numbered by cairn_public_id(), not one visible sequence.

    Selector entities are shared by key: a phone named again gets the id it was first given. Counted
    from one sequence, that id said whether someone (perhaps in a report the namer may not know of)
    named the phone before, and the gap between two ids how many entities everyone made meanwhile.
    """

    dependencies = [("core", "0002_public_ids"), ("entities", "0007_statement_premises_report_idx")]

    operations = [public_ids("entities_entity", own_permutation=False)]
