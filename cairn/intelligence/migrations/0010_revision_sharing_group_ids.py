from django.db import migrations

# Revisions stored before 7 December 2026 name their sharing groups only; access to an earlier revision is
# now decided by the groups' ids (a name may be changed and given to another group). The ids are those the
# names have now: a group renamed before this ran maps to whichever group holds the name today, or to none
# (then only the originator and the revision's own dissemination open it).
_BACKFILL = """
UPDATE intelligence_reportrevision r
SET snapshot = jsonb_set(
    r.snapshot,
    '{sharing_group_ids}',
    coalesce(
        (SELECT jsonb_agg(g.id ORDER BY g.id) FROM accounts_sharinggroup g
         WHERE jsonb_typeof(r.snapshot -> 'sharing_groups') = 'array' AND r.snapshot -> 'sharing_groups' ? g.name),
        '[]'::jsonb
    )
)
WHERE NOT r.snapshot ? 'sharing_group_ids'
"""


class Migration(migrations.Migration):
    """Each stored revision's snapshot gets the ids of the sharing groups it names."""

    dependencies = [("intelligence", "0009_access_request_per_flag"), ("accounts", "0001_initial")]

    operations = [migrations.RunSQL(_BACKFILL, migrations.RunSQL.noop)]
