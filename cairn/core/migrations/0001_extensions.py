from django.contrib.postgres.operations import CreateExtension
from django.db import migrations


class Migration(migrations.Migration):
    """The PostgreSQL extensions Cairn's search and linking rely on."""

    initial = True
    dependencies: list = []

    operations = [
        CreateExtension("pg_trgm"),
        CreateExtension("fuzzystrmatch"),
        CreateExtension("unaccent"),
    ]
