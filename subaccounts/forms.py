from django import forms

from accounts.forms import TwoFactorForm
from accounts.models import Asset
from accounts.money import AmountField
from accounts.validators import plain_text

from .services import (
    FROM_SUBACCOUNT,
    TO_SUBACCOUNT,
    SubaccountError,
    check_new_subaccount,
    check_transfer,
)


class SubaccountForm(TwoFactorForm):
    name = forms.CharField(
        label="Sub-account name",
        max_length=20,
        validators=[plain_text],
        help_text="2–20 lowercase letters, digits or _. Shown as yourname-name.",
    )
    note = forms.CharField(label="Note", max_length=200, required=False, validators=[plain_text])
    field_order = ["name", "note", "code"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        example = f"{self.user.username}-desk1"
        help_text = f"2–20 lowercase letters, digits or _. “desk1” becomes {example}."
        self.fields["name"].help_text = help_text

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


class TransferForm(TwoFactorForm):
    """Move funds to or from a sub-account, confirmed with the parent's 2FA code."""

    asset = forms.ModelChoiceField(
        label="Coin", queryset=Asset.objects.all(), to_field_name="symbol", empty_label=None
    )
    amount = AmountField(label="Amount")
    direction = forms.ChoiceField(label="Direction", widget=forms.RadioSelect)
    field_order = ["direction", "asset", "amount", "code"]

    def __init__(self, *args, subaccount, **kwargs):
        self.subaccount = subaccount
        kwargs.setdefault("initial", {"direction": TO_SUBACCOUNT, "asset": "USDT"})
        super().__init__(*args, **kwargs)
        self.fields["direction"].choices = [
            (TO_SUBACCOUNT, f"From {self.user.username} to {subaccount.username}"),
            (FROM_SUBACCOUNT, f"From {subaccount.username} back to {self.user.username}"),
        ]

    def clean(self):
        data = self.cleaned_data
        if not self.errors:
            try:
                # Before the 2FA code is checked: a refused transfer must not spend it.
                check_transfer(
                    parent=self.user,
                    subaccount=self.subaccount,
                    asset=data["asset"],
                    amount=data["amount"],
                    direction=data["direction"],
                )
            except SubaccountError as refused:
                self.add_error("amount", str(refused))
        return super().clean()
