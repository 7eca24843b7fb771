from django import forms

from accounts.forms import TwoFactorForm
from accounts.validators import plain_text

from .services import SubaccountError, check_new_subaccount


class SubaccountForm(TwoFactorForm):
    name = forms.CharField(
        label="Sub-account name",
        max_length=20,
        validators=[plain_text],
        help_text="2–20 lowercase letters, digits or _. Shown as yourname-name.",
    )
    note = forms.CharField(label="Note", max_length=200, required=False, validators=[plain_text])
    field_order = ["name", "note", "code"]

    def clean_name(self):
        name = self.cleaned_data["name"].strip().lower()
        try:
            # Before the 2FA code is checked: a refused name must not spend it.
            check_new_subaccount(parent=self.user, name=name)
        except SubaccountError as refused:
            raise forms.ValidationError(str(refused)) from None
        return name


class FreezeForm(TwoFactorForm):
    """Freeze or unfreeze, saying which: a double submit can't undo itself."""

    frozen = forms.BooleanField(required=False, widget=forms.HiddenInput)
