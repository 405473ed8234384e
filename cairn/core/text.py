"""Free text as users type it: what never belongs in it, removed at the edge."""

from __future__ import annotations

import re

# Control characters other than tab and newlines: never in a report, and a NUL cannot be stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    return _CONTROL.sub("", value or "").strip()


def one_line(value: str, limit: int) -> str:
    """Text for a single-line field (a reason): a control character, a line break or a run of
    whitespace is one space (so 'Op\x00Lantern' keeps its two words)."""
    return " ".join(_CONTROL.sub(" ", value or "").split())[:limit]
