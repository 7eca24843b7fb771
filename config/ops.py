"""The operator's side of every request: probes, request ids, and a 503 for an outage.

/healthz and /readyz are plain views rather than django-health-check: two checks
(database, cache) with a short timeout are a dozen lines, and the library's plugins,
URL tree and HTML page would be more to configure and keep up than the checks.
"""

import contextvars
import re
import sys
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.defaults import server_error as django_server_error
from redis.exceptions import RedisError

from api import errors
from config.logs import PROBE_PATHS

# The id of the request being served, for every log line written while serving it.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# What a proxy may hand us as a request id: nginx's $request_id is 32 hex digits.
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# The outages a worker can't fix by itself: the answer is "try again", not a bug report.
# Not every DatabaseError: a DataError or an IntegrityError is a bug of ours, a 500.
OUTAGES = (RedisError, OperationalError, InterfaceError)


class RequestIdMiddleware:
    """Give each request an id, put it on every log line and send it back.

    An X-Request-ID header is taken only from our trusted proxy (TRUSTED_PROXY_COUNT
    > 0, which must then set or overwrite it): a client could otherwise write
    anything, a newline included, into our logs, or pass another request's id.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        if settings.TRUSTED_PROXY_COUNT > 0 and REQUEST_ID.fullmatch(given):
            request_id = given
        else:
            request_id = uuid.uuid4().hex
        request.request_id = request_id
        # Kept until request_finished (forget_request_id): Django logs the response's
        # status after the middleware has returned.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class ProbeMiddleware:
    """Answer the load balancer's probes before anything else reads the request.

    A balancer probes a backend by its address (Host: 10.0.0.5:8000), over plain HTTP,
    without cookies: the host check, sessions and the 2FA gate would each turn a healthy
    answer into a 400 or a login page (the HTTPS redirect skips them through
    SECURE_REDIRECT_EXEMPT). It sits inside the middlewares that add security headers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        probe = PROBES.get(request.path_info)
        return probe(request) if probe else self.get_response(request)


def forget_request_id(**kwargs):
    request_id_var.set("-")


@never_cache
@require_safe
def healthz(request):
    """Liveness: the process answers. Touches nothing else, so it can't flap."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """Readiness: the database and the cache answer (each within its connect timeout)."""
    checks = {"database": _check(_database), "cache": _check(_cache)}
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
    )


PROBES = dict(zip(PROBE_PATHS, (healthz, readyz), strict=True))


def _check(probe) -> str:
    try:
        probe()
    except Exception as exc:  # noqa: BLE001  (any failure means "not ready")
        return f"error: {type(exc).__name__}"
    return "ok"


def _database():
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _cache():
    # A key per probe: two probes at once must not read each other's token.
    token = uuid.uuid4().hex
    cache.set(f"readyz:{token}", token, 10)
    if cache.get(f"readyz:{token}") != token:
        raise RuntimeError("the cache did not keep a value")
    cache.delete(f"readyz:{token}")


def server_error(request):
    """handler500: a database or cache outage is a 503 "try again", not a 500.

    Django calls this inside its ``except`` block, so the exception is at hand.
    """
    exc = sys.exc_info()[1]
    if not isinstance(exc, OUTAGES):
        return django_server_error(request)
    if request.path.startswith("/api/"):
        return errors.service_unavailable()
    # No request context: the context processors would ask the database or the session
    # (the cache) for the user, the very things that are down.
    response = HttpResponse(loader.get_template("503.html").render(), status=503)
    response["Retry-After"] = str(errors.OUTAGE_RETRY_AFTER_SECONDS)
    return response
