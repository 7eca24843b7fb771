import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.http import HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse, reverse_lazy
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST, require_safe
from django_otp import login as otp_login

from core import showonce

from . import activity, emailverify, passkeys, twofactor
from .forms import (
    AddPasskeyForm,
    AntiPhishingForm,
    ChangePasswordForm,
    DisableTwoFactorForm,
    ForgotPasswordForm,
    LockingSetPasswordForm,
    LoginCodeForm,
    LoginForm,
    PasskeyNameForm,
    RemovePasskeyForm,
    SetupCodeForm,
    SignupForm,
    TwoFactorForm,
)
from .models import SignInEvent, User, UserSession
from .services import (
    balances_of,
    login_failed,
    login_throttled,
    password_recheck_throttled,
    password_reset_throttled,
    set_phrase,
    signup_attempt_mail_throttled,
    signup_throttled,
    total_usdt,
    transfers_of,
)
from .services import (
    verification_resend_throttled as emailverify_resend_throttled,
)

PENDING_LOGIN = "pending_login"
PENDING_LOGIN_SECONDS = 300
SETUP_KEY = "totp_setup_key"
BACKUP_CODES = "backup_codes_to_show"
BACKUP_CODES_SECONDS = 10 * 60


def passkey_config(request) -> dict:
    """What django-otp-webauthn's scripts read from #otp_webauthn_config (a JSON data
    block, not a script: the strict CSP runs only our static files)."""
    return {
        "autocompleteLoginFieldSelector": None,
        "nextFieldSelector": "input[name='next']",
        "csrfToken": get_token(request),
        "beginAuthenticationUrl": reverse("accounts:passkey_auth_begin"),
        "completeAuthenticationUrl": reverse("accounts:passkey_auth_complete"),
        "beginRegistrationUrl": reverse("accounts:passkey_register_begin"),
        "completeRegistrationUrl": reverse("accounts:passkey_register_complete"),
    }


def next_url(request) -> str:
    """Where to go after signing in: only ever a path on this site.

    Answered with HttpResponseRedirect, never redirect(): that would take "0" or
    "accounts:login" for a view name to reverse, and fail on "0" with a 500.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password1", "password2")
@never_cache
def signup(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = SignupForm(request.POST or None)
    throttled = request.method == "POST" and signup_throttled(request)
    if request.method == "POST" and not throttled and form.is_valid():
        # The same answer whether the address is new or taken: nobody is signed in, and
        # the address's inbox gets either the link or word of the attempt.
        user = None if form.email_taken else _create_account(form)
        if user is None:
            if form.email_taken:
                # A new account's password is hashed: so is this one, and thrown away,
                # or a taken address would answer measurably sooner.
                make_password(form.cleaned_data["password1"])
            email = form.cleaned_data["email"]
            # Past the address's daily allowance, nothing is sent; the answer is the same.
            if not signup_attempt_mail_throttled(request, email):
                emailverify.send_signup_attempt(request, email)
        else:
            emailverify.send_verification(request, user)
        return redirect("accounts:signup_sent")
    if throttled:
        # Unbound: rendering a bound form's errors would validate it (a username oracle).
        form = SignupForm(initial={k: request.POST.get(k, "") for k in ("username", "email")})
    ctx = {"form": form, "throttled": throttled}
    return render(request, "accounts/signup.html", ctx, status=429 if throttled else 200)


def _create_account(form):
    """The new account, or None when its address was taken a moment ago (a race)."""
    try:
        with transaction.atomic():
            return form.save()
    except IntegrityError:
        return None


@require_safe
def signup_sent(request):
    return render(request, "accounts/signup_sent.html")


@sensitive_post_parameters("password")
@never_cache
def login_view(request):
    if request.user.is_authenticated and request.user.is_verified():
        return HttpResponseRedirect(next_url(request))
    form = LoginForm(request, data=request.POST or None)
    throttled = request.method == "POST" and login_throttled(request)
    # A throttled attempt is refused before the password is even checked.
    if request.method == "POST" and not throttled and not form.is_valid():
        login_failed(request)
    elif request.method == "POST" and not throttled:
        user = form.get_user()
        if not twofactor.has_2fa(user):
            login(request, user)
            return HttpResponseRedirect(next_url(request))
        # The password was right; the session holds that fact, not the login,
        # until the second step proves the code. Under a new session key: a session
        # id planted in the victim's browser must not receive it.
        request.session.cycle_key()
        request.session[PENDING_LOGIN] = {
            "user_id": user.pk,
            "backend": user.backend,
            "started": time.time(),
            # Tied to the password as it is now: a change or reset before the code
            # step voids this half of a sign-in, as it signs out every session.
            "auth_hash": user.get_session_auth_hash(),
            # Listed as "code step not completed" until a code ends this attempt.
            "event": activity.record(request, user, SignInEvent.Outcome.CODE_NOT_COMPLETED).pk,
        }
        # Encoded: a next with its own query (a=1&b=2) must reach the code step whole,
        # and no text in it may add a second parameter to the code step's URL.
        query = urlencode({"next": next_url(request)})
        return redirect(f"{reverse('accounts:login_code')}?{query}")
    if throttled:
        # A bound form would validate itself as the page renders its errors: the
        # password would be checked after all, and the page would say if it was right.
        form = LoginForm(request, initial={"username": request.POST.get("username", "")})
    ctx = {
        "form": form,
        "throttled": throttled,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "accounts/login.html", ctx, status=429 if throttled else 200)


def pending_user(request):
    """The user who passed the password step (or is signed in unverified), or None."""
    if request.user.is_authenticated:
        return request.user
    pending = request.session.get(PENDING_LOGIN)
    if not pending or time.time() - pending["started"] > PENDING_LOGIN_SECONDS:
        return None
    user = User.objects.filter(pk=pending["user_id"], is_active=True).first()
    if user is None or not constant_time_compare(
        pending.get("auth_hash", ""), user.get_session_auth_hash()
    ):
        return None
    user.backend = pending["backend"]
    return user


def end_pending_event(request, user) -> None:
    """A code was typed: the attempt is listed by what the code step answered instead."""
    pending = request.session.get(PENDING_LOGIN) or {}
    if pending.get("event"):
        SignInEvent.objects.filter(pk=pending.pop("event"), user=user).delete()
        request.session[PENDING_LOGIN] = pending


@sensitive_post_parameters("code")
@never_cache
def login_code(request):
    if request.user.is_authenticated and (
        request.user.is_verified() or not twofactor.has_2fa(request.user)
    ):
        return HttpResponseRedirect(next_url(request))  # nothing left to prove
    user = pending_user(request)
    if user is None:
        request.session.pop(PENDING_LOGIN, None)
        messages.info(request, "Sign in again, please: the code step timed out.")
        return redirect("accounts:login")
    form = LoginCodeForm(request.POST or None, user=user)
    if request.method == "POST" and not form.is_valid() and "code" in form.errors:
        end_pending_event(request, user)
        activity.record(request, user, SignInEvent.Outcome.WRONG_CODE)
    if request.method == "POST" and form.is_valid():
        end_pending_event(request, user)  # the sign-in is recorded as it completes
        request.session.pop(PENDING_LOGIN, None)
        backup = form.otp_device.persistent_id.startswith("otp_static")
        if not request.user.is_authenticated:
            request.signin_factor = (
                SignInEvent.Factor.BACKUP_CODE if backup else SignInEvent.Factor.CODE
            )
            login(request, user, backend=user.backend)
        otp_login(request, form.otp_device)
        if backup:
            left = twofactor.backup_codes_left(user)
            messages.warning(request, f"You signed in with a backup code. {left} left.")
        return HttpResponseRedirect(next_url(request))
    ctx = {
        "form": form,
        "next": request.GET.get("next") or request.POST.get("next", ""),
        "has_passkey": passkeys.has_passkey(user),
        "passkey_config": passkey_config(request),
    }
    return render(request, "accounts/login_code.html", ctx)


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "You have signed out.")
    return redirect("accounts:login")


def security_page(
    request,
    *,
    regenerate_form=None,
    disable_form=None,
    disable_refused="",
    phrase_form=None,
    passkey_forms=None,
    add_passkey_form=None,
    status=200,
):
    passkey_forms = passkey_forms or {}
    rows = [
        {
            "passkey": passkey,
            "code": passkey.credential_id_sha256,
            "rename": passkey_forms.get(passkey.credential_id_sha256, {}).get("rename")
            or PasskeyNameForm(
                auto_id=f"rename_{passkey.credential_id_sha256[:12]}_%s",
                initial={"name": passkey.name},
            ),
            "remove": passkey_forms.get(passkey.credential_id_sha256, {}).get("remove")
            or RemovePasskeyForm(
                user=request.user, auto_id=f"remove_{passkey.credential_id_sha256[:12]}_%s"
            ),
        }
        for passkey in passkeys.passkeys_of(request.user)
    ]
    ctx = {
        "passkey_rows": rows,
        "can_add_passkey": passkeys.can_add_passkey(request.user),
        "add_passkey_window_minutes": passkeys.ADD_WINDOW_SECONDS // 60,
        "add_passkey_minutes": passkeys.add_window_minutes_left(request.session, request.user),
        "add_passkey_form": add_passkey_form
        or AddPasskeyForm(user=request.user, auto_id="addpasskey_%s"),
        "passkey_config": passkey_config(request),
        "phrase_form": phrase_form
        or AntiPhishingForm(
            user=request.user,
            auto_id="phrase_%s",
            initial={"phrase": request.user.anti_phishing_phrase},
        ),
        "disable_refused": disable_refused,
        "email_verified": emailverify.email_verified(request.user),
        "has_2fa": twofactor.has_2fa(request.user),
        "backup_codes_left": twofactor.backup_codes_left(request.user),
        "regenerate_form": regenerate_form or TwoFactorForm(user=request.user, auto_id="regen_%s"),
        "disable_form": disable_form
        or DisableTwoFactorForm(user=request.user, auto_id="disable_%s"),
    }
    return render(request, "accounts/security.html", ctx, status=status)


@require_safe
@login_required
def security(request):
    return security_page(request)


@login_required
@sensitive_post_parameters("code")
@never_cache
def setup_2fa(request):
    if twofactor.has_2fa(request.user):
        return redirect("accounts:security")
    hex_key = request.session.get(SETUP_KEY) or twofactor.new_totp_key()
    request.session[SETUP_KEY] = hex_key
    form = SetupCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = twofactor.confirm_totp_setup(
                user=request.user, hex_key=hex_key, code=form.cleaned_data["code"], request=request
            )
        except twofactor.CodeRejected as rejected:
            form.add_error("code", str(rejected))
        else:
            del request.session[SETUP_KEY]
            otp_login(request, device)
            _stash_backup_codes(request, twofactor.regenerate_backup_codes(request.user))
            messages.success(request, "Two-factor authentication is on.")
            return redirect("accounts:backup_codes")
    ctx = {
        "form": form,
        "qr_svg": twofactor.qr_code_svg(twofactor.provisioning_uri(request.user, hex_key)),
        "secret": twofactor.base32_secret(hex_key),
    }
    return render(request, "accounts/setup_2fa.html", ctx)


def _stash_backup_codes(request, codes: list[str]) -> None:
    showonce.put(request.session, BACKUP_CODES, " ".join(codes))


@require_safe
@login_required
@never_cache
def backup_codes(request):
    # Shown on this one page view only, not on a reload or the back button.
    opened = showonce.take(request.session, BACKUP_CODES, max_age_seconds=BACKUP_CODES_SECONDS)
    codes = opened.split() if opened else None
    if not codes:
        messages.info(request, "Backup codes are shown only once. Generate new ones if needed.")
        return redirect("accounts:security")
    return showonce.render(request, "accounts/backup_codes.html", {"codes": codes})


@require_POST
@login_required
@sensitive_post_parameters("code")
def regenerate_backup_codes(request):
    form = TwoFactorForm(request.POST, user=request.user, auto_id="regen_%s")
    if form.is_valid():
        _stash_backup_codes(request, twofactor.regenerate_backup_codes(request.user))
        return redirect("accounts:backup_codes")
    return security_page(request, regenerate_form=form, status=400)


@require_POST
@login_required
@sensitive_post_parameters("password", "code")
def disable_2fa(request):
    if password_recheck_throttled(request):
        # Refused before the password is hashed or the form bound (rendering a bound
        # form would validate it).
        refused = "Too many attempts. Wait a few minutes and try again."
        return security_page(request, disable_refused=refused, status=429)
    form = DisableTwoFactorForm(request.POST, user=request.user, auto_id="disable_%s")
    if form.is_valid():
        twofactor.disable_2fa(request.user, request=request)
        messages.warning(request, "Two-factor authentication is off.")
        return redirect("accounts:security")
    return security_page(request, disable_form=form, status=400)


@require_safe
@login_required
def assets(request):
    balances = balances_of(request.user)
    ctx = {
        "balances": balances,
        "total": total_usdt(balances),
        "transfers": transfers_of(request.user),
    }
    return render(request, "accounts/assets.html", ctx)


@login_required
@sensitive_post_parameters("old_password", "new_password1", "new_password2", "code")
@never_cache
def change_password(request):
    throttled = request.method == "POST" and password_recheck_throttled(request)
    # A throttled attempt gets an unbound form: rendering a bound one would validate it.
    data = request.POST if request.method == "POST" and not throttled else None
    form = ChangePasswordForm(request.user, data, request=request)
    if data is not None and form.is_valid():
        form.save()
        # This session stays signed in; every other session of the account holds the
        # old password's hash and is signed out at its next request.
        old_key = request.session.session_key
        update_session_auth_hash(request, form.user)
        activity.rekeyed(request, old_key)
        messages.success(request, "Your password is changed. Other sessions are signed out.")
        return redirect("accounts:security")
    status = 429 if throttled else 400 if data is not None else 200
    ctx = {"form": form, "throttled": throttled}
    return render(request, "accounts/change_password.html", ctx, status=status)


_password_reset = auth_views.PasswordResetView.as_view(
    form_class=ForgotPasswordForm,
    template_name="accounts/password_reset.html",
    email_template_name="accounts/email/password_reset.txt",
    subject_template_name="accounts/email/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_sent"),
)


@never_cache
def password_reset(request):
    """ "Forgot password?": Django's flow, throttled per address and per IP.

    Django answers a known and an unknown address alike (a redirect to the "sent"
    page); a throttled request gets the same words whatever the address.
    """
    if request.method == "POST" and password_reset_throttled(request):
        ctx = {"form": ForgotPasswordForm(), "throttled": True}
        return render(request, "accounts/password_reset.html", ctx, status=429)
    return _password_reset(request)


password_reset_sent = auth_views.PasswordResetDoneView.as_view(
    template_name="accounts/password_reset_sent.html"
)


# Django's: the link's token moves from the URL into the session at once (no Referer
# leaks it), works once, and expires (PASSWORD_RESET_TIMEOUT). Nobody is signed in by
# it: the user signs in with the new password and then the 2FA code.
class _PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}  # for the notice


password_reset_confirm = _PasswordResetConfirm.as_view(
    template_name="accounts/password_reset_confirm.html",
    form_class=LockingSetPasswordForm,
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_done.html"
)


@never_cache
def verify_email(request, token):
    """The sign-up e-mail's link: a page with a button; its POST verifies the address."""
    try:
        user = emailverify.user_for_link(token)
    except emailverify.LinkRefused as refused:
        status = 400 if str(refused) == "malformed" else 200
        return render(request, "accounts/verify_email.html", {"valid": False}, status=status)
    if request.method == "POST":
        emailverify.mark_verified(user)
        messages.success(request, "Your e-mail address is verified.")
        return redirect("accounts:security" if request.user == user else "accounts:login")
    return render(request, "accounts/verify_email.html", {"valid": True})


@require_POST
@login_required
def resend_verification(request):
    if emailverify_resend_throttled(request):
        messages.error(request, "Too many e-mails asked for. Wait an hour and try again.")
        return security_page(request, status=429)
    if not emailverify.email_verified(request.user):
        emailverify.send_verification(request, request.user)
    messages.info(request, f"We sent a new link to {request.user.email}.")
    return redirect("accounts:security")


@require_POST
@login_required
@sensitive_post_parameters("code")
def set_anti_phishing_phrase(request):
    form = AntiPhishingForm(request.POST, user=request.user, auto_id="phrase_%s")
    if form.is_valid():
        set_phrase(user=request.user, phrase=form.cleaned_data["phrase"])
        messages.success(request, "Your anti-phishing phrase is saved.")
        return redirect("accounts:security")
    return security_page(request, phrase_form=form, status=400)


@require_safe
@login_required
def account_activity(request):
    sessions = activity.active_sessions(request.user)
    ctx = {
        "sign_ins": activity.recent_sign_ins(request.user),
        "sessions": sessions,
        "current_key": request.session.session_key,
        "history_days": settings.SIGNIN_HISTORY_DAYS,
    }
    return render(request, "accounts/activity.html", ctx)


@require_POST
@login_required
def sign_out_session(request, code):
    session = get_object_or_404(UserSession, user=request.user, code=code)
    activity.sign_out(request.user, sessions=UserSession.objects.filter(pk=session.pk))
    messages.success(request, "That session is signed out.")
    return redirect("accounts:activity")


@require_POST
@login_required
def sign_out_other_sessions(request):
    live = [session.pk for session in activity.active_sessions(request.user)]
    others = UserSession.objects.filter(pk__in=live).exclude(
        session_key=request.session.session_key
    )
    count = activity.sign_out(request.user, sessions=others)
    messages.success(request, f"Signed out {count} other session{pluralize(count)}.")
    return redirect("accounts:activity")
