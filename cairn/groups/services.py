"""Writing crime groups: adoption of a candidate, threat schemes and threat assessments.

Adoption records the group as intelligence of the adopting organisation: an analysis report whose
subjects are the group (a new ``organisation`` entity) and its members, with a ``has_member``
statement for each. Everyone else then sees the group exactly as far as that report's
dissemination allows. The report is never ``shared``: its members come from other
organisations' intelligence, so others see a flag and call the analyst.
"""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from cairn.access import groups as access
from cairn.access import intelligence as rule
from cairn.access.linking import readable_entity_ids
from cairn.accounts.models import User
from cairn.audit import services as audit
from cairn.audit.choices import AuditAction
from cairn.entities.choices import EntityKind, Property, SubjectRole
from cairn.entities.models import Statement
from cairn.entities.normalise import name_key
from cairn.groups import selectors
from cairn.groups.choices import ThreatArea
from cairn.groups.models import CrimeGroup, ThreatAssessment, ThreatScheme
from cairn.intelligence.choices import Dissemination, HandlingCode, IntelligenceAssessment, SourceEvaluation
from cairn.intelligence.inputs import ReportInput, SubjectInput, clean_text
from cairn.intelligence.services import report_submit

MIN_MEMBERS = 2
MAX_MEMBERS = 500
MAX_RATIONALE = 5000
# Never "shared": see the module docstring.
ADOPT_DISSEMINATION = (Dissemination.RESTRICTED, Dissemination.CONFIDENTIAL)
EXAMPLE_SCHEME = Path(__file__).with_name("example_scheme.json")


@dataclass
class AdoptInput:
    name: str
    member_ids: list[int]
    summary: str = ""
    dissemination: str = Dissemination.RESTRICTED
    sharing_group_ids: list[int] = field(default_factory=list)
    source_evaluation: str = SourceEvaluation.RELIABLE
    intelligence_assessment: str = IntelligenceAssessment.B
    handling_code: str = HandlingCode.P
    handling_conditions: list[str] = field(default_factory=list)
    handling_conditions_text: str = ""
    exploitation_types: list[str] = field(default_factory=list)
    found_by: str = ""


def _check_adoption(actor: User, data: AdoptInput) -> list[int]:
    errors: dict[str, str] = {}
    data.name = clean_text(data.name)[:200]
    data.summary = clean_text(data.summary)
    if not data.name:
        errors["name"] = "Give the group a name."
    if data.dissemination not in ADOPT_DISSEMINATION:
        errors["dissemination"] = (
            "A crime group is recorded restricted (others see a flag and contact you) or confidential: "
            "its members come from other organisations' intelligence."
        )
    members = list(dict.fromkeys(data.member_ids))
    if len(members) < MIN_MEMBERS:
        errors["members"] = f"Choose at least {MIN_MEMBERS} members."
    elif len(members) > MAX_MEMBERS:
        errors["members"] = f"A group can have at most {MAX_MEMBERS} members; {len(members):,} were chosen."
    else:
        readable = readable_entity_ids(actor, members)
        if unreadable := [m for m in members if m not in readable]:
            # The same words for an entity that does not exist: nothing is learnt from the refusal.
            errors["members"] = f"Entity {unreadable[0]} is not one you can read."
        elif further := sorted(
            set(members) - rule.entities_readable_by_audience(actor.organisation, list(data.sharing_group_ids), members)
        ):
            errors["members"] = (
                f"Entity {further[0]} is known to you through a report your organisation and the sharing groups "
                "you record this with may not all read (a report granted to you alone, or another group's): "
                "the record would pass it on. Leave it out, or ask its originator."
            )
        elif data.dissemination == Dissemination.RESTRICTED and (
            unflagged := sorted(set(members) - rule.entities_known_to_law_enforcement(actor.organisation, members))
        ):
            errors["members"] = (
                f"Entity {unflagged[0]} is known to you only through reports other law enforcement do not know "
                "of (a confidential report, or one awaiting review): a restricted record would flag it to them "
                "all. Record the group confidential, leave it out, or ask its originator."
            )
    if errors:
        raise ValidationError(errors)
    return members


def _report_text(data: AdoptInput, actor: User, labels: dict[int, tuple[str, str]]) -> str:
    by_kind: dict[str, list[str]] = {}
    for kind, label in labels.values():
        by_kind.setdefault(kind, []).append(label)
    lines = [f"Crime group: {data.name}."]
    if data.summary:
        lines.append(data.summary)
    lines.append(
        f"Recorded by {actor.get_full_name() or actor.username} ({actor.organisation.name}) from "
        f"{data.found_by or 'network analysis'}, with {len(labels)} members:"
    )
    kind_names = dict(EntityKind.choices)
    for kind, names in sorted(by_kind.items()):
        lines.append(f"- {kind_names.get(kind, kind)}: {', '.join(sorted(names))}")
    return "\n".join(lines)


def crime_group_adopt(*, actor: User, data: AdoptInput) -> CrimeGroup:
    """Record a candidate group. Raises PermissionDenied or ValidationError; writes nothing then."""
    if not access.may_adopt(actor):
        raise PermissionDenied("Only analysts and supervisors record crime groups.")
    members = _check_adoption(actor, data)
    labels = selectors.member_labels(actor, members)
    report_input = ReportInput(
        text=_report_text(data, actor, labels),
        source_evaluation=data.source_evaluation,
        intelligence_assessment=data.intelligence_assessment,
        handling_code=data.handling_code,
        handling_conditions=list(data.handling_conditions),
        handling_conditions_text=data.handling_conditions_text,
        exploitation_types=list(data.exploitation_types),
        dissemination=data.dissemination,
        sharing_group_ids=list(data.sharing_group_ids),
        subjects=[SubjectInput(kind="organisation", value=data.name, role=SubjectRole.OTHER)],
    )
    with transaction.atomic():
        report = report_submit(actor=actor, data=report_input)
        group_entity = (
            Statement.objects.unscoped()
            .filter(report=report, prop=Property.SUBJECT)
            .values_list("entity_id", flat=True)
        ).get()
        rows: list[Statement] = []
        for member in members:
            kind, label = labels[member]
            key = name_key(label) if kind == EntityKind.PERSON else selectors.entity_key(member)
            rows.append(
                Statement(
                    entity_id=member,
                    report=report,
                    prop=Property.SUBJECT,
                    value=label[:500],
                    value_normalised=(key or "")[:500],
                    role=SubjectRole.OTHER,
                )
            )
            rows.append(
                Statement(entity_id=group_entity, report=report, prop=Property.HAS_MEMBER, related_entity_id=member)
            )
        Statement.objects.bulk_create(rows)
        group = CrimeGroup.objects.create(
            entity_id=group_entity,
            report=report,
            reference=f"CG-{report.reference}",
            name=data.name,
            organisation=actor.organisation,
            adopted_by=actor,
            found_by=clean_text(data.found_by)[:100],
        )
        audit.record(
            action=AuditAction.CREATE,
            actor=actor,
            obj=group,
            object_type="groups.crime_group",
            object_repr=str(group),
            subject_organisation=actor.organisation,
            detail={"members": len(members), "report": report.reference, "dissemination": report.dissemination},
        )
    return group


# --- threat schemes -----------------------------------------------------------------------------


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def scheme_check(data: Any) -> dict[str, Any]:
    """A scheme's JSON, checked: raises ValidationError naming what is wrong; returns it cleaned."""
    errors: dict[str, str] = {}
    if not isinstance(data, dict):
        raise ValidationError({"scheme": "A scheme is a JSON object with name, factors and bands."})
    name = clean_text(str(data.get("name", "")))[:200]
    if not name:
        errors["name"] = "The scheme needs a name."
    factors = data.get("factors")
    clean_factors: list[dict[str, Any]] = []
    if not isinstance(factors, list) or not factors:
        errors["factors"] = "List at least one factor."
    else:
        keys: set[str] = set()
        for i, f in enumerate(factors):
            where = f"factors[{i}]"
            if not isinstance(f, dict):
                errors[where] = "Each factor is an object."
                continue
            key, label = str(f.get("key", "")).strip(), clean_text(str(f.get("label", "")))
            area, weight, levels = f.get("area", ""), f.get("weight"), f.get("levels")
            if not key or key in keys:
                errors[f"{where}.key"] = "Each factor needs its own key."
            if not label:
                errors[f"{where}.label"] = "Each factor needs a label."
            if area not in ThreatArea.values:
                errors[f"{where}.area"] = f"Area '{area}' is not one of {', '.join(ThreatArea.values)}."
            if not (isinstance(weight, (int, float)) and not isinstance(weight, bool) and weight >= 0):
                errors[f"{where}.weight"] = "The weight is a number, 0 or more."
            if (
                not isinstance(levels, list)
                or not levels
                or not all(
                    isinstance(lv, dict) and isinstance(lv.get("score"), int) and lv.get("label") for lv in levels
                )
            ):
                errors[f"{where}.levels"] = "List the levels, each with a whole-number score and a label."
            elif len({lv["score"] for lv in levels}) != len(levels):
                errors[f"{where}.levels"] = "Each level needs its own score."
            keys.add(key)
            if isinstance(levels, list) and not any(k == where or k.startswith(f"{where}.") for k in errors):
                clean_factors.append(
                    {
                        "key": key,
                        "label": label,
                        "area": area,
                        "weight": weight,
                        "levels": [{"score": lv["score"], "label": clean_text(str(lv["label"]))} for lv in levels],
                    }
                )
    bands = data.get("bands")
    clean_bands: list[dict[str, Any]] = []
    if not isinstance(bands, list) or not bands:
        errors["bands"] = "List at least one band."
    elif not all(
        isinstance(b, dict) and b.get("band") and b.get("label") and _number(b.get("min_score")) for b in bands
    ):
        errors["bands"] = "Each band needs a band code, a label and a min_score."
    else:
        clean_bands = sorted(
            (
                {"band": str(b["band"])[:50], "label": clean_text(str(b["label"])), "min_score": b["min_score"]}
                for b in bands
            ),
            key=lambda b: -b["min_score"],
        )
        if clean_bands[-1]["min_score"] > 0:
            errors["bands"] = "The lowest band must start at 0, so that every score falls in a band."
    if errors:
        raise ValidationError(errors)
    return {
        "name": name,
        "description": clean_text(str(data.get("description", ""))),
        "example": bool(data.get("example", False)),
        "factors": clean_factors,
        "bands": clean_bands,
    }


def scheme_load(*, data: Any, actor: User | None = None, activate: bool = True) -> ThreatScheme:
    """Load a scheme as the next version of its name; with ``activate``, new assessments use it."""
    clean = scheme_check(data)
    with transaction.atomic():
        versions = ThreatScheme.objects.select_for_update().filter(name=clean["name"])
        version = max((s.version for s in versions), default=0) + 1
        if activate:
            ThreatScheme.objects.filter(active=True).update(active=False)
        scheme = ThreatScheme.objects.create(version=version, active=activate, loaded_by=actor, **clean)
        audit.record(
            action=AuditAction.CREATE,
            actor=actor,
            obj=scheme,
            object_type="groups.threat_scheme",
            object_repr=str(scheme),
            detail={"active": activate, "factors": len(clean["factors"])},
        )
    return scheme


def example_scheme_data() -> dict[str, Any]:
    return dict(json.loads(EXAMPLE_SCHEME.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Score:
    total: float
    band: str
    band_label: str


def score(scheme: ThreatScheme, scores: dict[str, Any]) -> Score:
    """Weighted sum of the chosen levels, placed in the scheme's band. Every factor must be scored."""
    errors: dict[str, str] = {}
    total = 0.0
    for f in scheme.factors:
        chosen = scores.get(f["key"])
        allowed = {lv["score"] for lv in f["levels"]}
        if isinstance(chosen, str) and chosen.strip().lstrip("-").isdigit():
            chosen = int(chosen)
        if not isinstance(chosen, int) or isinstance(chosen, bool) or chosen not in allowed:
            errors[f"scores.{f['key']}"] = f"Choose a level for '{f['label']}'."
            continue
        total += f["weight"] * chosen
    if unknown := sorted(set(scores) - {f["key"] for f in scheme.factors}):
        errors["scores"] = f"Not factors of {scheme}: {', '.join(unknown)}."
    if errors:
        raise ValidationError(errors)
    band = next(b for b in scheme.bands if total >= b["min_score"])
    return Score(total=total, band=band["band"], band_label=band["label"])


def threat_assess(
    *, actor: User, group: CrimeGroup, scores: dict[str, Any], rationale: str, scheme: ThreatScheme | None = None
) -> ThreatAssessment:
    """Score a group under the active scheme (or the one given) and add it to the group's history."""
    if not access.may_assess(actor, group):
        raise PermissionDenied("Only the adopting organisation's analysts and supervisors assess this group.")
    scheme = scheme or selectors.active_scheme()
    if scheme is None:
        raise ValidationError({"scheme": "No threat scheme is active: load one with `cairn threat_scheme load`."})
    rationale = clean_text(rationale)
    if not rationale:
        raise ValidationError({"rationale": "Say why: the rationale is what a reviewer reads first."})
    if len(rationale) > MAX_RATIONALE:
        raise ValidationError({"rationale": f"The rationale is {len(rationale):,} characters; the limit is 5,000."})
    result = score(scheme, scores)
    with transaction.atomic():
        assessment = ThreatAssessment.objects.create(
            group=group,
            scheme=scheme,
            scores={f["key"]: int(scores[f["key"]]) for f in scheme.factors},
            total=result.total,
            band=result.band_label,
            rationale=rationale,
            assessed_by=actor,
        )
        audit.record(
            action=AuditAction.CREATE,
            actor=actor,
            obj=assessment,
            object_type="groups.threat_assessment",
            object_repr=str(assessment),
            subject_organisation=group.organisation,
            detail={"group": group.reference, "scheme": str(scheme), "total": result.total, "band": result.band},
        )
    return assessment
