"""A throw-away database for a benchmark, on the same server as Cairn's own and never Cairn's own.

``bench_database()`` creates ``cairn_bench`` (dropping a leftover one first), points Django's
``default`` connection at it, migrates it, and drops it again afterwards unless asked to keep it.
Benchmarks write millions of rows; none of them may land in the database people use.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from django.core.management import call_command
from django.db import connections
from psycopg import sql

DEFAULT_NAME = "cairn_bench"
# Set (to 1) when two benchmarks may run at once on one server, as the test suite does beside a manual run.
PER_PROCESS_ENV = "CAIRN_BENCH_DB_PER_PROCESS"
# Only names of this shape are ever created or dropped here.
_SAFE_NAME = re.compile(r"cairn_bench(?:_[0-9]+)?")
# Keys of Django's connection parameters that describe the server and the login, not the database.
_SERVER_KEYS = (
    "host",
    "port",
    "user",
    "password",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "passfile",
    "connect_timeout",
    "service",
    "target_session_attrs",
)


class BenchDatabaseError(RuntimeError):
    """The benchmark database could not be created or dropped (no server, or no CREATEDB right)."""


@dataclass(frozen=True)
class BenchDatabase:
    name: str
    server: str  # "embedded" or host:port
    version: str  # PostgreSQL's server_version
    reused: bool  # --keep found one from an earlier run and kept its rows


def bench_database_name() -> str:
    if os.environ.get(PER_PROCESS_ENV, "").strip().lower() in {"1", "true", "yes", "on"}:
        return f"{DEFAULT_NAME}_{os.getpid()}"
    return DEFAULT_NAME


def server_params(alias: str = "default") -> dict[str, Any]:
    """How to reach the server behind ``alias``; for the embedded backend this starts the server."""
    params = connections[alias].get_connection_params()
    return {k: params[k] for k in _SERVER_KEYS if params.get(k) not in (None, "")}


def admin_connection(params: dict[str, Any]) -> psycopg.Connection[Any]:
    """An autocommit connection to the ``postgres`` database: CREATE and DROP DATABASE cannot run in a transaction."""
    # No statement timeout: dropping a database of a million reports may take longer than a page may.
    return psycopg.connect(**params, dbname="postgres", autocommit=True, options="-c statement_timeout=0")


def _drop(admin: psycopg.Connection[Any], name: str) -> None:
    # FORCE ends sessions still connected (a benchmark interrupted mid-batch leaves one behind).
    admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextmanager
def bench_database(*, name: str | None = None, keep: bool = False, alias: str = "default") -> Iterator[BenchDatabase]:
    """Create (or with ``keep``, reuse) the benchmark database, point ``alias`` at it and migrate it.

    The connection settings are restored and, unless ``keep``, the database dropped on the way out,
    whatever happened inside.
    """
    from django.contrib.contenttypes.models import ContentType

    name = name or bench_database_name()
    connection = connections[alias]
    settings_dict = connection.settings_dict
    original = settings_dict["NAME"]
    if not _SAFE_NAME.fullmatch(name) or name == original:
        raise ValueError(f"refusing to use {name!r} as a benchmark database")
    params = server_params(alias)
    embedded = settings_dict["ENGINE"] == "cairn.core.embedded_pg"
    server = "embedded" if embedded else f"{params.get('host', 'localhost')}:{params.get('port', 5432)}"
    try:
        with admin_connection(params) as admin:
            version = str(admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
            exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None
            reused = exists and keep
            if not reused:
                _drop(admin, name)
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as exc:
        raise BenchDatabaseError(f"cannot create the benchmark database {name} on {server}: {exc}") from exc
    # From here on every query through ``alias`` goes to the benchmark database.
    connection.close()
    settings_dict["NAME"] = name
    ContentType.objects.clear_cache()
    try:
        call_command("migrate", verbosity=0, interactive=False, database=alias)
        yield BenchDatabase(name=name, server=server, version=version, reused=reused)
    finally:
        connection.close()
        settings_dict["NAME"] = original
        ContentType.objects.clear_cache()
        if not keep:
            try:
                with admin_connection(params) as admin:
                    _drop(admin, name)
            except psycopg.Error as exc:
                raise BenchDatabaseError(f"cannot drop the benchmark database {name}: {exc}") from exc
