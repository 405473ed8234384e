"""The cairn command as a user runs it."""

from __future__ import annotations

import pytest

from cairn.core.testing import run_cli


def test_unreachable_database_url_gives_a_clear_message() -> None:
    result = run_cli("db", env={"DATABASE_URL": "postgres://cairn@127.0.0.1:9/cairn"}, timeout=60)
    assert result.returncode != 0
    assert "127.0.0.1:9/cairn" in result.stderr
    assert "does not answer" in result.stderr or "cannot reach" in result.stderr
    assert "Traceback" not in result.stderr


def test_non_postgres_database_url_is_refused() -> None:
    result = run_cli("db", env={"DATABASE_URL": "sqlite:///tmp/x.db"}, timeout=60)
    assert result.returncode != 0
    assert "PostgreSQL only" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_db_reports_where_the_database_is() -> None:
    result = run_cli("db")
    assert result.returncode == 0, result.stderr
    assert "PostgreSQL" in result.stdout and "reachable" in result.stdout
