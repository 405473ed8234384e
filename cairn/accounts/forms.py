from __future__ import annotations

from crispy_forms_gds.helper import FormHelper
from crispy_forms_gds.layout import Button, Field, Fixed, Fluid, Layout
from django import forms


class SignInForm(forms.Form):
    username = forms.CharField(label="Username", max_length=150)
    password = forms.CharField(label="Password", widget=forms.PasswordInput, max_length=512, strip=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autocapitalize": "none"})
        self.fields["password"].widget.attrs.update({"autocomplete": "current-password"})
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Field.text("username", field_width=Fluid.ONE_HALF),
            Field.text("password", field_width=Fluid.ONE_HALF),
            Button("submit", "Continue"),
        )


class CodeForm(forms.Form):
    code = forms.RegexField(
        label="Code from your authenticator app",
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": "Enter the 6-digit code from your authenticator app."},
        max_length=20,
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field.text("code", field_width=Fixed.TEN), Button("submit", "Sign in"))

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip()


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Token name", max_length=100, help_text="Say what will use it, for example 'force RMS sync'."
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(Field.text("name", field_width=Fluid.ONE_HALF), Button("submit", "Create token"))
