import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models


class Migration(migrations.Migration):
    """The full-text vector becomes a generated column, so every write path keeps it."""

    dependencies = [("intelligence", "0002_reference_sequence")]

    operations = [
        migrations.RemoveIndex(model_name="intelligencereport", name="report_search_idx"),
        migrations.RemoveField(model_name="intelligencereport", name="search_vector"),
        migrations.AddField(
            model_name="intelligencereport",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.SearchVector("text", config="english"),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
        ),
        migrations.AddIndex(
            model_name="intelligencereport",
            index=django.contrib.postgres.indexes.GinIndex(fields=["search_vector"], name="report_search_idx"),
        ),
    ]
