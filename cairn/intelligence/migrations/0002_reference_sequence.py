from django.db import migrations


class Migration(migrations.Migration):
    """Report references are drawn from one sequence so they are unique without a second write."""

    dependencies = [("intelligence", "0001_initial")]

    operations = [
        migrations.RunSQL(
            "CREATE SEQUENCE intelligence_report_ref_seq START 1000",
            "DROP SEQUENCE intelligence_report_ref_seq",
        ),
    ]
