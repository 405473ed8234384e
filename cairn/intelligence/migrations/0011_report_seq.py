from django.db import migrations, models

from cairn.core.ids import IdOrder, public_ids


class Migration(migrations.Migration):
    """Reports are numbered by cairn_public_id(), and read newest first by ``seq``.

    Report ids are in every link and the API. Counted from one sequence, the gap between two of an
    organisation's own reports counted every report filed meanwhile, confidential ones included.
    Reports already here keep their ids, which are their own order; new ones continue it.
    """

    dependencies = [("core", "0003_id_order"), ("intelligence", "0010_revision_sharing_group_ids")]

    operations = [
        public_ids("intelligence_intelligencereport", own_permutation=True),
        migrations.AddField(
            model_name="intelligencereport",
            name="seq",
            field=models.GeneratedField(
                db_persist=True,
                expression=IdOrder("id", table="intelligence_intelligencereport"),
                output_field=models.BigIntegerField(),
            ),
        ),
        migrations.AlterModelOptions(
            name="intelligencereport",
            options={
                "base_manager_name": "unscoped_objects",
                "default_manager_name": "unscoped_objects",
                "ordering": ["-created_at", "-seq"],
            },
        ),
        migrations.AddIndex(
            model_name="intelligencereport",
            index=models.Index(fields=["seq"], name="report_seq_idx"),
        ),
    ]
