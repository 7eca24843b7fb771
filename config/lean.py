"""The signed JSON API's lean middleware stack: portal middlewares that skip ``/api/``.

A bot's signed request carries no cookie and gets JSON: sessions, CSRF, the signed-in
user, OTP, the verified-session and private-pages rules, messages and django-csp's
per-request policy do nothing for it but cost CPU on every request (issue 13). Each
portal middleware in ``settings.MIDDLEWARE`` is named here as a subclass of itself
(so Django's own checks, which look for subclasses, still find it) that steps aside
for API paths: its ``__call__`` passes the request straight on, and its hooks
(``process_view``, ``process_exception``, ``process_template_response``, which Django
collects from every middleware when the handler is built) answer None. A sub-chain
of middlewares per path would need its own handler; this is one list for both, and
the test client runs it exactly as gunicorn does.

What API answers keep, from the middlewares that stay for every path: the request id
(``config.ops``), the probes, SecurityMiddleware (nosniff, HSTS and the HTTPS redirect
in production, Referrer-Policy, Cross-Origin-Opener-Policy), X-Frame-Options DENY, the
JSON 404/405. In place of the portal's CSP, a constant policy that lets a JSON answer
load nothing and be framed by nobody: the API's responses are never documents. In
place of the private-pages rule (which needs the session's user): every API answer is
``no-store, private``. Django's CSRF deploy check wants the middleware by its dotted
name; ``config/checks.py`` asks for the subclass instead (``ops.W003``).
``/api-docs/`` is a portal page and keeps the full stack.
"""

from csp.middleware import CSPMiddleware as _CSP
from django.contrib.auth.middleware import AuthenticationMiddleware as _Auth
from django.contrib.messages.middleware import MessageMiddleware as _Messages
from django.contrib.sessions.middleware import SessionMiddleware as _Sessions
from django.middleware.csrf import CsrfViewMiddleware as _Csrf
from django.utils.cache import patch_cache_control
from django_otp.middleware import OTPMiddleware as _OTP

from accounts.middleware import PrivatePagesMiddleware as _Private
from accounts.middleware import VerifiedSessionMiddleware as _Verified

API_PREFIX = "/api/"
API_CSP = (
    "default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'none'"
)
HOOKS = ("process_view", "process_exception", "process_template_response")


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


def portal_only(middleware: type) -> type:
    """``middleware`` as a subclass of itself that lets API requests pass untouched."""

    def __call__(self, request):
        if is_api(request):
            return self.get_response(request)
        return middleware.__call__(self, request)

    namespace = {"__call__": __call__, "__module__": __name__, "__doc__": middleware.__doc__}
    for hook in HOOKS:
        if hasattr(middleware, hook):
            namespace[hook] = _skipping(getattr(middleware, hook))
    return type(middleware.__name__, (middleware,), namespace)


def _skipping(hook):
    def skipping(self, request, *args, **kwargs):
        return None if is_api(request) else hook(self, request, *args, **kwargs)

    return skipping


class CSPMiddleware(portal_only(_CSP)):
    def __call__(self, request):
        if not is_api(request):
            return _CSP.__call__(self, request)
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", API_CSP)
        return response


SessionMiddleware = portal_only(_Sessions)
CsrfViewMiddleware = portal_only(_Csrf)
AuthenticationMiddleware = portal_only(_Auth)
OTPMiddleware = portal_only(_OTP)
VerifiedSessionMiddleware = portal_only(_Verified)


class PrivatePagesMiddleware(portal_only(_Private)):
    def __call__(self, request):
        if not is_api(request):
            return _Private.__call__(self, request)
        # Without the session the API can't tell a signed-in browser; no answer of it is
        # for a shared cache anyway (each is one key's), so every one is private.
        response = self.get_response(request)
        patch_cache_control(response, no_store=True, private=True)
        return response


MessageMiddleware = portal_only(_Messages)
