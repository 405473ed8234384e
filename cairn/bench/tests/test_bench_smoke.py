"""``cairn bench ingest`` runs end to end on a few hundred reports and cleans up after itself."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from django.conf import settings

from cairn.bench.database import PER_PROCESS_ENV, admin_connection, server_params


def _run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        # Its own database (cairn_bench_<pid>), so a benchmark someone is running by hand is left alone.
        PER_PROCESS_ENV: "1",
        # The bench never reads the database it starts from; if it did, it would be the test database.
        "CAIRN_DB_NAME": settings.DATABASES["default"]["TEST"]["NAME"],
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cairn = os.path.join(os.path.dirname(sys.executable), "cairn")
    return subprocess.run(
        [cairn, "bench", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=settings.BASE_DIR,
        check=False,
    )


def test_ingest_prints_its_figures_and_drops_its_database() -> None:
    result = _run_bench("ingest", "--reports", "300", "--batch", "100")
    out = result.stdout
    assert result.returncode == 0, result.stderr + out

    name = re.search(r"database (cairn_bench_\d+)", out)
    assert name is not None, out
    assert re.search(r"N=300 reports, batch 100, PostgreSQL \d+", out), out
    assert re.search(r"^service \(.*\): [\d,]+ reports/s", out, re.M), out
    assert re.search(r"^COPY of the same report rows: [\d,]+ rows/s", out, re.M), out
    assert re.search(r"^peak RSS: [\d,]+ MB", out, re.M), out
    rows = re.search(r"statements ([\d,]+)\s+entities ([\d,]+)\s+revisions ([\d,]+)\s+audit entries ([\d,]+)", out)
    assert rows is not None, out
    statements, _, revisions, audit_entries = (int(g.replace(",", "")) for g in rows.groups())
    assert revisions == 0  # a submitted report is its own revision 1: none is stored until an edit
    assert audit_entries == 300  # one audit entry per report
    assert statements > 300  # every report names at least one subject, and each gives two statements
    assert re.search(r"^audit chain intact: [\d,]+ entries", out, re.M), out

    with admin_connection(server_params()) as admin:
        left = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name.group(1)]).fetchone()
    assert left is None, f"{name.group(1)} was not dropped"
