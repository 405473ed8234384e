"""``cairn bench network`` runs end to end on a small graph, prints its table and drops its database."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

from cairn.bench import network
from cairn.bench.database import PER_PROCESS_ENV, admin_connection, server_params


def test_the_generated_world_plants_groups_and_counts_its_links() -> None:
    world = network.generate(2000, 8000, seed=3)
    assert world.links == 8000
    groups = len(world.group_start) - 1
    assert 20 <= groups <= 200
    inside = sum(
        1
        for r in range(world.reports)
        if len({world.group[e] for e in world.subjects(r)}) == 1 and len(world.subjects(r)) > 2
    )
    assert inside > world.reports // 3  # most links are inside a group


@pytest.mark.django_db(transaction=True)
def test_network_bench_prints_its_figures_and_drops_its_database() -> None:
    env = {**os.environ, PER_PROCESS_ENV: "1", "CAIRN_DB_NAME": settings.DATABASES["default"]["TEST"]["NAME"]}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    cairn = os.path.join(os.path.dirname(sys.executable), "cairn")
    result = subprocess.run(
        [cairn, "bench", "network", "--entities", "5000", "--links", "20000", "--queries", "20", "--paths", "10"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=settings.BASE_DIR,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, result.stderr + out
    assert re.search(r"cairn bench network: 5,000 entities, 20,000 links", out), out
    for label in (
        "2-hop expansion, access rule (within_k)",
        "2-hop chart, access rule",
        "2-hop recursive CTE, plain links table, no rule",
        "shortest path, access rule",
        "shortest path, plain igraph, no rule",
    ):
        assert re.search(rf"^{re.escape(label)}.*\s[\d.,]+\s+[\d.,]+", out, re.M), out
    nmi = re.search(r"ARI ([\d.]+), NMI ([\d.]+)", out)
    assert nmi is not None, out
    assert float(nmi.group(2)) >= 0.8, out
    assert re.search(r"^Leiden .*: [\d.,]+ s", out, re.M), out
    name = re.search(r"database (cairn_bench_\d+)", out)
    assert name is not None, out
    with admin_connection(server_params()) as admin:
        left = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name.group(1)]).fetchone()
    assert left is None, f"{name.group(1)} was not dropped"
