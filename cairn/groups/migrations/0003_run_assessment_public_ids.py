from django.db import migrations

from cairn.core.ids import public_ids

# Crime groups were numbered by the permutation entities are numbered by. Anyone who knows where a run
# of entity numbers was drawn (the new subjects of their own batch, handed back in order) could read a
# later group's place off it, and count the groups made meanwhile. New groups get a permutation of their
# own; a number it gives equal to an old group's is a chance of about groups² / 2**52.
_OWN = (
    "ALTER TABLE groups_crimegroup ALTER COLUMN id "
    "SET DEFAULT cairn_public_id(nextval('groups_crimegroup_id_seq'), 'groups_crimegroup')"
)
_SHARED = "ALTER TABLE groups_crimegroup ALTER COLUMN id SET DEFAULT cairn_public_id(nextval('groups_crimegroup_id_seq'))"


class Migration(migrations.Migration):
    """Detection runs and threat assessments are numbered by a permutation of their own: counted from one
    sequence, the gap between two counted everyone's runs, and the assessments of groups the viewer may
    not read. Crime groups move to a permutation of their own."""

    dependencies = [("core", "0003_id_order"), ("groups", "0002_crime_group_public_ids")]

    operations = [
        public_ids("groups_detectionrun", own_permutation=True),
        public_ids("groups_threatassessment", own_permutation=True),
        migrations.RunSQL(_OWN, _SHARED),
    ]
