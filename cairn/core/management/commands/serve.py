from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection


def _exit_on_signal(signum: int, frame: object) -> None:
    sys.exit(0)


def _start_task_worker() -> None:
    """Run the database task worker in a daemon thread, so `make run` needs one process only."""
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=1.0,
        batch=False,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=f"cairn-serve-{os.getpid()}",
        excluded_queue_names=[],
    )
    threading.Thread(target=worker.run, name="cairn-task-worker", daemon=True).start()


class Command(BaseCommand):
    help = "Start the Cairn web server (and the embedded database if no DATABASE_URL). Ctrl-C stops both."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not run background jobs here (run `cairn db_worker` instead)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # SIGTERM (from a supervisor or `kill`) exits like Ctrl-C, so the
        # embedded database is stopped by its exit handler rather than left running.
        signal.signal(signal.SIGTERM, _exit_on_signal)
        connection.ensure_connection()
        if not options["no_worker"]:
            _start_task_worker()
            self.stdout.write("Background jobs: a task worker runs in this process (re-resolution, analytics).")
        self.stdout.write(f"Cairn is at http://{options['addrport']}/  (Ctrl-C to stop)")
        # No autoreloader: one process owns the embedded database and stops it on exit.
        call_command("runserver", options["addrport"], use_reloader=False, use_static_handler=False)
