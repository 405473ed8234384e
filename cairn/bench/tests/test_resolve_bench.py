"""``cairn bench resolve`` runs end to end on a tiny size and prints its table (no database needed)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from django.conf import settings


def test_resolve_bench_prints_its_table() -> None:
    env = {**os.environ}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cairn = os.path.join(os.path.dirname(sys.executable), "cairn")
    result = subprocess.run(
        [cairn, "bench", "resolve", "--sizes", "2000"],
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
