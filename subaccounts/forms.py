from django import forms

from accounts.forms import TwoFactorForm


class SubaccountForm(TwoFactorForm):
    name = forms.CharField(
        label="Sub-account name",
        max_length=20,
        help_text="2–20 lowercase letters, digits or _. Shown as yourname-name.",
    )
    note = forms.CharField(label="Note", max_length=200, required=False)
    field_order = ["name", "note", "code"]

    def clean_name(self):
        return self.cleaned_data["name"].strip().lower()
