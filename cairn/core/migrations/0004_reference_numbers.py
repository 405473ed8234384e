from django.db import migrations

from cairn.core.ids import database_key

# cairn_reference_number(n, series): the n-th reference of a series (an organisation's prefix and a
# year, 'ALDER-2026') as printed, nine digits. Counted, two of another organisation's references that
# you read said how many it filed between them that you may not; this is a keyed permutation of
# 0 .. 10**9 - 1 for each series (a four-round Feistel network over two 15-bit halves, walked again
# while above 10**9 — once in fourteen). Counted references had seven digits, so the two never meet.
# cairn_reference_place(number, series) undoes it: where the series stands, for references written
# without the services (REFERENCE_SEQUENCES_SQL).
_ROUND = (
    "(('x' || encode(substring(sha256(d || int4send(i) || int8send({half})) FROM 1 FOR 4), 'hex'))"
    "::bit(32)::bigint & 32767)"
)

_NUMBER = r"""
CREATE FUNCTION cairn_reference_number(n bigint, series text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    d bytea := '\x{key}'::bytea || convert_to('reference:' || series, 'UTF8');
    x bigint := n;
    l bigint;
    r bigint;
    t bigint;
BEGIN
    IF n < 0 OR n >= 1000000000 THEN
        RAISE EXCEPTION 'cairn_reference_number: % is out of range', n;
    END IF;
    LOOP
        l := x >> 15;
        r := x & 32767;
        FOR i IN 0..3 LOOP
            t := r;
            r := l # {round_r};
            l := t;
        END LOOP;
        x := (l << 15) | r;
        EXIT WHEN x < 1000000000;
    END LOOP;
    RETURN x;
END
$$
"""

_PLACE = r"""
CREATE FUNCTION cairn_reference_place(number bigint, series text) RETURNS bigint
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    d bytea := '\x{key}'::bytea || convert_to('reference:' || series, 'UTF8');
    x bigint := number;
    l bigint;
    r bigint;
    t bigint;
BEGIN
    IF number < 0 OR number >= 1000000000 THEN
        RAISE EXCEPTION 'cairn_reference_place: % is out of range', number;
    END IF;
    LOOP
        l := x >> 15;
        r := x & 32767;
        FOR i IN REVERSE 3..0 LOOP
            t := l;
            l := r # {round_l};
            r := t;
        END LOOP;
        x := (l << 15) | r;
        EXIT WHEN x < 1000000000;
    END LOOP;
    RETURN x;
END
$$
"""


def create(apps, schema_editor) -> None:  # type: ignore[no-untyped-def]
    key = database_key(schema_editor.connection)
    schema_editor.execute(_NUMBER.replace("{key}", key).replace("{round_r}", _ROUND.replace("{half}", "r")), None)
    schema_editor.execute(_PLACE.replace("{key}", key).replace("{round_l}", _ROUND.replace("{half}", "l")), None)


class Migration(migrations.Migration):
    """cairn_reference_number() and cairn_reference_place(): report references that count nothing."""

    dependencies = [("core", "0003_id_order")]

    operations = [
        migrations.RunPython(create, migrations.RunPython.noop, elidable=False),
        migrations.RunSQL(
            migrations.RunSQL.noop,
            ["DROP FUNCTION cairn_reference_place(bigint, text)", "DROP FUNCTION cairn_reference_number(bigint, text)"],
        ),
    ]
