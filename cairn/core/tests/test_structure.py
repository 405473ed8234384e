"""Structural rules that keep the one access rule the only one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cairn.core.scoping import UnscopedQueryError
from cairn.entities.models import Entity, Statement
from cairn.intelligence.models import AccessRequest, IntelligenceReport, ReportRevision

ROOT = Path(__file__).resolve().parents[2]
# Where bypassing the scope is allowed: the policy itself, the services that write, the demo generator.
ALLOWED = {"access", "demo", "migrations", "tests", "core", "bench"}  # bench: its own database, no users
# matching.py is entity resolution: a system job that reads every person record and writes only
# proposals, which people then see through cairn.access.linking.
ALLOWED_FILES = {"services.py", "importer.py", "matching.py"}
BYPASS = re.compile(r"\.(unscoped_objects|unscoped\(\))")


def test_unscoped_access_only_where_allowed() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if set(rel.parts) & ALLOWED or path.name in ALLOWED_FILES or path.name.startswith("bench"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if BYPASS.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert not offenders, "reads that bypass the access policy:\n" + "\n".join(offenders)


@pytest.mark.parametrize("model", [IntelligenceReport, Statement, Entity, ReportRevision, AccessRequest])
def test_default_manager_refuses_unscoped_queries(model: type) -> None:
    with pytest.raises(UnscopedQueryError, match="needs to know who is asking"):
        model.objects.filter(pk=1)


def test_the_benchmark_bypass_is_used_only_by_search_and_the_benchmark() -> None:
    offenders = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {"access", "bench"} or "tests" in rel.parts:
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if "unrestricted_for_benchmark(" in line and rel.as_posix() != "search/selectors.py":
                offenders.append(f"{rel}:{n}")
    assert not offenders, offenders
