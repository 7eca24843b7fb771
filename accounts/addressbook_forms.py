from django import forms

from .addressbook import ADDRESS_PATTERN
from .forms import TwoFactorForm
from .models import Asset
from .validators import plain_text


class AddAddressForm(TwoFactorForm):
    asset = forms.ModelChoiceField(
        label="Coin", queryset=Asset.objects.all(), to_field_name="symbol", empty_label=None
    )
    address = forms.RegexField(
        label="Address",
        regex=rf"^{ADDRESS_PATTERN}$",
        max_length=128,
        error_messages={
            "invalid": "Letters, digits and : . _ - only, 4 to 128 characters, as your "
            "wallet shows it."
        },
    )
    label = forms.CharField(
        label="Label",
        max_length=50,
        validators=[plain_text],
        help_text="e.g. Ledger, cold wallet",
    )


class AddressManagementForm(TwoFactorForm):
    enabled = forms.TypedChoiceField(
        choices=[("on", "On"), ("off", "Off")],
        coerce=lambda value: value == "on",
        widget=forms.HiddenInput,
    )
