"""``cairn bench linking`` runs end to end on a small world, prints its table and drops its database."""

from __future__ import annotations

import re

import pytest

from cairn.bench import linking
from cairn.bench.database import PER_PROCESS_ENV, admin_connection, server_params
from cairn.core.testing import run_cli
from cairn.linking.services import HIT_FANOUT_LIMIT


def test_selector_reports_are_mostly_rare_with_a_few_hot_ones() -> None:
    extra = linking.selector_reports(200_000, first_entity=1, seed=3)
    counts = list(extra.mentions)
    assert extra.hot >= 3
    assert sum(c <= 3 for c in counts) / len(counts) > 0.85  # most selectors: one to three reports
    assert sum(c > HIT_FANOUT_LIMIT for c in counts) >= 3  # a few beyond the fan-out limit
    for r in range(extra.reports):
        named = extra.of(r)
        assert 1 <= len(named) <= 3 and len(set(named)) == len(named)


@pytest.mark.django_db(transaction=True)
def test_linking_bench_prints_its_table_and_drops_its_database() -> None:
    result = run_cli(
        "bench",
        "linking",
        "--people",
        "3000",
        "--statements",
        "20000",
        "--queries",
        "50",
        env={PER_PROCESS_ENV: "1"},
        timeout=600,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr + out
    assert re.search(r"cairn bench linking: 3,000 person records, 20,000 statements, 50 queries", out), out
    for label in (
        "match_record: 1 new person vs N existing",
        "candidate lookup (candidates_for, PostgreSQL)",
        "scoring with the trained model",
        "_new_pairs: 1 new report vs M statements",
        "report_correlations: officer, access rule",
    ):
        assert re.search(rf"^\s*{re.escape(label)}\s+[\d.,]+\s+[\d.,]+\s+[\d.,]+", out, re.M), out
    recall = re.search(r"^recall: true match among the proposals ([\d.]+)", out, re.M)
    assert recall is not None, out
    assert float(recall.group(1)) > 0.5, out
    assert re.search(r"^matching: 50 new records .* candidates per record p50", out, re.M), out
    assert re.search(r"load average [\d.]+ [\d.]+ [\d.]+ on \d+ cores", out), out
    assert re.search(r"^targets: match_p95 (met|MISSED), new_pairs_p95 (met|MISSED)", out, re.M), out
    name = re.search(r"database (cairn_bench_\d+)", out)
    assert name is not None, out
    with admin_connection(server_params()) as admin:
        left = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name.group(1)]).fetchone()
    assert left is None, f"{name.group(1)} was not dropped"
