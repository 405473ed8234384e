from __future__ import annotations

import signal
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection


def _exit_on_signal(signum: int, frame: object) -> None:
    sys.exit(0)


class Command(BaseCommand):
    help = "Start the Cairn web server (and the embedded database if no DATABASE_URL). Ctrl-C stops both."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args: Any, **options: Any) -> None:
        # SIGTERM (from a supervisor or `kill`) exits like Ctrl-C, so the
        # embedded database is stopped by its exit handler rather than left running.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        connection.ensure_connection()
        self.stdout.write(f"Cairn is at http://{options['addrport']}/  (Ctrl-C to stop)")
        # No autoreloader: one process owns the embedded database and stops it on exit.
        call_command("runserver", options["addrport"], use_reloader=False, use_static_handler=False)
