import re

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from .models import SUBACCOUNT_EMAIL_DOMAIN, User
from .twofactor import CodeRejected, verify_code

USERNAME = re.compile(r"[A-Za-z0-9@.+_]+")


class SignupForm(UserCreationForm):
    email = forms.EmailField(label="E-mail")

    class Meta(UserCreationForm.Meta):
        # UserCreationForm.Meta's field_classes (UsernameField) NFKC-normalise the name
        # before the "already exists" check: "ＤＥＭＯ" is "DEMO", which "demo" holds.
        model = User
        fields = ["username", "email"]

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
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this e-mail already exists.")
        return email


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


class SetupCodeForm(forms.Form):
    code = CodeField()
