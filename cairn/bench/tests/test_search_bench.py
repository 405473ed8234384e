"""``cairn bench search`` runs end to end on a few thousand reports, prints its table and cleans up."""

from __future__ import annotations

import io
import os
import random
import re

import pytest

from cairn.bench import search
from cairn.bench.database import admin_connection, server_params
from cairn.entities.normalise import name_tokens, normalise


def test_noisy_variants_stay_recognisable_names() -> None:
    rng = random.Random(3)
    pools = search.build_name_pools(3)
    for n in range(200):
        nat_index = n % len(search.NATIONALITIES)
        parts = search.make_person(nat_index, pools, rng)
        nat = search.NATIONALITIES[nat_index]
        ops = search._pick_ops(search.QUERY_OPS, 2, rng)
        text = search.variant(parts, nat, rng, ops, for_query=True)
        assert name_tokens(text), (parts, ops, text)
        assert text.isascii() or not nat.keeps_script, text  # queries are typed in Latin letters


def test_selector_queries_normalise_to_the_stored_key() -> None:
    rng = random.Random(5)
    parts = (("Mohammed", "given"), ("Ahmed", "family"))
    kinds = {"phone": "phone", "vrm": "vrm", "email": "email", "bank_account": "bank_account"}
    for kind, selector in kinds.items():
        for _ in range(50):
            key, written = search.make_selector(kind, parts, rng)
            assert normalise(selector, written) == key
            typed = search.selector_query(kind, key, written, rng)
            assert normalise(selector, typed.strip()) == key, (kind, key, typed)


@pytest.mark.django_db(transaction=True)
def test_search_benchmark_prints_its_table_and_drops_its_database() -> None:
    name = f"cairn_bench_{os.getpid()}"
    out = io.StringIO()
    figures = search.run(reports=3000, queries=30, out=out, database=name)
    text = out.getvalue()

    assert re.search(r"cairn bench search: 3,000 reports, 3,000 person records \([\d,]+ true people\)", text), text
    for label in (
        "person (access rule)",
        "person (no access rule)",
        "naive trigram baseline",
        "selector (access rule)",
        "selector (no access rule)",
        "free text (access rule)",
        "free text (no access rule)",
        "misspelt (did you mean)",
    ):
        assert re.search(rf"^{re.escape(label)}\s+[\d.,]+\s+[\d.,]+\s+[\d.,]+", text, re.M), text
        kind = figures["kinds"][label]
        assert kind["queries"] == 30
        assert kind["p50_ms"] <= kind["p95_ms"] <= kind["p99_ms"]
        for key in ("recall_at_10", "exact_at_10"):
            if kind[key] is not None:
                assert 0.0 <= kind[key] <= 1.0
    assert re.search(r"^access rule overhead \(p95\): person [+-]\d+%", text, re.M), text
    # How far another draw of as many queries could move the person figures, printed beside them.
    assert re.search(r"^sampling error over 30 person queries \(95 %\): p95 [\d.,]+–[\d.,]+ ms", text, re.M), text
    person = figures["kinds"]["person (access rule)"]
    low, high = person["p95_interval_ms"]
    assert 0.0 < low <= high
    recall_low, recall_high = person["recall_interval"]
    assert recall_low <= person["recall_at_10"] <= recall_high
    for label in ("person (access rule)", "person (no access rule)", "naive trigram baseline"):
        assert figures["kinds"][label]["recall_at_10"] is not None
    # Every selector query names a selector of a report the officer may read: it is always found.
    assert figures["kinds"]["selector (access rule)"]["recall_at_10"] == 1.0
    # A slip in a town, premises or keyword is mostly put right by "did you mean".
    assert figures["kinds"]["misspelt (did you mean)"]["recall_at_10"] > 0.5
    assert 0.3 < figures["visible_share"] < 0.9
    # What crowded names leave within reach is a share, printed beside the crowding.
    assert 0.0 < figures["recall_ceiling"] <= 1.0 and 0.0 <= figures["crowded_names"] <= 1.0
    assert re.search(r"within reach of a perfect ranker that can only guess among them: [01]\.\d{3}", text), text
    # Ties broken the true record's way can only find more than the order as it is.
    assert person["recall_at_10"] <= figures["tie_ceiling"] <= 1.0
    assert re.search(r"^person recall@10 had every result scored alike .*: [01]\.\d{3}", text, re.M), text

    with admin_connection(server_params()) as admin:
        left = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    assert left is None, f"{name} was not dropped"


@pytest.mark.django_db
def test_a_search_its_own_time_limit_stopped_counts_as_a_timeout_not_a_crash() -> None:
    from cairn.search.selectors import SearchInputError

    def stopped() -> None:
        raise SearchInputError("That search took too long and was stopped.")

    _, result, timed_out = search._timed(stopped)
    assert timed_out is True and result is None


def test_sampling_intervals_of_the_figures() -> None:
    """Textbook Wilson intervals (5 of 10: 0.237-0.763; 0 of 10: 0-0.278), and a bootstrap p95 inside the sample."""
    half = search.Figures(found=5, counted=10)
    assert [round(x, 3) for x in half.recall_interval() or ()] == [0.237, 0.763]
    none = search.Figures(found=0, counted=10)
    assert [round(x, 3) for x in none.recall_interval() or ()] == [0.0, 0.278]
    assert search.Figures().recall_interval() is None

    times = search.Figures(times_ms=[float(t) for t in range(1, 1001)])
    low, high = times.p95_interval()
    assert 900.0 < low <= times.percentile(0.95) <= high < 1000.0
    assert times.p95_interval() == (low, high)  # the same times, the same interval
