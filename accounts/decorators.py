from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from .twofactor import has_2fa


def twofactor_required(view):
    """The user is signed in, has 2FA on, and this session passed the 2FA step.

    A session that signed in before 2FA was turned on elsewhere is not verified:
    it is sent back through the login code step rather than trusted.
    """

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_verified():
            if has_2fa(request.user):
                messages.info(request, "Enter your authentication code to continue.")
                return redirect("accounts:login_code")
            messages.info(request, "Turn on two-factor authentication first.")
            return redirect("accounts:security")
        return view(request, *args, **kwargs)

    return wrapper


def code_confirmed(view):
    """The one guard of a page confirmed with a 2FA code (a form with a ``code`` field).

    Signed in with a verified 2FA session (``twofactor_required``); the code kept out of
    error reports (``sensitive_post_parameters``); never cached, since such pages show
    forms bound to the account's state.
    """
    return twofactor_required(sensitive_post_parameters("code")(never_cache(view)))
