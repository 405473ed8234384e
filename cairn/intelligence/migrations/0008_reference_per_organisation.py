from django.db import migrations

# As it was when this migration was written (cairn.intelligence.services keeps the current one, which
# also reads references numbered by core/0004, a function this migration runs before).
_SEQUENCES_SQL = r"""
DO $$
DECLARE
    held record;
    name text;
BEGIN
    FOR held IN
        SELECT substring(reference FROM '^(.*)-\d{4}-\d+(?:-S)?$') AS prefix,
               substring(reference FROM '-(\d{4})-\d+(?:-S)?$') AS year,
               max(substring(reference FROM '-\d{4}-(\d+)(?:-S)?$')::bigint) AS last
        FROM intelligence_intelligencereport
        WHERE reference ~ '.-\d{4}-\d+(-S)?$'
        GROUP BY 1, 2
    LOOP
        name := format('intelligence_report_ref_%s_%s',
                       left(encode(sha256(convert_to(held.prefix, 'UTF8')), 'hex'), 16), held.year);
        EXECUTE format('CREATE SEQUENCE IF NOT EXISTS %I', name);
        EXECUTE format('SELECT setval(%L, greatest(%s, (SELECT last_value FROM %I)))', name, held.last, name);
    END LOOP;
END
$$
"""


class Migration(migrations.Migration):
    """Report references are numbered per organisation, not from one sequence every organisation draws on."""

    dependencies = [("intelligence", "0007_unfiltered_columns_without_statistics")]

    operations = [migrations.RunSQL(_SEQUENCES_SQL, migrations.RunSQL.noop)]
