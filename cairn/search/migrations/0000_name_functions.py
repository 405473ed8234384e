from django.db import migrations


class Migration(migrations.Migration):
    """SQL helpers for name matching, built on fuzzystrmatch's Double Metaphone.

    cairn_name_codes(tokens): every primary and alternate code of every token.
    cairn_name_pairs(tokens): every unordered pair of primary codes, "A|B".
    Both are IMMUTABLE so the index columns can be generated from them.
    """

    dependencies = [("core", "0001_extensions")]

    operations = [
        migrations.RunSQL(
            sql="""
            CREATE FUNCTION cairn_name_codes(tokens text[]) RETURNS text[]
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                SELECT coalesce(array_agg(DISTINCT c ORDER BY c), '{}')
                FROM unnest(tokens) AS t,
                     LATERAL (VALUES (dmetaphone(t)), (dmetaphone_alt(t))) AS v(c)
                WHERE c <> ''
            $$;
            CREATE FUNCTION cairn_name_pairs(tokens text[]) RETURNS text[]
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                WITH codes AS (
                    SELECT DISTINCT dmetaphone(t) AS c FROM unnest(tokens) AS t WHERE dmetaphone(t) <> ''
                )
                SELECT coalesce(array_agg(DISTINCT a.c || '|' || b.c ORDER BY a.c || '|' || b.c), '{}')
                FROM codes a JOIN codes b ON a.c < b.c
            $$;
            """,
            reverse_sql="DROP FUNCTION cairn_name_pairs(text[]); DROP FUNCTION cairn_name_codes(text[]);",
        ),
    ]
