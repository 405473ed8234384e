"""``cairn bench resolve`` runs end to end on a tiny size and prints its table (no database needed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings


def test_resolve_bench_prints_its_table() -> None:
    env = {**os.environ}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cairn = os.path.join(os.path.dirname(sys.executable), "cairn")
    result = subprocess.run(
        [cairn, "bench", "resolve", "--sizes", "2000", "--ceiling"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=settings.BASE_DIR,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr + out
    assert re.search(
        r"^engine\s+records\s+pair P\s+pair R\s+pair F1\s+B3 P\s+B3 R\s+B3 F1\s+exact\s+time s", out, re.M
    ), out
    number = r"\d\.\d{4}"
    for engine in ("cairn", "splink"):
        row = re.search(
            rf"^{engine}\s+2,000\s+({number})\s+({number})\s+({number})\s+{number}\s+{number}\s+({number})", out, re.M
        )
        assert row is not None, out
        precision, recall, f1, b3_f1 = (float(g) for g in row.groups())
        assert 0 < f1 <= 1 and 0 < b3_f1 <= 1
        assert f1 <= max(precision, recall) + 1e-4
    mine = float(re.search(rf"^cairn\s+2,000\s+{number}\s+{number}\s+({number})", out, re.M).group(1))  # type: ignore[union-attr]
    plain = float(re.search(rf"^splink\s+2,000\s+{number}\s+{number}\s+({number})", out, re.M).group(1))  # type: ignore[union-attr]
    assert mine > plain, out
    assert "targets: pairwise F1 >= 0.97" in out
    assert re.search(r"^real-time Model\.score: [\d,]+ µs per pair", out, re.M), out
    assert re.search(r"^at 2,000 records: pairwise F1 \d\.\d{4} \(target 0\.97\)", out, re.M), out
    ceiling = re.search(
        rf"^\s+2,000 records: blocking recall ({number}) \(([\d,]+) of ([\d,]+) true pairs in ([\d,]+) blocked\); "
        rf"best pairwise F1 ({number}) \(P ({number}), R ({number})\)",
        out,
        re.M,
    )
    assert ceiling is not None, out
    blocking_recall, blocked_true, true_pairs, blocked, best, best_p, best_r = (
        float(g.replace(",", "")) for g in ceiling.groups()
    )
    assert blocked_true <= true_pairs and blocked_true <= blocked
    assert blocking_recall == pytest.approx(blocked_true / true_pairs, abs=1e-4)
    # The oracle links only blocked pairs, so its recall cannot pass the blocking's.
    assert 0 < best_r <= blocking_recall + 1e-4 and 0 < best_p <= 1 and 0 < best <= 1


def test_best_f1_takes_the_patterns_worth_linking() -> None:
    from cairn.bench.resolve import best_f1

    # 20 true pairs in all: a sure pattern, an even one, a hopeless one.
    p, r, f1 = best_f1([(0, 10), (5, 5), (10, 0)], 20)
    assert (p, r) == (0.75, 0.75) and f1 == pytest.approx(0.75)
    # With the even pattern larger, linking it costs more precision than it gains recall.
    p, r, f1 = best_f1([(10, 0), (5, 40)], 20)
    assert (p, r) == (1.0, 0.5) and f1 == pytest.approx(2 / 3)
