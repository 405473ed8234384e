"""A name's words ordered by length (``NameKey.by_length``), for ordering person-search candidates."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("search", "0004_name_keys")]

    operations = [
        migrations.RunSQL(
            sql="""
            CREATE FUNCTION cairn_words_by_length(key text) RETURNS text
            LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
                SELECT array_to_string(ARRAY(
                    SELECT w FROM unnest(string_to_array(key, ' ')) AS w ORDER BY length(w), w COLLATE "C"
                ), ' ')
            $$;
            """,
            reverse_sql="DROP FUNCTION cairn_words_by_length(text);",
        ),
        migrations.AddField(
            model_name="namekey",
            name="by_length",
            field=models.GeneratedField(
                db_persist=True,
                expression=models.Func(models.F("key"), function="cairn_words_by_length", output_field=models.TextField()),
                output_field=models.TextField(),
            ),
        ),
    ]
