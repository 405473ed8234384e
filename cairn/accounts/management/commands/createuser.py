from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cairn.accounts import services
from cairn.accounts.choices import Role


class Command(BaseCommand):
    help = "Create an account. The person enrols their authenticator app at first sign-in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--organisation", "--org", required=True, help="organisation code, e.g. aldermoor")
        parser.add_argument("--role", action="append", default=[], choices=Role.values, help="repeat for several roles")
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument("--password-stdin", action="store_true", help="read the password from standard input")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["password_stdin"]:
            password = sys.stdin.readline().rstrip("\n")
        elif sys.stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("the passwords do not match")
        else:
            raise CommandError("give the password with --password-stdin when not at a terminal")
        try:
            user = services.user_create(
                actor=None,
                username=options["username"],
                organisation_code=options["organisation"],
                roles=options["role"],
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
                password=password,
            )
        except ValidationError as exc:
            messages: list[str] = []
            for field, errs in exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]:
                messages.extend(f"{field}: {e}" if field and field != "__all__" else e for e in errs)
            raise CommandError("; ".join(messages)) from exc
        self.stdout.write(
            f"created {user.username} in {user.organisation.name} with roles {', '.join(user.roles) or 'none'}"
        )
