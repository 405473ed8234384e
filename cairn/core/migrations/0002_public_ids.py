import secrets

from django.db import migrations

# A keyed permutation of 0 .. 2**52 - 1 (a four-round Feistel network over two 26-bit halves, each
# round a SHA-256 of this database's own key, the round and the half), plus 2**52. A row numbered from
# it says nothing of how many rows came before it or when, yet two rows never share a number (a
# permutation); every number is between 2**52 and 2**53 - 1, so above any id a table held before
# (counted from 1) and exact in JavaScript.
_FUNCTION = r"""
CREATE FUNCTION cairn_public_id(n bigint) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    k bytea := '\x{key}'::bytea;
    l bigint := n >> 26;
    r bigint := n & 67108863;
    t bigint;
BEGIN
    IF n < 0 OR n >= 4503599627370496 THEN
        RAISE EXCEPTION 'cairn_public_id: % is out of range', n;
    END IF;
    FOR i IN 0..3 LOOP
        t := r;
        r := l # (('x' || encode(substring(sha256(k || int4send(i) || int8send(r)) FROM 1 FOR 4), 'hex'))::bit(32)::bigint
                  & 67108863);
        l := t;
    END LOOP;
    RETURN 4503599627370496 | (l << 26) | r;
END
$$
"""


def create(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    # The key is made here, once per database, and never leaves it.
    schema_editor.execute(_FUNCTION.replace("{key}", secrets.token_hex(16)), params=None)


class Migration(migrations.Migration):
    """cairn_public_id(): numbers for rows whose ids are shown to people who may not see every row."""

    dependencies = [("core", "0001_extensions")]

    operations = [
        migrations.RunPython(create, migrations.RunPython.noop, elidable=False),
        migrations.RunSQL(migrations.RunSQL.noop, "DROP FUNCTION cairn_public_id(bigint)"),
    ]
