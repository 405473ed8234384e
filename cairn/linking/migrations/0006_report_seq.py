from django.db import migrations, models

from cairn.core.ids import IdOrder


class Migration(migrations.Migration):
    """A selector's newest sightings are read by the reports' order (``seq``), not their ids, which are
    in no order now (intelligence/0011)."""

    dependencies = [("intelligence", "0011_report_seq"), ("linking", "0005_proposal_last_run")]

    operations = [
        migrations.RemoveConstraint(model_name="sighting", name="sighting_unique"),
        migrations.AddField(
            model_name="sighting",
            name="report_seq",
            field=models.GeneratedField(
                db_persist=True,
                expression=IdOrder("report_id", table="intelligence_intelligencereport"),
                output_field=models.BigIntegerField(),
            ),
        ),
        migrations.AddConstraint(
            model_name="sighting",
            constraint=models.UniqueConstraint(
                fields=("entity", "report_seq"), include=("report", "organisation"), name="sighting_unique"
            ),
        ),
    ]
