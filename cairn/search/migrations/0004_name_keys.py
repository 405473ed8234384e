"""Distinct full names for person search (``NameKey``), kept in step with the name rows by the database.

The triggers are per statement, over the statement's transition tables, so a COPY of a thousand
reports adds its names in one INSERT. Names are added in sorted order: two submissions adding the
same new names lock them in the same order and cannot deadlock.

The trigram index moves from the million name rows to the distinct names.
"""

import django.contrib.postgres.fields
import django.contrib.postgres.indexes
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("entities", "0005_fewer_indexes"),
        ("intelligence", "0007_unfiltered_columns_without_statistics"),
        ("search", "0003_fewer_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="NameKey",
            fields=[
                ("key", models.CharField(max_length=500, primary_key=True, serialize=False)),
                (
                    "phonetic",
                    models.GeneratedField(
                        db_persist=True,
                        expression=models.Func(
                            models.Func(
                                models.F("key"),
                                models.Value(" "),
                                function="string_to_array",
                                output_field=django.contrib.postgres.fields.ArrayField(
                                    base_field=models.TextField(), size=None
                                ),
                            ),
                            function="cairn_name_codes",
                            output_field=django.contrib.postgres.fields.ArrayField(
                                base_field=models.TextField(), size=None
                            ),
                        ),
                        output_field=django.contrib.postgres.fields.ArrayField(
                            base_field=models.TextField(), size=None
                        ),
                    ),
                ),
                (
                    "phonetic_pairs",
                    models.GeneratedField(
                        db_persist=True,
                        expression=models.Func(
                            models.Func(
                                models.F("key"),
                                models.Value(" "),
                                function="string_to_array",
                                output_field=django.contrib.postgres.fields.ArrayField(
                                    base_field=models.TextField(), size=None
                                ),
                            ),
                            function="cairn_name_pairs",
                            output_field=django.contrib.postgres.fields.ArrayField(
                                base_field=models.TextField(), size=None
                            ),
                        ),
                        output_field=django.contrib.postgres.fields.ArrayField(
                            base_field=models.TextField(), size=None
                        ),
                    ),
                ),
            ],
        ),
        migrations.RunSQL(
            sql="""
            CREATE FUNCTION cairn_name_keys_sync() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP IN ('INSERT', 'UPDATE') THEN
                    INSERT INTO search_namekey (key)
                    SELECT DISTINCT name_key FROM new_rows ORDER BY 1
                    ON CONFLICT DO NOTHING;
                END IF;
                IF TG_OP IN ('DELETE', 'UPDATE') THEN
                    DELETE FROM search_namekey k
                    WHERE k.key IN (SELECT name_key FROM old_rows)
                      AND NOT EXISTS (SELECT 1 FROM search_personname p WHERE p.name_key = k.key);
                END IF;
                RETURN NULL;
            END
            $$;
            CREATE TRIGGER personname_keys_added AFTER INSERT ON search_personname
                REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cairn_name_keys_sync();
            CREATE TRIGGER personname_keys_changed AFTER UPDATE ON search_personname
                REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
                FOR EACH STATEMENT EXECUTE FUNCTION cairn_name_keys_sync();
            CREATE TRIGGER personname_keys_removed AFTER DELETE ON search_personname
                REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cairn_name_keys_sync();
            INSERT INTO search_namekey (key) SELECT DISTINCT name_key FROM search_personname ORDER BY 1;
            """,
            reverse_sql="""
            DROP TRIGGER personname_keys_added ON search_personname;
            DROP TRIGGER personname_keys_changed ON search_personname;
            DROP TRIGGER personname_keys_removed ON search_personname;
            DROP FUNCTION cairn_name_keys_sync();
            """,
        ),
        migrations.RemoveIndex(
            model_name="personname",
            name="personname_trgm_idx",
        ),
        migrations.AddIndex(
            model_name="personname",
            index=models.Index(fields=["name_key", "statement_id"], name="personname_key_idx"),
        ),
        migrations.AddIndex(
            model_name="namekey",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["key"], name="namekey_trgm_idx", opclasses=["gin_trgm_ops"]
            ),
        ),
        migrations.AddIndex(
            model_name="namekey",
            index=django.contrib.postgres.indexes.GinIndex(fields=["phonetic"], name="namekey_phonetic_idx"),
        ),
        migrations.AddIndex(
            model_name="namekey",
            index=django.contrib.postgres.indexes.GinIndex(fields=["phonetic_pairs"], name="namekey_pairs_idx"),
        ),
    ]
