import re

from django.db import migrations

# The inverse of cairn_public_id(): the place in its sequence a number was drawn at. A table whose
# ids are shown numbers its rows by cairn_public_id(nextval(…)), which says nothing of their order;
# "newest first" is then read by this, kept beside the id as a generated column that is never shown.
# Ids below 2**52 were numbered before (counted from 1, or written so by a benchmark) and are their
# own order; the sequence drawing public ones was started after them, so the order runs on unbroken.
_FUNCTION = r"""
CREATE FUNCTION cairn_id_order(id bigint) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    k bytea := '\x{key}'::bytea;
    l bigint;
    r bigint;
    t bigint;
BEGIN
    IF id < 4503599627370496 THEN
        RETURN id;
    END IF;
    l := (id & 4503599627370495) >> 26;
    r := id & 67108863;
    FOR i IN REVERSE 3..0 LOOP
        t := l;
        l := r # (('x' || encode(substring(sha256(k || int4send(i) || int8send(l)) FROM 1 FOR 4), 'hex'))::bit(32)::bigint
                  & 67108863);
        r := t;
    END LOOP;
    RETURN (l << 26) | r;
END
$$
"""


def create(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    # The same key as cairn_public_id()'s, read from that function: it lives only in this database.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT prosrc FROM pg_proc WHERE proname = 'cairn_public_id'")
        (source,) = cursor.fetchone()
    found = re.search(r"'\\x([0-9a-f]+)'::bytea", source)
    if found is None:
        raise RuntimeError("cairn_public_id() holds no key this migration can read")
    schema_editor.execute(_FUNCTION.replace("{key}", found.group(1)), params=None)


class Migration(migrations.Migration):
    """cairn_id_order(): the order rows numbered by cairn_public_id() were numbered in."""

    dependencies = [("core", "0002_public_ids")]

    operations = [
        migrations.RunPython(create, migrations.RunPython.noop, elidable=False),
        migrations.RunSQL(migrations.RunSQL.noop, "DROP FUNCTION cairn_id_order(bigint)"),
    ]
