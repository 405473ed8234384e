"""``cairn import reports FILE.jsonl --as USERNAME``: bulk import, all or nothing (docs/import-format.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cairn.accounts.models import User
from cairn.intelligence.importer import ImportFileError, JsonlFile, import_reports

# Exit codes: 1 when lines were rejected (fix the file and run again), 2 when the command could not run.
REJECTED = 1
CANNOT_RUN = 2


class Command(BaseCommand):
    help = (
        "Import intelligence reports from a JSON Lines file, one report per line. Every line is checked first; "
        "if any is rejected nothing is written and every problem is listed with its line and field."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", choices=["reports"], help="what to import (only 'reports' for now)")
        parser.add_argument("file", help="the .jsonl file")
        parser.add_argument(
            "--as",
            dest="as_user",
            required=True,
            metavar="USERNAME",
            help="the account the reports are submitted as (it must be able to submit intelligence)",
        )
        parser.add_argument(
            "--source-system", default="", metavar="NAME", help="the system the reports came from, kept on each report"
        )
        parser.add_argument("--dry-run", action="store_true", help="check the file and write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        actor = User.objects.filter(username__iexact=options["as_user"]).select_related("organisation").first()
        if actor is None:
            raise CommandError(f"there is no user '{options['as_user']}' (--as)", returncode=CANNOT_RUN)
        if not path.is_file():
            raise CommandError(f"{path}: no such file", returncode=CANNOT_RUN)
        try:
            result = import_reports(
                actor=actor,
                lines=JsonlFile(path),
                source_system=options["source_system"],
                dry_run=options["dry_run"],
                file_name=path.name,
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc), returncode=CANNOT_RUN) from exc
        except ValidationError as exc:
            raise CommandError(_messages(exc), returncode=CANNOT_RUN) from exc
        except ImportFileError as exc:
            raise CommandError(f"{path}: {exc}; nothing imported", returncode=CANNOT_RUN) from exc
        except OSError as exc:
            raise CommandError(f"{path}: cannot read it: {exc.strerror or exc}", returncode=CANNOT_RUN) from exc

        if result.rejected:
            self.stderr.write(f"rejected: {result.rejected_lines} lines")
            for r in result.rejected:
                self.stderr.write(f"line {r.line}: {r.field}: {r.message}")
            self.stderr.write("nothing imported")
            raise SystemExit(REJECTED)
        if result.dry_run:
            self.stdout.write(f"dry run: {result.imported} reports would be imported; nothing written")
        elif result.references:
            self.stdout.write(f"imported {result.imported} reports ({result.references[0]} to {result.references[-1]})")
        else:
            self.stdout.write("imported 0 reports: the file has no lines")


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items())
    return "; ".join(exc.messages)
