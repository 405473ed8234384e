from django.db import migrations

from cairn.core.statistics import without_statistics


class Migration(migrations.Migration):
    """Report texts and revision snapshots are read, never filtered on (search uses the text vector)."""

    dependencies = [("intelligence", "0006_fewer_indexes")]

    operations = [
        without_statistics("intelligence_intelligencereport", "text"),
        without_statistics("intelligence_reportrevision", "snapshot"),
    ]
