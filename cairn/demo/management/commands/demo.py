from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from cairn.demo.loader import DEMO_PASSWORD, demo_totp_code, demo_totp_secret_base32, load_demo
from cairn.demo.world import DEFAULT_SEED, build_world


class Command(BaseCommand):
    help = "Load the demo world (default), print a sign-in code, or write the hidden ground truth."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("what", nargs="?", default="load", choices=["load", "code", "ground-truth", "accounts"])
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument("--out", type=Path, help="file for ground-truth (JSON)")

    def handle(self, *args: Any, **options: Any) -> None:
        seed = options["seed"]
        what = options["what"]
        if what == "code":
            remaining = 30 - int(time.time()) % 30
            self.stdout.write(f"{demo_totp_code()}  (valid for {remaining} more seconds; any demo account)")
            return
        if what == "ground-truth":
            truth = build_world(seed).ground_truth()
            text = json.dumps(truth, indent=1, ensure_ascii=False)
            if options["out"]:
                options["out"].write_text(text)
                self.stdout.write(f"ground truth for seed {seed} written to {options['out']}")
            else:
                self.stdout.write(text)
            return
        if what == "accounts":
            for u in build_world(seed).users:
                self.stdout.write(f"{u.username:28} {u.organisation:12} {', '.join(u.roles)}")
            return
        started = time.perf_counter()
        result = load_demo(seed)
        took = time.perf_counter() - started
        # The hidden truth's entity ids are for the tests and `cairn demo ground-truth`, not the console.
        summary = {k: v for k, v in result.summary.items() if k != "hidden_group_entities"}
        summary["hidden_groups_members"] = sum(len(v) for v in result.summary.get("hidden_group_entities", {}).values())
        if result.loaded:
            self.stdout.write(f"demo world (seed {seed}) loaded in {took:.1f} s: {summary}")
        else:
            self.stdout.write(f"demo world (seed {seed}) already loaded: {summary}")
        self.stdout.write(
            "Background: every report's people are queued for matching; `cairn serve` (make run) works "
            "through the queue, and the walk-through stories' people are matched already."
        )
        self.stdout.write(
            f"Sign in as e.g. officer.aldermoor with password '{DEMO_PASSWORD}' and the code from "
            f"'cairn demo code' (or add key {demo_totp_secret_base32()} to an authenticator app)."
        )
