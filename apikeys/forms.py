"""Forms of the API Management page.

Every form takes the ``actor`` (who acts, whose 2FA code confirms) and the ``owner``
(whose keys these are: alias uniqueness and the key limit are per owner). For a
trader's own keys both are the trader; for a sub-account's keys the owner is the
sub-account and the actor its parent.
"""

from django import forms
from django.conf import settings

from accounts.forms import TwoFactorForm
from accounts.securitylock import withdraw_key_refusal
from accounts.validators import plain_text

from . import keys
from .models import ApiKey
from .services import WITHDRAW_NEEDS_WHITELIST, KeyChoice, limit_reached_message
from .whitelist import IpWhitelist, WhitelistError


class ApiKeyForm(TwoFactorForm):
    """Alias, permissions and whitelist, confirmed with a 2FA code (create and modify)."""

    alias = forms.CharField(
        label="Alias Name",
        max_length=50,
        validators=[plain_text],
        help_text="A name to tell your keys apart, e.g. “grid-bot”.",
    )
    can_trade = forms.BooleanField(label="Trade", required=False)
    can_withdraw = forms.BooleanField(label="Withdraw", required=False)
    ip_whitelist = forms.CharField(
        label="Whitelist IP",
        required=False,
        # Far above 30 entries; only here so that nobody posts megabytes to the parser.
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )

    field_order = ["alias", "can_trade", "can_withdraw", "ip_whitelist"]

    def __init__(self, *args, actor, owner, apikey: ApiKey | None = None, **kwargs):
        self.owner = owner
        self.apikey = apikey
        super().__init__(*args, user=actor, **kwargs)
        self.fields["ip_whitelist"].help_text = (
            "IPv4 or IPv6 addresses, CIDR blocks (198.51.100.0/24) or ranges "
            "(192.0.2.10-192.0.2.20), separated by commas, spaces or new lines; at most "
            f"{settings.APIKEY_MAX_WHITELIST_ENTRIES} after merging, each no broader than a "
            f"/{settings.APIKEY_WHITELIST_MIN_PREFIX_V4} (IPv6: "
            f"/{settings.APIKEY_WHITELIST_MIN_PREFIX_V6}). Leave it empty for "
            f"unrestricted access: the key then expires after "
            f"{settings.APIKEY_UNRESTRICTED_EXPIRY_DAYS} days."
        )

    def clean_alias(self):
        alias = self.cleaned_data["alias"].strip()
        taken = self.owner.apikeys.filter(alias__iexact=alias)
        if self.apikey is not None:
            taken = taken.exclude(pk=self.apikey.pk)
        if taken.exists():
            raise forms.ValidationError("This account already has a key with this alias.")
        return alias

    def clean_ip_whitelist(self) -> IpWhitelist:
        try:
            return IpWhitelist.parse(self.cleaned_data["ip_whitelist"])
        except WhitelistError as refused:
            raise forms.ValidationError(refused.messages) from None

    def clean(self):
        whitelist = self.cleaned_data.get("ip_whitelist")
        if self.cleaned_data.get("can_withdraw") and whitelist is not None and not whitelist:
            self.add_error("can_withdraw", WITHDRAW_NEEDS_WHITELIST)
        locked = withdraw_key_refusal(
            self.owner,
            had_withdraw=bool(self.apikey and self.apikey.can_withdraw),
            wants_withdraw=bool(self.cleaned_data.get("can_withdraw")),
        )
        if locked:
            self.add_error("can_withdraw", locked)
        # Last: the 2FA code is checked (and spent) only when all the rest is valid.
        return super().clean()

    def service_kwargs(self) -> dict:
        """The cleaned form as keyword arguments of ``services.create_key/modify_key``."""
        data = self.cleaned_data
        return {
            "alias": data["alias"],
            "can_trade": data["can_trade"],
            "can_withdraw": data["can_withdraw"],
            "whitelist": data["ip_whitelist"],
        }

    @property
    def whitelist_warnings(self) -> tuple[str, ...]:
        whitelist = self.cleaned_data.get("ip_whitelist")
        return whitelist.warnings if whitelist else ()


class CreateApiKeyForm(ApiKeyForm):
    key_choice = forms.ChoiceField(
        label="Key type",
        choices=KeyChoice.CHOICES,
        initial=KeyChoice.HMAC,
        widget=forms.RadioSelect,
    )
    public_key = forms.CharField(
        label="Ed25519 public key",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="PEM (-----BEGIN PUBLIC KEY-----), or the 32 raw bytes in base64. "
        "Your private key stays with you: no secret ever reaches us.",
    )

    field_order = [*ApiKeyForm.field_order, "key_choice", "public_key"]

    def clean(self):
        if self.owner.apikeys.count() >= settings.APIKEY_MAX_PER_ACCOUNT:
            # Refused before the code is spent; the service checks again under a lock.
            raise forms.ValidationError(limit_reached_message())
        if self.cleaned_data.get("key_choice") == KeyChoice.ED25519_OWN:
            try:
                self.cleaned_data["public_key"] = keys.parse_ed25519_public_key(
                    self.cleaned_data.get("public_key", "")
                )
            except ValueError as refused:
                self.add_error("public_key", str(refused))
        else:
            self.cleaned_data["public_key"] = ""
        return super().clean()

    def service_kwargs(self) -> dict:
        return {
            **super().service_kwargs(),
            "key_choice": self.cleaned_data["key_choice"],
            "public_key_pem": self.cleaned_data["public_key"],
        }


class ModifyApiKeyForm(ApiKeyForm):
    def __init__(self, *args, apikey: ApiKey, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "alias": apikey.alias,
                "can_trade": apikey.can_trade,
                "can_withdraw": apikey.can_withdraw,
                "ip_whitelist": IpWhitelist.from_blocks(apikey.ip_whitelist).as_text(),
            },
        )
        super().__init__(*args, apikey=apikey, **kwargs)


class ConfirmForm(TwoFactorForm):
    """Delete and "Delete all": nothing to fill in but the code."""

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, user=actor, **kwargs)
