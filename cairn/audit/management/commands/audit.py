from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cairn.audit.services import verify_chain


class Command(BaseCommand):
    help = "Audit log tools. 'cairn audit verify' checks the whole hash chain."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("verify", help="Check every entry's hash and link; name the first broken entry.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        report = verify_chain()
        took = time.perf_counter() - started
        if report.intact:
            self.stdout.write(f"audit chain intact: {report.checked} entries checked in {took:.2f} s")
            return
        raise CommandError(
            f"audit chain BROKEN at entry #{report.first_broken_id}: {report.problem}. "
            f"{report.checked} entries before it are intact."
        )
