"""Passkey endpoints: django-otp-webauthn's JSON views under the portal's rules, and the
Security page's rename and remove.

- Registration: only a session verified with 2FA, of an account whose authenticator app
  is on (a passkey is an additional factor, never the only one), and only in the window
  a code confirmed on the Security page opened for this session (``start_adding``);
  a completed registration spends it.
- Authentication: only the half-signed-in user of this login attempt (the password step
  passed, PENDING_LOGIN in this session) or a signed-in session not yet verified; nobody
  else, and never passwordless (OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN is off too).
- Every body is JSON or nothing; anything else, or JSON the library can't take, is a
  400 with a JSON error, never a 500. CSRF is Django's (the script sends the token).
"""

import json
import logging

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp_webauthn import exceptions
from django_otp_webauthn.utils import rewrite_exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from . import activity, passkeys, twofactor
from .decorators import code_confirmed
from .forms import AddPasskeyForm, PasskeyNameForm, RemovePasskeyForm
from .models import SignInEvent
from .views import PENDING_LOGIN, end_pending_event, next_url, pending_user, security_page

logger = logging.getLogger(__name__)


class TooManyPasskeys(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = "You have as many passkeys as an account may have. Remove one first."
    default_code = "too_many_passkeys"


class NeedsTwoFactor(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = "Turn on the authenticator app and sign in with it before adding a passkey."
    default_code = "user_not_verified"


class NeedsCode(exceptions.OTPWebAuthnApiError):
    status_code = 403
    default_detail = (
        "Confirm with your authenticator code first: on the Security page, enter the code "
        f"under “Add a passkey”, then add the passkey within "
        f"{passkeys.ADD_WINDOW_SECONDS // 60} minutes."
    )
    default_code = "code_needed"


class JsonOnly:
    """Hostile bodies are a 400: not JSON, not UTF-8, nested beyond reason, not an object,
    or an object whose parts are of the wrong types deep inside the library."""

    @method_decorator(never_cache)
    def dispatch(self, request, *args, **kwargs):
        """The library's, with who may ask checked before the body is read."""
        if request.method != "POST":  # before anything else: a GET tells nothing
            return HttpResponseNotAllowed(["POST"])
        self.request = request
        try:
            self.initial(request, *args, **kwargs)
            request.data = self._parse_request_data(request)
            return View.dispatch(self, request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - answered as the library answers
            return self.handle_exception(exc)

    def _parse_request_data(self, request):
        if not request.body:
            return {}
        if request.content_type != "application/json":
            raise exceptions.MalformedRequest()
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError) as error:
            raise exceptions.MalformedRequest() from error
        if not isinstance(data, dict):
            raise exceptions.MalformedRequest()
        return data

    def handle_exception(self, exc):
        if isinstance(exc, ValueError | TypeError | KeyError | AttributeError | RecursionError):
            # py_webauthn's parsers meet shapes they don't expect (a list for a string).
            logger.info("Passkey request refused: %s", type(exc).__name__)
            exc = exceptions.MalformedRequest()
        return super().handle_exception(exc)


class RegistrationRules:
    def check_can_register(self):
        user = self.get_user()
        if not (twofactor.has_2fa(user) and user.is_verified()):
            raise NeedsTwoFactor()
        if not passkeys.can_add_passkey(user):
            raise TooManyPasskeys()
        if not passkeys.add_window_open(self.request.session, user):
            raise NeedsCode()


class BeginRegistration(JsonOnly, RegistrationRules, BeginCredentialRegistrationView):
    pass


class CompleteRegistration(JsonOnly, RegistrationRules, CompleteCredentialRegistrationView):
    def post(self, *args, **kwargs):
        user = self.get_user()
        state = self.get_state()
        with rewrite_exceptions(logger=logger):
            passkey = self.get_helper().register_complete(
                user=user, state=state, data=self.request.data
            )
        passkeys.passkey_added(user=user, passkey=passkey)
        passkeys.close_add_window(self.request.session)
        messages.success(
            self.request, f"{passkey.name} is added. Give it a name you will recognise."
        )
        return JsonResponse({"id": passkey.credential_id_sha256})


class SecondStepOnly:
    def get_user(self):
        """The user of this login attempt who has yet to prove the second factor."""
        if self.request.user.is_authenticated and self.request.user.is_verified():
            return None  # nothing left to prove: no ceremony
        user = pending_user(self.request)
        if user is None or not twofactor.has_2fa(user):
            return None
        return user


class BeginAuthentication(JsonOnly, SecondStepOnly, BeginCredentialAuthenticationView):
    pass


class CompleteAuthentication(JsonOnly, SecondStepOnly, CompleteCredentialAuthenticationView):
    def handle_exception(self, exc):
        user = self.get_user()
        if user is not None and isinstance(exc, exceptions.OTPWebAuthnApiError):
            end_pending_event(self.request, user)  # listed by what the passkey step answered
            activity.record(self.request, user, SignInEvent.Outcome.WRONG_PASSKEY)
        return super().handle_exception(exc)

    def complete_auth(self, device):
        """Exactly the code step's success, with the passkey as the device."""
        request = self.request
        user = self.get_user()
        end_pending_event(request, user)  # the sign-in is recorded as it completes
        request.session.pop(PENDING_LOGIN, None)
        if not request.user.is_authenticated:
            request.signin_factor = SignInEvent.Factor.PASSKEY
            login(request, user, backend=user.backend)
        otp_login(request, device)

    def get_success_url(self):
        return next_url(self.request)


def _to_passkeys():
    return redirect(reverse("accounts:security") + "#passkeys-title")


@require_POST
@code_confirmed
def start_adding(request):
    """The authenticator's code (or a backup code) opens this session's window to add one
    passkey; the page then offers the browser's passkey ceremony."""
    form = AddPasskeyForm(request.POST, user=request.user, auto_id="addpasskey_%s")
    if form.is_valid():
        passkeys.open_add_window(request.session, request.user)
        minutes = passkeys.ADD_WINDOW_SECONDS // 60
        messages.success(
            request, f"Code confirmed. Choose “Add a passkey” within {minutes} minutes."
        )
        return redirect(reverse("accounts:security") + "#passkeys-title")
    return security_page(request, add_passkey_form=form, status=400)


@require_POST
@login_required
def rename_passkey(request, code):
    passkey = passkeys.passkey_of(request.user, code)
    form = PasskeyNameForm(request.POST, auto_id=f"rename_{code[:12]}_%s")
    if form.is_valid():
        passkeys.rename_passkey(user=request.user, passkey=passkey, name=form.cleaned_data["name"])
        messages.success(request, "The passkey is renamed.")
        return _to_passkeys()
    return security_page(request, passkey_forms={code: {"rename": form}}, status=400)


@require_POST
@login_required
@sensitive_post_parameters("code")
def remove_passkey(request, code):
    passkey = passkeys.passkey_of(request.user, code)
    form = RemovePasskeyForm(request.POST, user=request.user, auto_id=f"remove_{code[:12]}_%s")
    if form.is_valid():
        was_this_sessions = request.user.otp_device == passkey
        passkeys.remove_passkey(user=request.user, passkey=passkey)
        if was_this_sessions:
            # The session was verified with that passkey; the code just given verifies it
            # now (django-otp would otherwise drop the proof with the device).
            otp_login(request, form.otp_device)
        messages.success(request, f"{passkey.name} is removed.")
        return _to_passkeys()
    return security_page(request, passkey_forms={code: {"remove": form}}, status=400)
