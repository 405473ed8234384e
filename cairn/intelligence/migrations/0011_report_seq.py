from django.db import migrations, models

from cairn.core.ids import public_ids


class Migration(migrations.Migration):
    """Reports are numbered by cairn_public_id(), and read newest first by ``seq``.

    Report ids are in every link and the API. Counted from one sequence, the gap between two of an
    organisation's own reports counted every report filed meanwhile, confidential ones included.
    Reports already here keep their ids, which are their own order; new ones continue it.
    """

    dependencies = [("core", "0003_id_order"), ("intelligence", "0010_revision_sharing_group_ids")]

    operations = [
        public_ids("intelligence_intelligencereport"),
        migrations.AddField(
            model_name="intelligencereport",
            name="seq",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(
                    models.F("id"), function="cairn_id_order", output_field=models.BigIntegerField()
                ),
                output_field=models.BigIntegerField(),
            ),
        ),
        migrations.AddIndex(
            model_name="intelligencereport",
            index=models.Index(fields=["seq"], name="report_seq_idx"),
        ),
    ]
