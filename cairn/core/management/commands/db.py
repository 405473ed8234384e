from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.utils import OperationalError

from cairn.core import embedded_pg


class Command(BaseCommand):
    help = "Say where the database is, whether it is embedded or external, and whether it answers."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.DATABASE_URL:
            parts = urlsplit(settings.DATABASE_URL)
            location = f"{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"
            where = f"external PostgreSQL at {location} (DATABASE_URL)"
        else:
            where = f"embedded PostgreSQL, data folder {embedded_pg.pgdata_dir()}"
        self.stdout.write(where)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                version = cursor.fetchone()[0]  # type: ignore[index]
                cursor.execute("SELECT current_database()")
                name = cursor.fetchone()[0]  # type: ignore[index]
        except OperationalError as exc:
            raise CommandError(f"{where} does not answer: {str(exc).strip().splitlines()[0]}") from exc
        self.stdout.write(f"database {name}, PostgreSQL {version}, reachable")
