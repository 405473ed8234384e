"""Bulk import of intelligence reports from JSON Lines (one report per line); the format is docs/import-format.md.

A file is all-or-nothing: every line is parsed and validated first, and every problem is collected with
its line number and field. Only a file with no rejected line is written, in one transaction, through the
same service the report page uses. Legacy 5x5x5 grades are mapped to 3x5x2 by the one table below, and
the original grade is kept on the report beside the mapped one.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from cairn.access import intelligence as policy
from cairn.access.capabilities import Capability
from cairn.access.policy import can
from cairn.accounts.models import SharingGroup, User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.entities.normalise import NormaliseError, SelectorKind, normalise
from cairn.intelligence.choices import (
    Classification,
    Dissemination,
    GradingModel,
    HandlingCode,
    IntelligenceAssessment,
    SourceEvaluation,
)
from cairn.intelligence.inputs import ReportInput, SubjectInput, clean_text, subject_from_dict, validate
from cairn.intelligence.services import report_submit_many

MAX_LINE_BYTES = 1024 * 1024
MAX_LINES = 100_000
# Reports written per call to the service: bounds the size of each bulk insert, not the transaction.
CHUNK_SIZE = 500
MAX_REFERENCE = 100  # IntelligenceReport.source_reference and source_system are CharField(max_length=100)

REPORT_FIELDS = (
    "text",
    "grading",
    "classification",
    "exploitation_types",
    "dissemination",
    "sharing_groups",
    "occurred_on",
    "source_reference",
    "subjects",
)
GRADING_FIELDS = {
    GradingModel.UK_3X5X2: ("model", "source", "intelligence", "handling", "conditions", "conditions_text"),
    GradingModel.LEGACY_5X5X5: ("model", "source", "intelligence", "handling", "conditions_text"),
}
SUBJECT_FIELDS = (
    "kind",
    "value",
    "name",
    "role",
    "date_of_birth",
    "nationality",
    "premises_type",
    "linked_to",
    "relation",
)


@dataclass(frozen=True)
class LegacyHandling:
    """What a 5x5x5 handling code becomes in Cairn."""

    handling_code: str
    conditions_text: str
    dissemination: str
    # Codes 4 and 5 keep the material with the originator; naming sharing groups would contradict them.
    sharing_groups_allowed: bool


# The 5x5x5 → 3x5x2 mapping: lossy, documented (docs/import-format.md) and never silent — the original
# grade is stored in legacy_grading. Kept as data so a deploying organisation can correct it in one place.
LEGACY_5X5X5: dict[str, dict[str, Any]] = {
    "source": {
        "A": SourceEvaluation.RELIABLE,  # always reliable
        "B": SourceEvaluation.RELIABLE,  # mostly reliable
        "C": SourceEvaluation.NOT_RELIABLE,  # sometimes reliable: doubt is recorded, and a supervisor reviews
        "D": SourceEvaluation.NOT_RELIABLE,  # unreliable
        "E": SourceEvaluation.UNTESTED,  # untested source
    },
    "intelligence": {
        "1": IntelligenceAssessment.A,  # known to be true without reservation
        "2": IntelligenceAssessment.A,  # known personally to the source (first-hand), not to the officer
        "3": IntelligenceAssessment.B,  # not personally known to the source but corroborated
        "4": IntelligenceAssessment.D,  # cannot be judged: how the source knows is not known
        "5": IntelligenceAssessment.E,  # suspected to be false or malicious
    },
    "handling": {
        "1": LegacyHandling(
            handling_code=HandlingCode.P,
            conditions_text="",
            dissemination=Dissemination.SHARED,
            sharing_groups_allowed=True,
        ),
        "2": LegacyHandling(
            handling_code=HandlingCode.C,
            conditions_text="Legacy handling 2: may go to UK non-prosecuting parties; authorisation and records needed",
            dissemination=Dissemination.SHARED,
            sharing_groups_allowed=True,
        ),
        "3": LegacyHandling(
            handling_code=HandlingCode.C,
            conditions_text="Legacy handling 3: may go to non-EEA law enforcement; special conditions apply",
            dissemination=Dissemination.SHARED,
            sharing_groups_allowed=True,
        ),
        "4": LegacyHandling(
            handling_code=HandlingCode.C,
            conditions_text="Legacy handling 4: originating agency only",
            dissemination=Dissemination.CONFIDENTIAL,
            sharing_groups_allowed=False,
        ),
        "5": LegacyHandling(
            handling_code=HandlingCode.C,
            conditions_text="Legacy handling 5: no further dissemination; refer to the originator",
            dissemination=Dissemination.RESTRICTED,
            sharing_groups_allowed=False,
        ),
    },
}

# validate() names ReportInput's fields; a rejection names the field as it is written in the file.
_FILE_FIELD = {
    "source_evaluation": "grading.source",
    "intelligence_assessment": "grading.intelligence",
    "handling_code": "grading.handling",
    "handling_conditions": "grading.conditions",
    "handling_conditions_text": "grading.conditions_text",
    "sharing_group_ids": "sharing_groups",
}
# Stand-ins that let the rest of a line be checked when its grading is already rejected.
_PLACEHOLDER_GRADING = {"source_evaluation": "2", "intelligence_assessment": "D", "handling_code": "P"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass
class Rejection:
    line: int
    field: str
    message: str


@dataclass
class ImportResult:
    """``imported`` counts the reports written (with ``dry_run``, those that would have been written)."""

    imported: int
    rejected: list[Rejection]
    references: list[str]
    dry_run: bool = False

    @property
    def rejected_lines(self) -> int:
        return len({r.line for r in self.rejected})


class ImportFileError(Exception):
    """The file cannot be read as UTF-8 JSON Lines at all; nothing is imported."""


class OverlongLine(str):
    """Stands in for a line too long to hold in memory; ``size`` is its length in bytes."""

    size: int

    def __new__(cls, size: int) -> OverlongLine:
        line = super().__new__(cls, "")
        line.size = size
        return line


def read_lines(stream: BinaryIO) -> Iterator[str]:
    """Decoded lines of a binary stream, holding at most one line of MAX_LINE_BYTES at a time."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            size = len(raw)
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(64 * 1024)
                size += len(raw)
            yield OverlongLine(size)
            continue
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportFileError(
                f"line {number} is not UTF-8 text (byte {exc.start + 1} of the line); save the file as UTF-8"
            ) from exc


class JsonlFile:
    """The lines of a file, read afresh on each iteration so the importer can check, then write, in flat memory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def __iter__(self) -> Iterator[str]:
        with self.path.open("rb") as stream:
            yield from read_lines(stream)


class _SharingGroups:
    """Sharing group names → ids, for groups the actor's organisation belongs to (one query per name)."""

    def __init__(self, actor: User) -> None:
        self.actor = actor
        self.ids: dict[str, int | None] = {}

    def get(self, name: str) -> int | None:
        if name not in self.ids:
            group = SharingGroup.objects.filter(name=name, members=self.actor.organisation_id).first()
            self.ids[name] = group.pk if group else None
        return self.ids[name]


@dataclass
class _Line:
    number: int
    data: ReportInput | None
    errors: dict[str, str] = field(default_factory=dict)


def _string(raw: dict[str, Any], key: str, errors: dict[str, str], label: str, *, required: bool = False) -> str:
    value = raw.get(key)
    if value is None:
        if required:
            errors.setdefault(label, "This field is required.")
        return ""
    if not isinstance(value, str):
        errors.setdefault(label, f"Write {label} as a string, not {_json_type(value)}.")
        return ""
    return value


def _string_list(raw: dict[str, Any], key: str, errors: dict[str, str], label: str) -> list[str]:
    value = raw.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.setdefault(label, f"Write {label} as a list of strings.")
        return []
    return [v.strip() for v in value]


def _json_type(value: Any) -> str:
    return {bool: "true/false", int: "a number", float: "a number", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def _unknown_keys(raw: dict[str, Any], allowed: Iterable[str], prefix: str, errors: dict[str, str]) -> None:
    allowed = tuple(allowed)
    for key in raw:
        if key not in allowed:
            errors.setdefault(f"{prefix}{key}", f"Unknown field; the fields here are {', '.join(allowed)}.")


@dataclass
class _Grading:
    values: dict[str, Any]  # ReportInput keyword arguments
    legacy: LegacyHandling | None = None


def _grading(raw: Any, errors: dict[str, str]) -> _Grading | None:
    if raw is None:
        errors["grading"] = (
            'Give the grading, e.g. {"model": "3x5x2", "source": "1", "intelligence": "A", "handling": "P"}.'
        )
        return None
    if not isinstance(raw, dict):
        errors["grading"] = f"Write the grading as an object, not {_json_type(raw)}."
        return None
    model = raw.get("model")
    if model not in GRADING_FIELDS:
        errors["grading.model"] = f"Unknown grading model {json.dumps(model)}: use 3x5x2 or 5x5x5."
        return None
    before = len(errors)
    _unknown_keys(raw, GRADING_FIELDS[model], "grading.", errors)
    codes = {
        k: _string(raw, k, errors, f"grading.{k}", required=True).strip().upper()
        for k in ("source", "intelligence", "handling")
    }
    conditions_text = _string(raw, "conditions_text", errors, "grading.conditions_text")
    if model == GradingModel.UK_3X5X2:
        # The codes themselves are checked by validate(), as for a report typed in.
        return _Grading(
            {
                "source_evaluation": codes["source"],
                "intelligence_assessment": codes["intelligence"],
                "handling_code": codes["handling"],
                "handling_conditions": [
                    c.upper() for c in _string_list(raw, "conditions", errors, "grading.conditions")
                ],
                "handling_conditions_text": conditions_text,
                "grading_model": GradingModel.UK_3X5X2,
            }
        )
    for part, code in codes.items():
        if code and code not in LEGACY_5X5X5[part]:
            errors.setdefault(
                f"grading.{part}", f"Unknown 5x5x5 {part} grade '{code}': use {', '.join(LEGACY_5X5X5[part])}."
            )
    if len(errors) > before:
        return None
    handling: LegacyHandling = LEGACY_5X5X5["handling"][codes["handling"]]
    # A condition written in the file (handling 3's special conditions, say) follows the legacy meaning.
    text = "; ".join(t for t in (handling.conditions_text, clean_text(conditions_text)) if t)
    return _Grading(
        {
            "source_evaluation": LEGACY_5X5X5["source"][codes["source"]],
            "intelligence_assessment": LEGACY_5X5X5["intelligence"][codes["intelligence"]],
            "handling_code": handling.handling_code,
            "handling_conditions": [],
            "handling_conditions_text": text,
            "grading_model": GradingModel.LEGACY_5X5X5,
            "legacy_grading": f"{codes['source']}{codes['intelligence']} {codes['handling']}",
        },
        legacy=handling,
    )


def _subjects(raw: Any, errors: dict[str, str]) -> list[SubjectInput]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors["subjects"] = f"Write subjects as a list of objects, not {_json_type(raw)}."
        return []
    subjects: list[SubjectInput] = []
    for i, item in enumerate(raw):
        prefix = f"subjects[{i}]"
        if not isinstance(item, dict):
            errors.setdefault(prefix, "Each subject must be an object with kind and value.")
            item = {}
        _unknown_keys(item, SUBJECT_FIELDS, f"{prefix}.", errors)
        for key in ("kind", "value", "name", "role", "date_of_birth", "nationality", "premises_type", "relation"):
            _string(item, key, errors, f"{prefix}.{key}")
        linked_to = item.get("linked_to")
        if linked_to is not None and (not isinstance(linked_to, int) or isinstance(linked_to, bool)):
            errors.setdefault(f"{prefix}.linked_to", "Write linked_to as the number of another subject (from 0).")
            item = {**item, "linked_to": None}
        # Kept even when rejected, so that linked_to still counts subjects as the file does.
        subjects.append(subject_from_dict(item))
    return subjects


def _occurred_on(raw: dict[str, Any], errors: dict[str, str]) -> date | None:
    value = _string(raw, "occurred_on", errors, "occurred_on").strip()
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError
        day = date.fromisoformat(value)
    except ValueError:
        errors["occurred_on"] = f"'{value[:40]}' is not a date: write YYYY-MM-DD."
        return None
    if day > timezone.localdate():
        errors["occurred_on"] = f"{value} is in the future."
        return None
    return day


def _validate_into(data: ReportInput, errors: dict[str, str]) -> None:
    try:
        validate(data)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(_FILE_FIELD.get(name, name), " ".join(messages))
    except NormaliseError:
        # inputs.validate() normalises a location's address outside its error handling; name the subject here.
        for i, s in enumerate(data.subjects):
            if s.kind == "location":
                try:
                    normalise(SelectorKind.ADDRESS, s.value)
                except NormaliseError as exc:
                    errors.setdefault(f"subjects[{i}].value", str(exc))
        errors.setdefault("subjects", "A subject could not be read.")


def parse_line(number: int, line: str, *, source_system: str, groups: _SharingGroups) -> _Line:
    """One line of the file → a validated ReportInput, or the errors that reject it (by field)."""
    result = _Line(number, None)
    errors = result.errors
    if isinstance(line, OverlongLine) or (len(line) > MAX_LINE_BYTES // 4 and len(line.encode()) > MAX_LINE_BYTES):
        size = line.size if isinstance(line, OverlongLine) else len(line.encode())
        errors["line"] = f"The line is {size:,} bytes; the limit is {MAX_LINE_BYTES:,} (1 MB)."
        return result
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        errors["json"] = f"Not valid JSON: {exc.msg} at column {exc.colno}."
        return result
    except RecursionError:
        errors["json"] = "The JSON is nested too deeply."
        return result
    if not isinstance(raw, dict):
        errors["json"] = f"Each line must be one JSON object {{...}}, not {_json_type(raw)}."
        return result

    _unknown_keys(raw, REPORT_FIELDS, "", errors)
    text = _string(raw, "text", errors, "text", required=True)
    grading = _grading(raw.get("grading"), errors)
    values = grading.values if grading else dict(_PLACEHOLDER_GRADING)
    dissemination = _string(raw, "dissemination", errors, "dissemination").strip().lower()
    if grading and grading.legacy:
        derived = grading.legacy.dissemination
        if dissemination and dissemination != derived:
            errors.setdefault(
                "dissemination",
                f"5x5x5 handling {values['legacy_grading'][-1]} means "
                f"'{derived}'; leave dissemination out, it is derived.",
            )
        dissemination = derived
    group_names = _string_list(raw, "sharing_groups", errors, "sharing_groups")
    group_ids: list[int] = []
    for name in group_names:
        group_id = groups.get(name)
        if group_id is None:
            errors.setdefault(
                "sharing_groups", f"No sharing group named '{name[:100]}' that your organisation belongs to."
            )
        else:
            group_ids.append(group_id)
    if group_names and grading and grading.legacy and not grading.legacy.sharing_groups_allowed:
        errors.setdefault(
            "sharing_groups",
            f"5x5x5 handling {values['legacy_grading'][-1]} keeps the report with "
            "the originator; it cannot name sharing groups.",
        )
    source_reference = clean_text(_string(raw, "source_reference", errors, "source_reference"))
    if len(source_reference) > MAX_REFERENCE:
        errors["source_reference"] = f"At most {MAX_REFERENCE} characters."
    data = ReportInput(
        text=text,
        classification=_string(raw, "classification", errors, "classification") or Classification.OFFICIAL,
        exploitation_types=_string_list(raw, "exploitation_types", errors, "exploitation_types"),
        dissemination=dissemination or Dissemination.RESTRICTED,
        sharing_group_ids=group_ids,
        occurred_on=_occurred_on(raw, errors),
        subjects=_subjects(raw.get("subjects"), errors),
        source_system=source_system,
        source_reference=source_reference,
        **values,
    )
    _validate_into(data, errors)
    if not errors:
        result.data = data
    return result


def _parse_all(lines: Iterable[str], *, source_system: str, groups: _SharingGroups) -> Iterator[_Line]:
    for number, line in enumerate(lines, start=1):
        if number > MAX_LINES:
            yield _Line(
                number, None, {"file": f"The file has more than {MAX_LINES:,} lines; split it and import each part."}
            )
            return
        if not isinstance(line, OverlongLine):
            if number == 1:
                line = line.removeprefix("\ufeff")  # a byte-order mark some editors write
            if not line.strip():
                continue
        yield parse_line(number, line, source_system=source_system, groups=groups)


def _duplicates(actor: User, source_system: str, references: dict[str, int]) -> Iterator[Rejection]:
    """Lines whose source_reference this organisation has already imported from the same system."""
    pending = list(references)
    for start in range(0, len(pending), 1000):
        batch = pending[start : start + 1000]
        existing = (
            policy.reports_visible_to(actor)
            .filter(organisation_id=actor.organisation_id, source_system=source_system, source_reference__in=batch)
            .values_list("source_reference", "reference")
        )
        for source_reference, reference in existing:
            yield Rejection(
                references[source_reference],
                "source_reference",
                f"'{source_reference}' was already imported from this system as {reference}.",
            )


def _chunks(items: Iterable[_Line], size: int) -> Iterator[list[ReportInput]]:
    chunk: list[ReportInput] = []
    for item in items:
        if item.data is None:
            # The file changed between checking and writing; the caller's transaction rolls everything back.
            raise ImportFileError(f"line {item.number} changed while the file was being imported; run it again")
        chunk.append(item.data)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def import_reports(
    *, actor: User, lines: Iterable[str], source_system: str = "", dry_run: bool = False, file_name: str = ""
) -> ImportResult:
    """Import reports from JSON Lines, all or nothing.

    ``lines`` is read twice (check, then write) so that a large file is never held in memory: pass a
    list, or a :class:`JsonlFile`. A one-shot iterator is first copied into a list, and a single string
    is split into lines. Raises
    PermissionDenied if the actor may not submit intelligence, ValidationError for a bad
    ``source_system``, and ImportFileError if the file is not UTF-8 text. Every problem inside the
    file is a Rejection in the result, and then nothing is written.
    """
    if not (actor.is_active and can(actor, Capability.SUBMIT_INTELLIGENCE)):
        raise PermissionDenied(f"{actor.username} may not submit intelligence, so cannot import it.")
    source_system = clean_text(source_system)
    if len(source_system) > MAX_REFERENCE:
        raise ValidationError({"source_system": f"At most {MAX_REFERENCE} characters."})
    if isinstance(lines, str):
        # The whole text in one string. Not splitlines(): JSON strings may hold U+2028 unescaped.
        lines = lines.split("\n")
    elif iter(lines) is lines:
        lines = list(lines)
    # Lines already in memory are parsed once; a file is read again for writing rather than held.
    kept: list[_Line] | None = [] if isinstance(lines, list) else None
    groups = _SharingGroups(actor)

    rejected: list[Rejection] = []
    references: dict[str, int] = {}
    models: Counter[str] = Counter()
    valid = 0
    for item in _parse_all(lines, source_system=source_system, groups=groups):
        rejected.extend(Rejection(item.number, name, message) for name, message in item.errors.items())
        if item.data is None:
            continue
        valid += 1
        if kept is not None and not rejected:
            kept.append(item)
        models[item.data.grading_model] += 1
        if item.data.source_reference:
            first = references.setdefault(item.data.source_reference, item.number)
            if first != item.number:
                rejected.append(
                    Rejection(
                        item.number, "source_reference", f"'{item.data.source_reference}' is also on line {first}."
                    )
                )
    rejected.extend(_duplicates(actor, source_system, references))
    rejected.sort(key=lambda r: r.line)
    if rejected:
        return ImportResult(imported=0, rejected=rejected, references=[], dry_run=dry_run)
    if dry_run:
        return ImportResult(imported=valid, rejected=[], references=[], dry_run=True)

    written: list[str] = []
    with transaction.atomic():
        parsed = kept if kept is not None else _parse_all(lines, source_system=source_system, groups=groups)
        for chunk in _chunks(parsed, CHUNK_SIZE):
            written.extend(r.reference for r in report_submit_many(actor=actor, items=chunk))
        if written:
            audit.record(
                action=AuditAction.CREATE,
                actor=actor,
                object_type="intelligence.import",
                object_repr=f"import of {len(written)} reports" + (f" from {source_system}" if source_system else ""),
                subject_organisation=actor.organisation,
                detail={
                    "reports": len(written),
                    "first": written[0],
                    "last": written[-1],
                    "source_system": source_system,
                    "file": file_name,
                    "grading_models": dict(models),
                },
            )
    return ImportResult(imported=len(written), rejected=[], references=written)
