"""The adoption form: the group's name and members, and the grading and dissemination of its record."""

from __future__ import annotations

from typing import Any

from django import forms

from cairn.accounts.models import SharingGroup
from cairn.groups.services import ADOPT_DISSEMINATION, AdoptInput
from cairn.intelligence.choices import Dissemination, IntelligenceAssessment, SourceEvaluation
from cairn.intelligence.forms import GradingForm


class AdoptForm(GradingForm):
    """Grading as for a report; an analyst's own analysis starts at 1 B."""

    name = forms.CharField(label="Name of the group", max_length=200, help_text="As analysts will refer to it.")
    summary = forms.CharField(
        label="What is known about it",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Goes into the analysis report that records the group.",
    )
    members = forms.MultipleChoiceField(label="Members", widget=forms.CheckboxSelectMultiple)
    offered = forms.CharField(widget=forms.HiddenInput)
    found_by = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    dissemination = forms.ChoiceField(
        label="Dissemination",
        choices=[(d.value, d.label) for d in Dissemination if d in ADOPT_DISSEMINATION],
        widget=forms.RadioSelect,
        initial=Dissemination.RESTRICTED,
        help_text="Never shared in full: its members come from other organisations' intelligence.",
    )
    sharing_groups = forms.ModelMultipleChoiceField(
        label="Also share in full with",
        required=False,
        queryset=SharingGroup.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, members: list[tuple[int, str]], organisation_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source_evaluation"].initial = SourceEvaluation.RELIABLE
        self.fields["intelligence_assessment"].initial = IntelligenceAssessment.B
        self.fields["members"].choices = [(str(e), label) for e, label in members]  # type: ignore[attr-defined]
        qs = SharingGroup.objects.filter(members__id=organisation_id).order_by("name")
        self.fields["sharing_groups"].queryset = qs  # type: ignore[attr-defined]

    def adopt_input(self) -> AdoptInput:
        d = self.cleaned_data
        return AdoptInput(
            name=d["name"],
            member_ids=[int(e) for e in d["members"]],
            summary=d["summary"],
            dissemination=d["dissemination"],
            sharing_group_ids=[g.pk for g in d["sharing_groups"]],
            source_evaluation=d["source_evaluation"],
            intelligence_assessment=d["intelligence_assessment"],
            handling_code=d["handling_code"],
            handling_conditions=list(d["handling_conditions"]),
            handling_conditions_text=d["handling_conditions_text"],
            exploitation_types=list(d["exploitation_types"]),
            found_by=d["found_by"] or "network analysis",
        )
