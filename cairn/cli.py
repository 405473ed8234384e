"""The ``cairn`` command: Django's management commands with Cairn's own on top.

    cairn serve | migrate | demo | createuser | audit verify | db | ...

Database errors become a clear message and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import sys


def _database_hint() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return "the embedded PostgreSQL server (var/pgdata)"
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path} (from DATABASE_URL)"


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cairn.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "cairn"
    from django.core.management import execute_from_command_line
    from django.db.utils import OperationalError

    try:
        execute_from_command_line(argv)
    except OperationalError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
        print(f"cairn: cannot reach the database at {_database_hint()}: {reason}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
