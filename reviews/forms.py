import ipaddress

from django import forms

from accounts.forms import TwoFactorForm
from accounts.validators import plain_text, plain_text_lines

from . import services
from .models import Purpose, Volume

MAX_SERVER_IPS = 30
STRATEGY_MAX_LENGTH = 1000


def server_ip_list(value: str) -> list[str]:
    """The servers' addresses, one per line or comma-separated, as normalised networks."""
    networks = []
    for item in value.replace(",", " ").split():
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise forms.ValidationError(
                f"“{item[:45]}” is not an IP address (such as 203.0.113.7 or 2001:db8::1).",
                code="invalid_ip",
            ) from None
    if len(networks) > MAX_SERVER_IPS:
        raise forms.ValidationError(f"List at most {MAX_SERVER_IPS} addresses.", code="too_many")
    return list(dict.fromkeys(networks))


class SubmitApplicationForm(TwoFactorForm):
    """ "Submit for Review": what the risk team needs to know, confirmed with a Google
    Authenticator code.

    Whether the account may apply, and the answers, are checked before the code, so that
    a refusal or a typo doesn't spend it.
    """

    purpose = forms.ChoiceField(
        label="What will you use API trading for?",
        choices=Purpose.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose one."},
    )
    platform = forms.CharField(
        label="Which platform?",
        max_length=100,
        required=False,
        validators=[plain_text],
        help_text="Only for a third-party platform, e.g. 3Commas or Hummingbot.",
    )
    monthly_volume = forms.ChoiceField(
        label="Expected monthly trading volume (USDT)",
        choices=[("", "Choose a range")] + Volume.choices,
        error_messages={"required": "Choose a range.", "invalid_choice": "Choose a range."},
    )
    server_ips = forms.CharField(
        label="Your servers' IP addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
        validators=[plain_text_lines],
        help_text="Needed: one per line, or tick “Not known yet” below.",
    )
    ips_unknown = forms.BooleanField(label="Not known yet", required=False)
    strategy = forms.CharField(
        label="Describe your trading strategy",
        min_length=20,
        max_length=STRATEGY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        validators=[plain_text_lines],
        error_messages={"required": "Describe your strategy in a sentence or two."},
        help_text=f"What the bot trades and how, in up to {STRATEGY_MAX_LENGTH} characters.",
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "apply_%s")
        super().__init__(*args, **kwargs)
        # Empty only with "Not known yet" ticked (clean): not "(optional)" on the page.
        self.fields["server_ips"].required_unless = "ips_unknown"

    def clean_server_ips(self):
        return "\n".join(server_ip_list(self.cleaned_data["server_ips"]))

    def clean(self):
        reason = services.refusal_reason(self.user, services.latest_application(self.user))
        if reason:
            raise forms.ValidationError(reason)
        data = self.cleaned_data
        if data.get("purpose") == Purpose.THIRD_PARTY and not data.get("platform"):
            self.add_error("platform", "Name the platform you will connect.")
        if data.get("purpose") != Purpose.THIRD_PARTY:
            data["platform"] = ""
        if data.get("ips_unknown") and data.get("server_ips"):
            self.add_error(
                "server_ips",
                "List your servers' IP addresses or tick “not known yet”: one or the other.",
            )
        elif data.get("ips_unknown"):
            data["server_ips"] = ""
        elif "server_ips" in data and not data["server_ips"]:
            self.add_error("server_ips", "List your servers' IP addresses or tick “not known yet”.")
        return super().clean()

    @property
    def answers(self) -> dict:
        return {name: self.cleaned_data[name] for name in services.ANSWERS}


# Common reasons, offered as starting points: the officer picks one and may edit it.
REJECTION_TEMPLATES = [
    (
        "strategy",
        "Strategy unclear",
        "Your description of the trading strategy does not tell us enough to assess it. "
        "Please apply again with what the bot trades, how often, and how it manages risk.",
    ),
    (
        "platform",
        "Platform not supported",
        "The third-party platform you named is not one we can approve for API trading.",
    ),
    (
        "volume",
        "Volume out of line with the account",
        "The trading volume you expect is out of line with your account's balance and "
        "history. Please apply again once your account reflects it.",
    ),
    (
        "security",
        "Account security",
        "Recent security events on your account need to be resolved first. Please contact "
        "support, then apply again.",
    ),
]
TEMPLATE_TEXT = {key: text for key, _, text in REJECTION_TEMPLATES}


class FocusesItsError(forms.Form):
    """After a refused submit, the first field in error takes the focus (autofocus), is
    marked invalid and is described by its error, which the page shows below the field
    (``{field}_error``): a keyboard or screen-reader user lands on what to fix."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs.update(
                    {
                        "autofocus": True,
                        "aria-invalid": "true",
                        "aria-describedby": f"{self[name].auto_id}_error",
                    }
                )
                break


class RejectForm(FocusesItsError):
    """The reason compliance gives the trader; a rejection without one is refused.

    A template fills the reason when it is left empty (the page's script copies the
    template into the box, to be edited, as soon as one is picked)."""

    template = forms.ChoiceField(
        label="Start from a common reason",
        required=False,
        choices=[("", "—")] + [(key, label) for key, label, _ in REJECTION_TEMPLATES],
    )
    reason = forms.CharField(
        label="Reason (shown to the trader)",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=2000,
        required=False,
        # Several lines are fine in a reason; other control characters are not.
        validators=[plain_text_lines],
    )

    def clean(self):
        data = super().clean()
        if "reason" in data and not data["reason"].strip():
            data["reason"] = TEMPLATE_TEXT.get(data.get("template"), "")
            if not data["reason"]:
                self.add_error("reason", "This field is required.")
        return data


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Internal note (never shown to the trader)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        validators=[plain_text_lines],
    )


class FreezeForm(FocusesItsError):
    # The state the officer asked for, not "toggle": a double submit, the back button or
    # two officers at once must not undo a freeze.
    state = forms.ChoiceField(
        choices=[("frozen", "Freeze"), ("active", "Unfreeze")], widget=forms.HiddenInput
    )
    reason = forms.CharField(
        label="Reason (recorded in the account's history and e-mailed to the trader)",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        validators=[plain_text_lines],
    )
