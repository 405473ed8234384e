"""``cairn bench chart`` runs end to end on a tiny chart in headless Chromium, prints figures, drops its database."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

from cairn.bench.database import PER_PROCESS_ENV, admin_connection, server_params

pytestmark = pytest.mark.browser


def test_chart_bench_prints_its_figures_and_drops_its_database() -> None:
    env = {**os.environ, PER_PROCESS_ENV: "1", "CAIRN_DB_NAME": settings.DATABASES["default"]["TEST"]["NAME"]}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cairn = os.path.join(os.path.dirname(sys.executable), "cairn")
    result = subprocess.run(
        [cairn, "bench", "chart", "--sizes", "20", "--runs", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=settings.BASE_DIR,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr + out
    assert re.search(r"cairn bench chart: sizes 20 nodes, 1 runs each, PostgreSQL \d+", out), out
    assert re.search(r"^20-node chart: 20 nodes, [\d,]+ edges on the page; API answer [\d,]+ KB JSON", out, re.M), out
    for label in (
        "click to first frame (every node, the seed links), in the page",
        "click to first frame, seen by the driver",
        "fetch (request, server, JSON parse)",
        "draw (to the first frame)",
        "click to every link drawn (the page answers again), in the page",
        "select a node + side panel, asked at the first frame (driver)",
        "neighbourhood API, resource timing in the browser",
        "neighbourhood API, server work in process (graph + JSON)",
    ):
        assert re.search(rf"^\s+{re.escape(label)}\s+[\d,]+\s+[\d,]+", out, re.M), out
    name = re.search(r"database (cairn_bench_\d+)", out)
    assert name is not None, out
    with admin_connection(server_params()) as admin:
        left = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name.group(1)]).fetchone()
    assert left is None, f"{name.group(1)} was not dropped"
