"""The model: the Python scorer puts every pair in the level Splink's SQL puts it in, with the same
weight; the explanation says why; batch resolution and pair proposals work on small sets."""

from __future__ import annotations

import json
import math
import random

import pytest

from cairn.linking.features import COLUMNS, person_features
from cairn.linking.model import (
    COMPARISONS,
    Batch,
    ModelParams,
    PersonRecord,
    cluster_links,
    index_of_gamma,
    load_model,
    name_frequencies,
    predict_pairs,
    resolve,
)


def _level(score_fields: list, name: str) -> str:
    return next(f.level for f in score_fields if f.field == name)


def test_three_spellings_of_one_name() -> None:
    model = load_model()
    a = person_features("Nguyen Van Minh", "1990", "VN")
    b = person_features("Nguyễn Văn Minh", "1990", "Vietnamese")
    c = person_features("Minh Nguyen", "1990", "Viet Nam")
    ab, ac = model.score(a, b), model.score(a, c)
    assert _level(ab.fields, "name") == "exact"
    assert _level(ac.fields, "name") == "middle name missing"
    assert _level(ab.fields, "dob") == "year only"
    assert _level(ab.fields, "nationality") == "exact"
    assert (
        ab.match_weight > ac.match_weight > model.score(a, person_features("Tran Thi Lan", "1990", "VN")).match_weight
    )


def test_three_spellings_link_in_a_batch() -> None:
    records = [
        PersonRecord("a", "Nguyen Van Minh", "1990", "VN"),
        PersonRecord("b", "Nguyễn Văn Minh", "1990", "Vietnamese"),
        PersonRecord("c", "Minh NGUYEN", "1990", "VN"),
        PersonRecord("d", "Tran Thi Lan", "1990", "VN"),
        PersonRecord("e", "John Smith", "1971-05-06", "GB"),
    ]
    clusters = {rid: cid for rid, cid, _ in resolve(records)}
    assert clusters["a"] == clusters["b"] == clusters["c"]
    assert len({clusters["a"], clusters["d"], clusters["e"]}) == 3


def test_mohammed_and_muhammad() -> None:
    model = load_model()
    s = model.score(
        person_features("Mohammed Ali Hassan", "1985-07-12"), person_features("Muhammad Ali Hasan", "1985-07-12")
    )
    name = next(f for f in s.fields if f.field == "name")
    assert name.level == "transliteration"
    assert name.weight > 5
    assert (name.left, name.right) == ("mohammed ali hassan", "muhammad ali hasan")
    assert s.probability > model.threshold


def test_swapped_day_and_month() -> None:
    model = load_model()
    s = model.score(person_features("Anna Kowalska", "1990-03-04"), person_features("Anna Kowalska", "1990-04-03"))
    dob = next(f for f in s.fields if f.field == "dob")
    assert dob.level == "swapped day-month"
    assert dob.weight > 0
    assert (dob.left, dob.right) == ("1990-03-04", "1990-04-03")
    other = model.score(person_features("Anna Kowalska", "1990-03-04"), person_features("Anna Kowalska", "1990-05-09"))
    assert _level(other.fields, "dob") == "same year, another date"
    assert s.match_weight > other.match_weight


def test_missing_values_weigh_nothing() -> None:
    s = load_model().score(person_features("Anna Kowalska"), person_features("Anna Kowalska", "1990-04-03", "PL"))
    for f in s.fields:
        if f.field in {"dob", "nationality", "selectors", "identifiers"}:
            assert (f.level, f.weight) == ("missing", 0.0)


def test_probability_matches_the_weight() -> None:
    s = load_model().score(person_features("Anna Kowalska", "1990"), person_features("Anna Kowalski", "1990"))
    assert s.probability == pytest.approx(2**s.match_weight / (1 + 2**s.match_weight))
    prior = math.log2(
        load_model().params.probability_two_random_records_match
        / (1 - load_model().params.probability_two_random_records_match)
    )
    assert s.match_weight == pytest.approx(prior + sum(f.weight for f in s.fields))


def test_python_levels_and_weights_equal_splinks() -> None:
    """A few hundred generated pairs scored by Splink's SQL and by Model.score agree exactly."""
    from cairn.bench.resolve import generate

    data = generate(4000, 3)
    model = load_model()
    batch = Batch.start(data.table, model=model, detail=True)
    try:
        predictions = batch.predict(None)
        gammas = ", ".join(f"p.gamma_{c.name}" for c in COMPARISONS)
        cols = ", ".join(f"l.{c}" for c in COLUMNS) + ", " + ", ".join(f"r.{c}" for c in COLUMNS)
        t = batch.tables[0]
        rows = batch.con.execute(
            f"""SELECT p.match_weight, {gammas}, {cols} FROM {predictions.physical_name} p
                JOIN {t} l ON l.unique_id = p.unique_id_l JOIN {t} r ON r.unique_id = p.unique_id_r"""
        ).fetchall()
        tf = name_frequencies(batch.con, batch.tables)
    finally:
        batch.con.close()
    rng = random.Random(1)
    sample = rng.sample(rows, min(600, len(rows)))
    assert len(sample) >= 300
    n, k = len(COMPARISONS), len(COLUMNS)
    seen: set[tuple[str, int]] = set()
    for row in sample:
        left = dict(zip(COLUMNS, row[1 + n : 1 + n + k], strict=True))
        right = dict(zip(COLUMNS, row[1 + n + k :], strict=True))
        python_levels = model.levels(left, right)
        splink_levels = [index_of_gamma(c, g) for c, g in zip(COMPARISONS, row[1 : 1 + n], strict=True)]
        assert python_levels == splink_levels, (left, right)
        score = model.score(left, right, population=data.table.num_rows, name_frequency=tf.get)
        assert score.match_weight == pytest.approx(row[0], abs=1e-6), (left, right)
        seen.update((c.name, i) for c, i in zip(COMPARISONS, python_levels, strict=True))
    # The sample reaches most name and date levels, not just the easy ones.
    assert len({i for name, i in seen if name == "name"}) >= 6
    assert len({i for name, i in seen if name == "dob"}) >= 5


def test_predict_pairs_explains_each_pair() -> None:
    records = [
        PersonRecord("1", "Mohammed Ali Hassan", "1985-07-12", "SD", selectors=("+447700900001",)),
        PersonRecord("2", "Muhammad Ali Hasan", "12/07/1985", "Sudanese"),
        PersonRecord("3", "Fatima Osman", "1991", "SD"),
    ]
    proposals = predict_pairs(records, 0.5)
    assert [(p.left_id, p.right_id) for p in proposals] == [("1", "2")]
    p = proposals[0]
    assert p.probability == pytest.approx(p.score.probability, abs=1e-9)
    assert [f.field for f in p.score.fields] == [c.name for c in COMPARISONS]
    assert _level(p.score.fields, "dob") == "exact"


def test_link_only_pairs_across_the_sets() -> None:
    a = [PersonRecord("1", "Anna Kowalska", "1990-03-04", "PL"), PersonRecord("2", "Anna Kowalska", "1990-03-04", "PL")]
    b = [PersonRecord("1", "KOWALSKA, Anna", "04/03/1990", "Polish"), PersonRecord("9", "Piotr Nowak", "1970", "PL")]
    clusters = {rid: cid for rid, cid, _ in resolve(a, other=b, link_only=True)}
    assert set(clusters) == {"0:1", "0:2", "1:1", "1:9"}
    assert clusters["0:1"] == clusters["1:1"] or clusters["0:2"] == clusters["1:1"]
    assert clusters["1:9"] not in {clusters["0:1"], clusters["0:2"]}


def test_parameters_round_trip_and_refuse_other_levels(tmp_path) -> None:  # type: ignore[no-untyped-def]
    params = load_model().params
    again = ModelParams.from_json(json.loads(json.dumps(params.to_json())))
    assert again.to_json() == params.to_json()
    data = params.to_json()
    data["comparisons"]["dob"]["levels"][1]["label"] = "something else"
    with pytest.raises(ValueError, match="retrain"):
        ModelParams.from_json(data)
    # The prior per pair falls as the population grows; per record it stays put.
    assert params.prior_for(1_000_000) < params.prior_for(10_000)


def test_strong_links_chain_weak_ones_only_attach_a_lone_record() -> None:
    # 0-1 and 2-3 are sure; 1-2 is weak, so it may not join the two pairs into one cluster of four.
    # 4 is alone and weakly linked to 0: it joins 0's cluster. 5 is weakly linked only to 4, which was
    # itself attached weakly: a chain of weak links stops there.
    roots = cluster_links(6, [(0, 1, 0.99), (2, 3, 0.95), (1, 2, 0.6), (4, 0, 0.7), (5, 4, 0.65)], chain_at=0.9)
    clusters = {frozenset(i for i in range(6) if roots[i] == r) for r in roots}
    assert clusters == {frozenset({0, 1, 4}), frozenset({2, 3}), frozenset({5})}
    # With every link sure, the same links make connected components.
    roots = cluster_links(6, [(0, 1, 0.99), (2, 3, 0.95), (1, 2, 0.6), (4, 0, 0.7), (5, 4, 0.65)], chain_at=0.5)
    assert len(set(roots)) == 1


def test_batch_clusters_through_duckdb_carry_their_strongest_link() -> None:
    # cluster_table end to end: the same man twice is one cluster with his link, a stranger alone with none.
    records = [
        PersonRecord("1", "Tadeusz Lempart", "1990-04-02", "PL", selectors=("+447700900101",)),
        PersonRecord("2", "Tadeusz Lempart", "1990-04-02", "PL", selectors=("+447700900101",)),
        PersonRecord("3", "Zofia Nowak", "1985-01-09", "PL", selectors=("+447700900202",)),
    ]
    rows = {rid: (cid, p) for rid, cid, p in resolve(records)}
    assert rows["1"][0] == rows["2"][0] != rows["3"][0]
    assert rows["1"][1] is not None and rows["1"][1] >= 0.9
    assert rows["3"][1] is None  # alone: no link inside its cluster


def test_resolving_the_same_records_twice_gives_the_same_clusters() -> None:
    from cairn.bench.resolve import generate

    data = generate(3000, 5)
    first = sorted(resolve(data.table))
    assert first == sorted(resolve(data.table))
    assert len({cid for _, cid, _ in first}) < len(first)  # some records did cluster
