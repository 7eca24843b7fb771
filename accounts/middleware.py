from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control

from .twofactor import has_2fa

# Pages a half-signed-in session may still reach: the code step itself and the way out.
OPEN_TO_UNVERIFIED = {
    "accounts:login_code",
    "accounts:logout",
    "accounts:passkey_auth_begin",
    "accounts:passkey_auth_complete",
    "accounts:passkey_jsi18n",
}


class VerifiedSessionMiddleware:
    """Send a session that holds a password login but no 2FA proof to the code step.

    Such a session exists when it signed in before 2FA was turned on (elsewhere, or
    by someone else with the password): from that moment it must show a code like any
    new login before it sees a single page. The signed API and the admin have gates of
    their own (signatures; OTPAdminSite).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path.startswith(("/api/v1/", "/admin/")):
            return None
        if request.resolver_match.view_name in OPEN_TO_UNVERIFIED:
            return None
        user = request.user
        if user.is_authenticated and not user.is_verified() and has_2fa(user):
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('accounts:login_code')}?{query}")
        return None


class PrivatePagesMiddleware:
    """Every response to a signed-in user: ``Cache-Control: no-store, private``.

    Balances, keys, the audit trail and the security settings are one person's: no
    shared proxy may keep them, and no browser may show them again from its cache
    after a sign-out (back button, a shared computer). One rule for every page, so a
    new page can't forget it. Directives a view set (never_cache's) are kept.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
