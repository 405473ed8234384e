"""Validated input for reports and their subjects, shared by the page, the API and the importer.

Validation happens here, at the edge, and names the field that is wrong.
Nothing is written until the whole report is valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pycountry
from django.core.exceptions import ValidationError

from cairn.core.text import clean_text
from cairn.entities.choices import EntityKind, PremisesType, Property, SubjectRole
from cairn.entities.normalise import NormaliseError, SelectorKind, name_key, normalise
from cairn.intelligence.choices import (
    REFUSED_CLASSIFICATIONS,
    Classification,
    Dissemination,
    ExploitationType,
    HandlingCode,
    HandlingCondition,
    IntelligenceAssessment,
    SourceEvaluation,
)

MAX_TEXT = 20_000
MAX_SUBJECTS = 200

# Django rebuilds ``Choices.values`` on every access; an import checks them thousands of times.
_ROLES = frozenset(SubjectRole.values)
_SOURCE_EVALUATIONS = frozenset(SourceEvaluation.values)
_ASSESSMENTS = frozenset(IntelligenceAssessment.values)
_HANDLING_CODES = frozenset(HandlingCode.values)
_CONDITIONS = frozenset(HandlingCondition.values)
_CLASSIFICATIONS = frozenset(Classification.values)
_EXPLOITATION_TYPES = frozenset(ExploitationType.values)
_DISSEMINATIONS = frozenset(Dissemination.values)

SUBJECT_KINDS = {k.value for k in SelectorKind} | {"person", "organisation", "location"}
RELATIONS = {
    p.value
    for p in (
        Property.ASSOCIATE_OF,
        Property.FAMILY_OF,
        Property.CONTROLS,
        Property.LIVES_AT,
        Property.WORKS_AT,
        Property.USES,
        Property.OWNS,
        Property.TRAVELLED_WITH,
        Property.PAID,
        Property.EXPLOITED_AT,
        Property.HAS_MEMBER,
    )
}


@dataclass
class SubjectInput:
    kind: str  # a SelectorKind value, or person / organisation / location
    value: str  # raw text: the name for a person, the selector as written
    role: str = SubjectRole.OTHER
    date_of_birth: str = ""  # "1999", "1999-03" or "1999-03-12"
    nationality: str = ""  # ISO 3166-1 alpha-2
    premises_type: str = ""  # a PremisesType value, for a place (location or address)
    known_entity_id: int | None = None  # an existing entity the officer accepted
    # A link reads "<subject linked_to> <relation> <this subject>", e.g. on a phone:
    # linked_to = the person, relation = "uses".
    linked_to: int | None = None  # index of another subject in this report
    relation: str = ""  # a relationship Property

    # Filled in by validation.
    entity_kind: str = ""
    key: str | None = None
    name_key: str = ""


@dataclass
class ReportInput:
    text: str
    source_evaluation: str
    intelligence_assessment: str
    handling_code: str
    handling_conditions: list[str] = field(default_factory=list)
    handling_conditions_text: str = ""
    classification: str = Classification.OFFICIAL
    exploitation_types: list[str] = field(default_factory=list)
    dissemination: str = Dissemination.RESTRICTED
    sharing_group_ids: list[int] = field(default_factory=list)
    occurred_on: date | None = None
    subjects: list[SubjectInput] = field(default_factory=list)
    grading_model: str = "3x5x2"
    legacy_grading: str = ""
    source_system: str = ""
    source_reference: str = ""


def _parse_partial_date(raw: str) -> str:
    raw = raw.strip()
    for pattern in (r"^\d{4}$", r"^\d{4}-\d{2}$", r"^\d{4}-\d{2}-\d{2}$"):
        if re.match(pattern, raw):
            parts = [int(p) for p in raw.split("-")]
            try:
                date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
            except ValueError as exc:
                raise ValueError(f"'{raw}' is not a real date") from exc
            if not 1900 <= parts[0] <= date.today().year:
                raise ValueError(f"'{raw}' is outside the years a person could be born in")
            return raw
    raise ValueError(f"'{raw}' is not a date: write YYYY, YYYY-MM or YYYY-MM-DD")


def country_code(raw: str) -> str | None:
    """An ISO 3166 country code of two or three letters ('RO', 'ROU') as its two-letter form, or None."""
    text = raw.strip().upper()
    if len(text) not in (2, 3) or not text.isalpha():
        return None
    country = pycountry.countries.get(alpha_2=text) if len(text) == 2 else pycountry.countries.get(alpha_3=text)
    return str(country.alpha_2) if country is not None else None


def _clean_subject(s: SubjectInput, index: int, count: int, errors: dict[str, str]) -> None:
    prefix = f"subjects[{index}]"
    s.value = clean_text(s.value)[:500]
    if s.kind not in SUBJECT_KINDS:
        errors[f"{prefix}.kind"] = f"Unknown subject kind '{s.kind}'."
        return
    if s.role not in _ROLES:
        errors[f"{prefix}.role"] = f"Unknown role '{s.role}'."
    if not s.value:
        errors[f"{prefix}.value"] = "Enter the subject (a name, number or address)."
        return
    if s.kind == "person":
        s.entity_kind = EntityKind.PERSON
        s.name_key = name_key(s.value)
        if not s.name_key:
            errors[f"{prefix}.value"] = f"'{s.value}' is not a name."
    elif s.kind == "organisation":
        s.entity_kind = EntityKind.ORGANISATION
    elif s.kind == "location" or s.kind == SelectorKind.PERSON_NAME:
        if s.kind == SelectorKind.PERSON_NAME:
            s.kind = "person"
            s.entity_kind = EntityKind.PERSON
            s.name_key = name_key(s.value)
            if not s.name_key:
                errors[f"{prefix}.value"] = f"'{s.value}' is not a name."
        else:
            s.entity_kind = EntityKind.LOCATION
            try:
                s.key = normalise(SelectorKind.ADDRESS, s.value)
            except NormaliseError as exc:
                errors[f"{prefix}.value"] = str(exc)
    else:
        from cairn.entities.choices import SELECTOR_ENTITY_KIND

        s.entity_kind = SELECTOR_ENTITY_KIND[s.kind]
        try:
            s.key = normalise(s.kind, s.value)
        except NormaliseError as exc:
            errors[f"{prefix}.value"] = str(exc)
    if s.date_of_birth:
        if s.kind != "person":
            errors[f"{prefix}.date_of_birth"] = "Only a person has a date of birth."
        else:
            try:
                s.date_of_birth = _parse_partial_date(s.date_of_birth)
            except ValueError as exc:
                errors[f"{prefix}.date_of_birth"] = str(exc)
    if s.nationality:
        code = country_code(s.nationality)
        if code is None:
            errors[f"{prefix}.nationality"] = f"'{s.nationality}' is not an ISO 3166 country code."
        else:
            s.nationality = code
    if s.premises_type:
        s.premises_type = s.premises_type.strip().lower()
        if s.entity_kind != EntityKind.LOCATION:
            errors[f"{prefix}.premises_type"] = "Only a place (a location or an address) has a premises type."
        elif s.premises_type not in PremisesType.values:
            errors[f"{prefix}.premises_type"] = (
                f"Unknown premises type '{s.premises_type}': use one of {', '.join(PremisesType.values)}."
            )
    if s.linked_to is not None:
        if not 0 <= s.linked_to < count or s.linked_to == index:
            errors[f"{prefix}.linked_to"] = "Link to another subject of this report."
        if s.relation not in RELATIONS:
            errors[f"{prefix}.relation"] = f"Unknown relationship '{s.relation}'."


def validate(data: ReportInput) -> ReportInput:
    """Clean and check a report. Raises ValidationError naming every bad field."""
    errors: dict[str, str] = {}
    data.text = clean_text(data.text)
    if not data.text:
        errors["text"] = "Enter the intelligence: the report has no text."
    elif len(data.text) > MAX_TEXT:
        errors["text"] = f"The text is {len(data.text):,} characters; the limit is {MAX_TEXT:,}."
    if data.source_evaluation not in _SOURCE_EVALUATIONS:
        errors["source_evaluation"] = f"Unknown source evaluation '{data.source_evaluation}': use 1, 2 or 3."
    if data.intelligence_assessment not in _ASSESSMENTS:
        errors["intelligence_assessment"] = (
            f"Unknown intelligence assessment '{data.intelligence_assessment}': use A, B, C, D or E."
        )
    if data.handling_code not in _HANDLING_CODES:
        errors["handling_code"] = f"Unknown handling code '{data.handling_code}': use P or C."
    bad_conditions = [c for c in data.handling_conditions if c not in _CONDITIONS]
    if bad_conditions:
        errors["handling_conditions"] = f"Unknown handling condition(s): {', '.join(bad_conditions)}."
    data.handling_conditions_text = clean_text(data.handling_conditions_text)[:2000]
    if data.handling_code == HandlingCode.C and not data.handling_conditions and not data.handling_conditions_text:
        errors["handling_conditions"] = "Handling code C needs its conditions: choose a code or write them."
    if data.handling_code == HandlingCode.P and data.handling_conditions:
        errors["handling_conditions"] = "Conditions go with handling code C, not P."
    classification = (data.classification or "").strip().upper()
    if classification in REFUSED_CLASSIFICATIONS:
        errors["classification"] = (
            f"Cairn holds OFFICIAL and OFFICIAL-SENSITIVE material only; {classification} material must stay "
            "in a system accredited for it."
        )
    elif classification not in _CLASSIFICATIONS:
        errors["classification"] = f"Unknown classification '{data.classification}'."
    else:
        data.classification = classification
    bad_types = [t for t in data.exploitation_types if t not in _EXPLOITATION_TYPES]
    if bad_types:
        errors["exploitation_types"] = f"Unknown exploitation type(s): {', '.join(bad_types)}."
    if data.dissemination not in _DISSEMINATIONS:
        errors["dissemination"] = f"Unknown dissemination level '{data.dissemination}'."
    if len(data.subjects) > MAX_SUBJECTS:
        errors["subjects"] = f"A report can name at most {MAX_SUBJECTS} subjects."
    else:
        for i, subject in enumerate(data.subjects):
            _clean_subject(subject, i, len(data.subjects), errors)
    if errors:
        raise ValidationError(errors)
    return data


def _optional_int(raw: Any, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ValidationError({name: f"'{raw}' is not a whole number."})
    return raw


def subject_from_dict(raw: Any) -> SubjectInput:
    if not isinstance(raw, dict):
        raise ValidationError({"subjects": "Each subject must be an object."})
    return SubjectInput(
        kind=str(raw.get("kind", "")),
        value=str(raw.get("value") or raw.get("name") or ""),
        role=str(raw.get("role") or SubjectRole.OTHER),
        date_of_birth=str(raw.get("date_of_birth") or ""),
        nationality=str(raw.get("nationality") or ""),
        premises_type=str(raw.get("premises_type") or ""),
        known_entity_id=_optional_int(raw.get("known_entity_id"), "known_entity_id"),
        linked_to=_optional_int(raw.get("linked_to"), "linked_to"),
        relation=str(raw.get("relation") or ""),
    )
