from django.db import migrations

from cairn.core.ids import public_ids


class Migration(migrations.Migration):
    """Detection runs and threat assessments are numbered by cairn_public_id(): counted from one sequence,
    the gap between two counted everyone's runs, and the assessments of groups the viewer may not read."""

    dependencies = [("core", "0003_id_order"), ("groups", "0002_crime_group_public_ids")]

    operations = [public_ids("groups_detectionrun"), public_ids("groups_threatassessment")]
