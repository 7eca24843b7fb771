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
from .services import Grace, KeyChoice, expiry_refusal, key_refusals, last_day
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

    expires_on = forms.DateField(
        label="Expires after",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    field_order = ["alias", "can_trade", "can_withdraw", "ip_whitelist", "expires_on"]

    def __init__(self, *args, actor, owner, apikey: ApiKey | None = None, **kwargs):
        self.owner = owner
        self.apikey = apikey
        super().__init__(*args, user=actor, **kwargs)
        self.fields["ip_whitelist"].help_text = (
            "IPv4 or IPv6 addresses, CIDR blocks (198.51.100.0/24) or ranges "
            "(192.0.2.10-192.0.2.20), separated by commas, spaces or new lines. At most "
            f"{settings.APIKEY_MAX_WHITELIST_ENTRIES} entries (overlapping ones count once), "
            f"none wider than a /{settings.APIKEY_WHITELIST_MIN_PREFIX_V4} (IPv6: "
            f"/{settings.APIKEY_WHITELIST_MIN_PREFIX_V6}). Leave it empty to allow any IP: "
            f"the key then expires after {settings.APIKEY_UNRESTRICTED_EXPIRY_DAYS} days."
        )
        # The lock, up front: the box is greyed out before anyone types a code (a
        # posted Withdraw is still refused, by key_refusals, here and in the service).
        self.withdraw_locked = withdraw_key_refusal(
            owner, had_withdraw=bool(apikey and apikey.can_withdraw), wants_withdraw=True
        )
        if self.withdraw_locked:
            self.fields["can_withdraw"].widget.attrs.update(
                {"disabled": True, "aria-describedby": "withdraw_locked"}
            )
        self.fields["expires_on"].help_text = (
            "The last day (UTC) the key works, at most "
            f"{settings.APIKEY_MAX_EXPIRY_DAYS} days ahead ("
            f"{settings.APIKEY_UNRESTRICTED_EXPIRY_DAYS} without a whitelist). Left empty, "
            "a key with a whitelist never expires."
        )

    def clean_alias(self):
        return self.cleaned_data["alias"].strip()

    def clean_ip_whitelist(self) -> IpWhitelist:
        try:
            return IpWhitelist.parse(self.cleaned_data["ip_whitelist"])
        except WhitelistError as refused:
            raise forms.ValidationError(refused.messages) from None

    def clean(self):
        # The service's own rules (limit, alias, withdraw), asked before the code is spent.
        for refused in key_refusals(
            owner=self.owner,
            apikey=self.apikey,
            alias=self.cleaned_data.get("alias"),
            can_withdraw=self.cleaned_data.get("can_withdraw"),
            whitelist=self.cleaned_data.get("ip_whitelist"),
            expires_on=self.cleaned_data.get("expires_on"),
        ):
            self.add_error(refused.field, str(refused))
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
            "expires_on": data["expires_on"],
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
                # An unrestricted key's expiry is its ceiling: the field can only shorten it.
                "expires_on": last_day(apikey.expires_at) if apikey.ip_whitelist else None,
            },
        )
        super().__init__(*args, apikey=apikey, **kwargs)


class RollSecretForm(TwoFactorForm):
    """A new secret for a key, and how long the old one keeps working."""

    grace = forms.ChoiceField(
        label="Keep the old secret working for",
        choices=Grace.CHOICES,
        initial=Grace.HOUR,
        widget=forms.RadioSelect,
        help_text="Both secrets work during this time, so you can update your bot without "
        "downtime. The old one then stops by itself; “End now” on the key's page stops it "
        "earlier.",
    )
    public_key = forms.CharField(
        label="New Ed25519 public key (optional)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="Paste the public key of a pair you generated, or leave it empty and we "
        "generate a new pair and show its private key once.",
    )

    field_order = ["grace", "public_key"]

    def __init__(self, *args, actor, apikey: ApiKey, **kwargs):
        self.apikey = apikey
        super().__init__(*args, user=actor, **kwargs)
        if apikey.key_type != ApiKey.KeyType.ED25519:
            del self.fields["public_key"]
        if apikey.disabled_reason == ApiKey.DisabledReason.LEAKED:
            # The leaked secret must stop at once (the service enforces it too).
            self.fields["grace"].choices = Grace.CHOICES[:1]
            self.fields["grace"].initial = Grace.NONE

    def clean_public_key(self):
        text = self.cleaned_data.get("public_key", "").strip()
        if not text:
            return ""
        try:
            return keys.parse_ed25519_public_key(text)
        except ValueError as refused:
            raise forms.ValidationError(str(refused)) from None

    def service_kwargs(self) -> dict:
        return {
            "grace": self.cleaned_data["grace"],
            "public_key_pem": self.cleaned_data.get("public_key", ""),
        }


class ExtendKeyForm(TwoFactorForm):
    """ "Extend": a new last day for the key, within the ceilings of creation."""

    expires_on = forms.DateField(
        label="Works until (UTC)", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, actor, apikey: ApiKey, **kwargs):
        self.apikey = apikey
        # The field starts at the current last day: one nudge forward, not a retype.
        kwargs.setdefault("initial", {"expires_on": last_day(apikey.expires_at)})
        super().__init__(*args, user=actor, **kwargs)

    def clean_expires_on(self):
        expires_on = self.cleaned_data["expires_on"]
        whitelist = IpWhitelist.from_blocks(self.apikey.ip_whitelist)
        if refused := expiry_refusal(expires_on, whitelist, None):
            raise forms.ValidationError(str(refused))
        return expires_on


class ConfirmForm(TwoFactorForm):
    """Delete and "Delete all": nothing to fill in but the code."""

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, user=actor, **kwargs)


class IdlePolicyForm(TwoFactorForm):
    """The account's "Disable keys idle for N days": the state asked for, with a code."""

    disable_idle = forms.BooleanField(required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, user=actor, **kwargs)
        self.fields[
            "disable_idle"
        ].label = f"Disable keys idle for {settings.APIKEY_IDLE_DAYS} days"


class WhitelistUsedIpForm(TwoFactorForm):
    """Add one of the IPs a key was used from to its whitelist."""

    ip = forms.GenericIPAddressField(label="IP address", unpack_ipv4=True)

    def __init__(self, *args, apikey, **kwargs):
        self.apikey = apikey
        super().__init__(*args, **kwargs)

    def clean_ip(self):
        ip = self.cleaned_data["ip"]
        if not self.apikey.used_ips.filter(ip=ip).exists():
            raise forms.ValidationError("This key has not been used from that IP address.")
        if self.apikey.ip_whitelist and self.apikey.allows_ip(ip):
            raise forms.ValidationError(f"{ip} is already on the whitelist.")
        try:
            self.cleaned_data["whitelist"] = IpWhitelist.parse(
                "\n".join([*self.apikey.ip_whitelist, ip])
            )
        except WhitelistError as refused:
            raise forms.ValidationError(refused.messages) from None
        return ip
