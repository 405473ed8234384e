"""Page forms for reports. They only parse; validation lives in inputs.validate, shared with the API."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from cairn.accounts.models import SharingGroup
from cairn.entities.choices import SubjectRole
from cairn.intelligence.choices import (
    Classification,
    Dissemination,
    ExploitationType,
    HandlingCode,
    HandlingCondition,
    IntelligenceAssessment,
    SourceEvaluation,
)
from cairn.intelligence.inputs import MAX_SUBJECTS, RELATIONS, ReportInput, SubjectInput

SUBJECT_KIND_CHOICES = [
    ("person", "Person"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("vrm", "Vehicle registration"),
    ("address", "Address"),
    ("postcode", "Postcode"),
    ("iban", "IBAN"),
    ("bank_account", "Sort code and account"),
    ("document", "Passport or ID number"),
    ("url", "Advert or profile URL"),
    ("organisation", "Organisation"),
    ("location", "Place"),
]
RELATION_CHOICES = [("", "—")] + [(r, r.replace("_", " ")) for r in sorted(RELATIONS)]
BLANK_SUBJECT_ROWS = 3


class GradingForm(forms.Form):
    """The 3x5x2 grading, handling and exploitation type: a report's, and an analysis record's (crime groups)."""

    source_evaluation = forms.ChoiceField(
        label="Source evaluation",
        choices=SourceEvaluation.choices,
        widget=forms.RadioSelect,
        initial=SourceEvaluation.UNTESTED,
    )
    intelligence_assessment = forms.ChoiceField(
        label="Intelligence assessment",
        choices=IntelligenceAssessment.choices,
        widget=forms.RadioSelect,
        initial=IntelligenceAssessment.C,
    )
    handling_code = forms.ChoiceField(
        label="Handling code", choices=HandlingCode.choices, widget=forms.RadioSelect, initial=HandlingCode.P
    )
    handling_conditions = forms.MultipleChoiceField(
        label="Handling conditions (with C)",
        required=False,
        choices=HandlingCondition.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    handling_conditions_text = forms.CharField(label="Other conditions", required=False, max_length=2000)
    exploitation_types = forms.MultipleChoiceField(
        label="Exploitation type", required=False, choices=ExploitationType.choices, widget=forms.CheckboxSelectMultiple
    )


class ReportForm(GradingForm):
    text = forms.CharField(label="What do you know?", widget=forms.Textarea(attrs={"rows": 8}), required=False)
    occurred_on = forms.DateField(
        label="When did it happen? (YYYY-MM-DD)",
        required=False,
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )
    classification = forms.ChoiceField(
        label="Classification", choices=Classification.choices, initial=Classification.OFFICIAL_SENSITIVE
    )
    dissemination = forms.ChoiceField(
        label="Dissemination", choices=Dissemination.choices, widget=forms.RadioSelect, initial=Dissemination.RESTRICTED
    )
    sharing_groups = forms.ModelMultipleChoiceField(
        label="Also share in full with",
        required=False,
        queryset=SharingGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, organisation_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the sharing groups the submitter's organisation belongs to can be named.
        qs = SharingGroup.objects.all()
        if organisation_id is not None:
            qs = qs.filter(members__id=organisation_id)
        self.fields["sharing_groups"].queryset = qs.order_by("name")  # type: ignore[attr-defined]


MANUAL_ROW_START = 100  # proposals use rows 0-99, hand-written subjects 100 on, so re-proposing never clashes


def parse_subjects(data: QueryDict) -> list[SubjectInput]:
    """Subject rows from the page: subject-N-kind/value/role/dob/nationality/premises/known/link/relation/accept.

    Rows are numbered as the page shows them; a link names a row number and is
    mapped here to the position of that subject among the accepted ones.
    """
    try:
        total = min(int(data.get("subject-total", "0")), MANUAL_ROW_START + MAX_SUBJECTS)
    except ValueError:
        total = 0
    rows: list[tuple[int, SubjectInput, str]] = []
    for i in range(total):
        p = f"subject-{i}-"
        value = (data.get(p + "value") or "").strip()
        # Proposed rows count only when accepted; blank rows are ignored.
        if not value or (p + "proposed" in data and data.get(p + "accept") != "on"):
            continue
        known = data.get(p + "known") or ""
        rows.append(
            (
                i,
                SubjectInput(
                    kind=data.get(p + "kind", ""),
                    value=value,
                    role=data.get(p + "role") or SubjectRole.OTHER,
                    date_of_birth=(data.get(p + "dob") or "").strip(),
                    nationality=(data.get(p + "nationality") or "").strip(),
                    premises_type=data.get(p + "premises") or "",
                    known_entity_id=int(known) if known.isdigit() else None,
                    relation=data.get(p + "relation") or "",
                ),
                (data.get(p + "link") or "").strip(),
            )
        )
    position = {row_number: n for n, (row_number, _, _) in enumerate(rows)}
    for _, subject, link in rows:
        if link:
            # A link to a row that was not accepted becomes an out-of-range index, which validation names.
            subject.linked_to = position.get(int(link), -1) if link.isdigit() else -1
    return [subject for _, subject, _ in rows]


def report_input(form: ReportForm, subjects: list[SubjectInput]) -> ReportInput:
    c = form.cleaned_data
    return ReportInput(
        text=c.get("text") or "",
        source_evaluation=c["source_evaluation"],
        intelligence_assessment=c["intelligence_assessment"],
        handling_code=c["handling_code"],
        handling_conditions=list(c.get("handling_conditions") or []),
        handling_conditions_text=c.get("handling_conditions_text") or "",
        classification=c["classification"],
        exploitation_types=list(c.get("exploitation_types") or []),
        dissemination=c["dissemination"],
        sharing_group_ids=[g.pk for g in c.get("sharing_groups") or []],
        occurred_on=c.get("occurred_on"),
        subjects=subjects,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("grant", "Grant"), ("refuse", "Refuse")], widget=forms.RadioSelect)
    reason = forms.CharField(label="Reason for the decision", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class SanitiseForm(forms.Form):
    text = forms.CharField(label="Sanitised text", widget=forms.Textarea(attrs={"rows": 8}))
    dissemination = forms.ChoiceField(
        label="Dissemination of the sanitised version",
        choices=Dissemination.choices,
        widget=forms.RadioSelect,
        initial=Dissemination.SHARED,
    )
    keep = forms.MultipleChoiceField(label="Subjects to keep", required=False, widget=forms.CheckboxSelectMultiple)
