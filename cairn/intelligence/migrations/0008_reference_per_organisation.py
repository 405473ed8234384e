from django.db import migrations

from cairn.intelligence.services import REFERENCE_SEQUENCES_SQL


class Migration(migrations.Migration):
    """Report references are numbered per organisation, not from one sequence every organisation draws on."""

    dependencies = [("intelligence", "0007_unfiltered_columns_without_statistics")]

    operations = [migrations.RunSQL(REFERENCE_SEQUENCES_SQL, migrations.RunSQL.noop)]
