from django.db import migrations

from cairn.core.statistics import without_statistics


class Migration(migrations.Migration):
    """The chain's hashes, the detail and the object's description are read, never filtered on."""

    dependencies = [("audit", "0004_entry_references_unchecked")]

    operations = [without_statistics("audit_auditentry", "hash", "prev_hash", "detail", "object_repr")]
