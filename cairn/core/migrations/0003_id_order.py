from django.db import migrations

from cairn.core.ids import database_key

# cairn_public_id(n, domain): the keyed permutation of core/0002 with the domain (a table's name) in
# every round, so each table's numbers are a permutation of their own. One permutation shared by two
# tables would let anyone who knows the places of a run of one table's numbers (their own batch, drawn
# in order) read the places of the other's off them, and count its rows again.
#
# cairn_id_order(id, domain): its inverse, the place in the sequence a number was drawn at. A table
# numbered so reads "newest first" by this, kept beside the id as a generated column never shown. Ids
# below 2**52 were numbered before (counted from 1, or written so by a benchmark) and are their own
# place; the sequence drawing public numbers was started after them, so the order runs on unbroken.
_ROUND = (
    "(('x' || encode(substring(sha256(k || convert_to(domain, 'UTF8') || int4send(i) || int8send({half})) "
    "FROM 1 FOR 4), 'hex'))::bit(32)::bigint & 67108863)"
)

_PUBLIC = r"""
CREATE FUNCTION cairn_public_id(n bigint, domain text) RETURNS bigint
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
    IF domain = '' THEN  -- it would be the one-argument permutation, which entities use
        RAISE EXCEPTION 'cairn_public_id: name the table';
    END IF;
    FOR i IN 0..3 LOOP
        t := r;
        r := l # {round_r};
        l := t;
    END LOOP;
    RETURN 4503599627370496 | (l << 26) | r;
END
$$
"""

_ORDER = r"""
CREATE FUNCTION cairn_id_order(id bigint, domain text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    k bytea := '\x{key}'::bytea;
    l bigint;
    r bigint;
    t bigint;
BEGIN
    IF domain = '' THEN
        RAISE EXCEPTION 'cairn_id_order: name the table';
    END IF;
    IF id < 4503599627370496 THEN
        RETURN id;
    END IF;
    l := (id & 4503599627370495) >> 26;
    r := id & 67108863;
    FOR i IN REVERSE 3..0 LOOP
        t := l;
        l := r # {round_l};
        r := t;
    END LOOP;
    RETURN (l << 26) | r;
END
$$
"""


def create(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    key = database_key(schema_editor.connection)
    schema_editor.execute(
        _PUBLIC.replace("{key}", key).replace("{round_r}", _ROUND.replace("{half}", "r")), params=None
    )
    schema_editor.execute(_ORDER.replace("{key}", key).replace("{round_l}", _ROUND.replace("{half}", "l")), params=None)


class Migration(migrations.Migration):
    """cairn_public_id(n, domain) and cairn_id_order(id, domain): a permutation of each table's own,
    and the order its rows were numbered in."""

    dependencies = [("core", "0002_public_ids")]

    operations = [
        migrations.RunPython(create, migrations.RunPython.noop, elidable=False),
        migrations.RunSQL(
            migrations.RunSQL.noop,
            ["DROP FUNCTION cairn_id_order(bigint, text)", "DROP FUNCTION cairn_public_id(bigint, text)"],
        ),
    ]
