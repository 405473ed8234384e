from __future__ import annotations

from django import forms

from cairn.audit.choices import AuditAction


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label="Username", required=False, max_length=150)
    action = forms.ChoiceField(label="Action", required=False, choices=[("", "Any")] + list(AuditAction.choices))
    object_type = forms.CharField(label="Object type", required=False, max_length=64)
    date_from = forms.DateField(
        label="From (YYYY-MM-DD)", required=False, error_messages={"invalid": "Enter the date as YYYY-MM-DD."}
    )
    date_to = forms.DateField(
        label="To (YYYY-MM-DD)", required=False, error_messages={"invalid": "Enter the date as YYYY-MM-DD."}
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "The 'to' date must be on or after the 'from' date.")
        return data
