"""Features of person records: names in any order, script and spelling; partial dates; nationalities;
and the batch (DuckDB) version equal to the Python one record by record."""

from __future__ import annotations

import random
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cairn.linking.features import (
    COLUMNS,
    Dob,
    build_features,
    canonical,
    parse_dob,
    parse_nationality,
    person_features,
    skeleton,
    skeleton_sql,
    translit,
    translit_sql,
)


def test_one_name_three_spellings_share_a_key() -> None:
    a = person_features("Nguyen Van Minh")
    b = person_features("Nguyễn Văn Minh")
    c = person_features("Minh NGUYEN")
    assert a.tokens == b.tokens == ("nguyen", "van", "minh")
    assert a.name_key == b.name_key
    assert c.tokens == ("minh", "nguyen")
    # Order does not matter; the middle name is simply absent from the shorter one.
    assert set(c.canon or ()) <= set(a.canon or ())
    assert a.family == b.family == c.family
    assert a.given == b.given == c.given


def test_transliteration_variants_meet() -> None:
    assert canonical("mohammed") == canonical("muhammad") == canonical("mohamed")
    assert canonical("hussein") == canonical("hossein")
    assert canonical("yusuf") == canonical("youssef")
    assert translit("aleksandrov") == translit("alexandroff") or translit("ivanov") == translit("ivanoff")
    assert skeleton(canonical("mahmoud")) == skeleton(canonical("mahmud"))
    assert person_features("Muhammad ALI").canon_key == person_features("Mohammed Ali").canon_key


def test_nicknames_map_to_the_formal_name() -> None:
    assert canonical("bob") == canonical("robert")
    assert canonical("jim") == canonical("james")
    assert canonical("liz") == canonical("elizabeth")
    assert canonical("kate") == canonical("katherine")
    assert person_features("Bob Smith").canon_key == person_features("SMITH, Robert").canon_key


def test_cyrillic_is_transliterated() -> None:
    f = person_features("Иван Петров")
    assert f.tokens == ("ivan", "petrov")


def test_given_and_family_whatever_the_order() -> None:
    western = person_features("John Michael Smith")
    comma = person_features("Smith, John")
    capitals = person_features("SMITH John")
    for f in (western, comma, capitals):
        assert (f.given, f.family) == ("john", "smit"), f  # John stays John, not Jonathan
    swapped = person_features("Van Minh Nguyen")  # Vietnamese written in Western order
    assert (swapped.given, swapped.family) == (canonical("minh"), canonical("nguyen"))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990-03-04", Dob(1990, 3, 4)),
        ("1990-03", Dob(1990, 3)),
        ("1990", Dob(1990)),
        ("04/03/1990", Dob(1990, 3, 4)),  # UK order
        ("03/25/1990", Dob(1990, 3, 25)),  # the day cannot be 25th month: US order
        ("4.3.1990", Dob(1990, 3, 4)),
        ("12 March 1990", Dob(1990, 3, 12)),
        ("March 12, 1990", Dob(1990, 3, 12)),
        ("Mar 1990", Dob(1990, 3)),
        ("", Dob()),
        (None, Dob()),
    ],
)
def test_dates_of_birth(raw: str | None, expected: Dob) -> None:
    assert parse_dob(raw) == expected


@pytest.mark.parametrize("raw", ["2001-02-30", "13/13/1990", "1850", "2999-01-01", "yesterday", "1990-13"])
def test_impossible_dates_are_unknown_and_flagged(raw: str) -> None:
    d = parse_dob(raw)
    assert d.year is None and d.invalid
    f = person_features("A Name", raw)
    assert f.dob_year is None and f.dob_invalid


def test_swapped_dates_share_a_block() -> None:
    a = person_features("x y", "1990-03-04")
    b = person_features("x y", "1990-04-03")
    assert a.dob_block == b.dob_block == "1990-3-4"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("GB", "GB"),
        ("gbr", "GB"),
        ("British", "GB"),
        ("Vietnamese", "VN"),
        ("Viet Nam", "VN"),
        ("Albanian", "AL"),
        ("Romanian", "RO"),
        ("Eritrean", "ER"),
        ("Ukrainian", "UA"),
        ("Sudan", "SD"),
        ("Kosovo", "XK"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_nationalities(raw: str, code: str | None) -> None:
    assert parse_nationality(raw) == code


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=14))
def test_spelling_rules_are_the_same_in_sql(word: str) -> None:
    con = duckdb.connect()
    t_sql, s_sql = con.execute(
        f"SELECT {translit_sql('$w')}, {skeleton_sql(translit_sql('$w'))}", {"w": word}
    ).fetchall()[0]
    assert t_sql == translit(word)
    assert s_sql == skeleton(translit(word))


NAMES = [
    "Nguyen Van Minh",
    "Nguyễn Văn Minh",
    "Minh NGUYEN",
    "SMITH, Robert J.",
    "O'Brien,  Mary-Kate",
    "Al-Obeidi's",
    ", Le",
    "Иван Петров",
    "Łukasz Żółć",
    "Yohannes DESTA Filmon",
    "J.",
    "   ",
    "12 34",
    "van der Berg, Anna",
    "Abdul Rahman Al-Obeidi",
    "ŞENOL Güneş",
    "Kristóf  NAGY  Béla",
]


def _batch(rows: list[tuple[Any, ...]]) -> list[dict[str, object]]:
    con = duckdb.connect()
    con.register(
        "src",
        pa.table(
            {
                "unique_id": [str(i) for i in range(len(rows))],
                "name": [r[0] for r in rows],
                "dob": [r[1] for r in rows],
                "nationality": [r[2] for r in rows],
                "identifiers": pa.array([None] * len(rows), pa.list_(pa.string())),
                "selectors": pa.array([r[4] for r in rows], pa.list_(pa.string())),
            }
        ),
    )
    build_features(con, "src", "feat")
    out = con.execute(f"SELECT {', '.join(COLUMNS)} FROM feat ORDER BY CAST(unique_id AS INTEGER)").fetchall()
    return [{c: (tuple(v) if isinstance(v, list) else v) for c, v in zip(COLUMNS, row, strict=True)} for row in out]


def test_batch_features_equal_the_python_ones() -> None:
    from cairn.bench.resolve import generate

    data = generate(1500, 5)
    rng = random.Random(2)
    names = data.table.column("name").to_pylist() + NAMES
    dobs = data.table.column("dob").to_pylist() + [
        rng.choice(["1990-03-04", "04/03/1990", "2001-02-30", "", None]) for _ in NAMES
    ]
    nats = data.table.column("nationality").to_pylist() + [
        rng.choice(["British", "VN", "Atlantis", None]) for _ in NAMES
    ]
    sels = data.table.column("selectors").to_pylist() + [[" +447700900001 ", "", "a@b.example"] for _ in NAMES]
    rows = [(n, d, c, None, s) for n, d, c, s in zip(names, dobs, nats, sels, strict=True)]
    batch = _batch(rows)
    for (n, d, c, _, s), got in zip(rows, batch, strict=True):
        assert got == person_features(n, d, c, None, s).row(), n
