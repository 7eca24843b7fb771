import re

from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordResetForm,
    SetPasswordForm,
    UserCreationForm,
)
from django.contrib.auth.password_validation import password_validators_help_texts
from django.db import transaction
from django.template.loader import render_to_string

from .mail import send_to_account
from .models import SUBACCOUNT_EMAIL_DOMAIN, User
from .notices import send_notice
from .securitylock import start_security_lock
from .twofactor import CodeRejected, has_2fa, verify_code
from .validators import plain_text

USERNAME = re.compile(r"[A-Za-z0-9@.+_]+")


class SignupForm(UserCreationForm):
    email = forms.EmailField(label="E-mail")

    class Meta(UserCreationForm.Meta):
        # UserCreationForm.Meta's field_classes (UsernameField) NFKC-normalise the name
        # before the "already exists" check: "ＤＥＭＯ" is "DEMO", which "demo" holds.
        model = User
        fields = ["username", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Plain sentences: Django's name the "-" this form refuses, and its password help
        # is a <ul>, which can't sit in the page's <p class="help">.
        self.fields["username"].help_text = "Up to 150 characters: letters, digits and @ . + _"
        self.fields["password1"].help_text = " ".join(
            text if text.endswith(".") else f"{text}." for text in password_validators_help_texts()
        )

    def clean_username(self):
        username = super().clean_username()
        # Django 5.2 adds "already exists" itself and returns None: nothing left to check.
        if username is not None and not USERNAME.fullmatch(username):
            # ASCII only: a Cyrillic "о" or small capitals would pass for someone else.
            # No "-": sub-accounts are named parent-name, and a trader called alice-bot
            # could otherwise take the name of Alice's future sub-account "bot".
            raise forms.ValidationError("Use letters, digits and @ . + _ (no “-”).")
        return username

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if email.endswith("@" + SUBACCOUNT_EMAIL_DOMAIN):
            raise forms.ValidationError("Enter your own e-mail address.")
        # A taken address is no form error: sign-up answers the same either way (the
        # view mails the address's owner instead), so it tells nobody who has an account.
        self.email_taken = User.objects.filter(email__iexact=email).exists()
        return email

    def validate_unique(self):
        # The e-mail's uniqueness is the view's answer, not a form error (see clean_email).
        exclude = self._get_validation_exclusions() | {"email"}
        try:
            self.instance.validate_unique(exclude=exclude)
        except forms.ValidationError as error:
            self._update_errors(error)


class LoginForm(AuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if user.is_subaccount:
            # Sub-accounts are managed by their parent and never sign in themselves.
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class CodeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Google Authenticator code")
        kwargs.setdefault("max_length", 32)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        )
        return attrs


class TwoFactorForm(forms.Form):
    """A form whose action must be confirmed with a fresh 2FA code.

    The code is checked last, and only when every other field is valid: a code is
    good once, so spending it on a form that fails anyway would make the user wait
    for the next one.
    """

    code = CodeField()
    allow_backup_code = False

    def __init__(self, *args, user, **kwargs):
        self.user = user
        self.otp_device = None
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                self.otp_device = verify_code(
                    self.user, cleaned.get("code", ""), allow_backup=self.allow_backup_code
                )
            except CodeRejected as rejected:
                self.add_error("code", str(rejected))
        return cleaned


class LoginCodeForm(TwoFactorForm):
    code = CodeField(label="Authentication code")
    allow_backup_code = True


class DisableTwoFactorForm(TwoFactorForm):
    """Password and code, checked together and answered with one message.

    Both are always checked, whichever is wrong: a form that stopped at a wrong
    password (or answered differently) would be a password oracle for anyone holding
    the session, and the code's throttle would grow only behind a right password.
    The view throttles the attempts before this form runs (``password_recheck_throttled``).
    """

    WRONG = "The password or the code is not right."
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput)

    def clean(self):
        cleaned = forms.Form.clean(self)
        if self.errors:
            return cleaned  # a field left empty: nothing is checked, nothing is spent
        password_ok = self.user.check_password(cleaned["password"])
        try:
            self.otp_device = verify_code(self.user, cleaned["code"])
        except CodeRejected:
            self.otp_device = None
        if not (password_ok and self.otp_device):
            raise forms.ValidationError(self.WRONG, code="wrong_password_or_code")
        return cleaned


class PasskeyNameForm(forms.Form):
    name = forms.CharField(
        label="Passkey name",
        max_length=40,
        validators=[plain_text],
        help_text="Up to 40 characters, e.g. “Work laptop” or “YubiKey”.",
    )


class RemovePasskeyForm(TwoFactorForm):
    """Removing a passkey takes the authenticator's code (or a backup code): the
    passkey itself can't vouch for its own removal."""

    code = CodeField(label="Authenticator code")
    allow_backup_code = True


class AddPasskeyForm(RemovePasskeyForm):
    """Adding a passkey takes the authenticator's code (or a backup code) too: a session
    alone (a stolen cookie) can't add a passkey that would outlive it."""


class SetupCodeForm(forms.Form):
    code = CodeField()


class LockingSetPasswordForm(SetPasswordForm):
    """Django's "set password" (the reset link's form): the security lock starts in the
    same transaction, and the owner gets a notice."""

    notice = "Your password was reset"
    signed_out = "Every session of your account was signed out."

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request  # whose IP and browser the notice names
        super().__init__(user, *args, **kwargs)

    @transaction.atomic
    def save(self, commit=True):
        user = super().save(commit=commit)
        until = start_security_lock(user=user)
        lines = [
            f"{self.notice}. {self.signed_out}",
            f"Withdrawals through the API are locked until {until:%Y-%m-%d %H:%M} UTC.",
        ]
        send_notice(user=user, subject=self.notice, lines=lines, request=self.request)
        return user


class AntiPhishingForm(TwoFactorForm):
    phrase = forms.CharField(
        label="Anti-phishing phrase",
        max_length=40,
        required=False,
        validators=[plain_text],
        help_text="Up to 40 characters; every e-mail we send you will show it. "
        "Leave empty to remove it.",
    )
    field_order = ["phrase", "code"]


class ChangePasswordForm(LockingSetPasswordForm):
    notice = "Your password was changed"
    signed_out = (
        "Other sessions of your account were signed out; the one it was changed in stays signed in."
    )

    """The current password, the new one twice (Django's validators), and the 2FA code
    when 2FA is on.

    The new password is checked first and, while it is refused, nothing else is: the
    code is good once and must not be spent on a form that fails anyway. Then the
    current password and the code are both checked, whichever is wrong, and answered
    with one message (no password oracle for whoever holds the session). The view
    throttles the attempts before this form runs (``password_recheck_throttled``).
    """

    old_password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = CodeField()
    field_order = ["old_password", "new_password1", "new_password2", "code"]

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.otp_device = None
        self.needs_code = has_2fa(user)
        if not self.needs_code:
            del self.fields["code"]

    @property
    def wrong_message(self) -> str:
        if self.needs_code:
            return "The current password or the code is not right."
        return "The current password is not right."

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned  # a field left empty or a refused new password: nothing spent
        password_ok = self.user.check_password(cleaned["old_password"])
        code_ok = True
        if self.needs_code:
            try:
                self.otp_device = verify_code(self.user, cleaned["code"])
            except CodeRejected:
                code_ok = False
        if not (password_ok and code_ok):
            raise forms.ValidationError(self.wrong_message, code="wrong_password_or_code")
        return cleaned


def _duration(seconds: int) -> str:
    """ "an hour", "2 hours", "30 minutes": how e-mails say a link's lifetime."""
    if seconds >= 3600 and seconds % 3600 == 0:
        hours = seconds // 3600
        return "an hour" if hours == 1 else f"{hours} hours"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


class ForgotPasswordForm(PasswordResetForm):
    """Django's reset form; sub-accounts never sign in, so they never get a link."""

    email = forms.EmailField(
        label="E-mail", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def get_users(self, email):
        return (user for user in super().get_users(email) if not user.is_subaccount)

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # Through send_to_account, like every e-mail: a failure is one log line that
        # names no address (Django's own would log the traceback), and the answer stays
        # the same as for an unknown address.
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        # The words must be true: how long this link works, and whether a code follows.
        context = {
            **context,
            "valid_for": _duration(settings.PASSWORD_RESET_TIMEOUT),
            "has_2fa": has_2fa(context["user"]),
        }
        body = render_to_string(email_template_name, context)
        send_to_account(user=context["user"], subject=subject, body=body, what="password reset")
