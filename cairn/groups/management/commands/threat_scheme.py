"""``cairn threat_scheme``: list the threat scoring schemes, or load your organisation's own.

    cairn threat_scheme list
    cairn threat_scheme load FILE.json [--inactive]
    cairn threat_scheme example > my-scheme.json

A file is checked whole before anything is written; a bad one is refused with every problem named.
Loading a scheme of an existing name makes its next version; the previous versions stay for the
assessments scored with them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "List threat scoring schemes, load one from a JSON file, or print the example to start from."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="the schemes loaded, the active one marked")
        load = sub.add_parser("load", help="load a scheme from a JSON file (it becomes active)")
        load.add_argument("file")
        load.add_argument("--inactive", action="store_true", help="load without making it the active scheme")
        sub.add_parser("example", help="print the example scheme's JSON, to edit into your own")

    def handle(self, *args: Any, **options: Any) -> None:
        from cairn.groups import services
        from cairn.groups.models import ThreatScheme

        action = options["action"]
        if action == "example":
            self.stdout.write(json.dumps(services.example_scheme_data(), indent=2, ensure_ascii=False))
            return
        if action == "list":
            for s in ThreatScheme.objects.all():
                marks = ", ".join(m for m, on in (("active", s.active), ("example", s.example)) if on)
                self.stdout.write(
                    f"{s.pk}\t{s.name}\tv{s.version}\t{len(s.factors)} factors, max {s.max_score:g}"
                    + (f"\t({marks})" if marks else "")
                )
            return
        path = Path(options["file"])
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CommandError(f"{path}: no such file") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{path}: not JSON ({exc})") from None
        try:
            scheme = services.scheme_load(data=data, activate=not options["inactive"])
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(f"{path}: nothing loaded: {problems}") from None
        self.stdout.write(f"Loaded {scheme} (id {scheme.pk})" + (", now active" if scheme.active else ""))
