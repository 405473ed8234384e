from django.db import migrations


def index_existing(apps, schema_editor):
    """Index the people already named before the index existed."""
    from cairn.entities.models import Statement
    from cairn.search.indexing import index_person_names

    batch: list = []
    qs = Statement.unscoped_objects.filter(prop__in=["name", "date_of_birth", "nationality"]).select_related("entity")
    for st in qs.order_by("report_id", "id").iterator(chunk_size=5000):
        if batch and batch[-1].report_id != st.report_id and len(batch) >= 5000:
            index_person_names(batch)
            batch = []
        batch.append(st)
    if batch:
        index_person_names(batch)


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial"), ("entities", "0002_initial")]

    operations = [migrations.RunPython(index_existing, migrations.RunPython.noop)]
