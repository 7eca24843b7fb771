from django.conf import settings
from django.core.checks import Warning, register


@register(deploy=True)
def production_email_check(app_configs, **kwargs):
    """Without EMAIL_HOST the 2FA notices, key notices and review decisions are printed
    to the server's console: in production nobody would receive them."""
    if settings.DEBUG or not settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        return []
    return [
        Warning(
            "E-mail goes to the console: users receive no 2FA, key or review notices.",
            hint="Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD).",
            id="ops.W001",
        )
    ]


@register(deploy=True)
def shared_cache_check(app_configs, **kwargs):
    """Rate limits, replay guards and login throttles live in the cache: in production
    every worker must share one, or each process keeps its own counts."""
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or not backend.endswith("LocMemCache"):
        return []
    return [
        Warning(
            "The cache is local memory: rate limits and replay protection hold per process.",
            hint="Set REDIS_URL so that every worker and host shares one cache.",
            # Its first id, kept: operators may have silenced it by this name.
            id="accounts.W001",
        )
    ]


@register(deploy=True)
def csrf_middleware_check(app_configs, **kwargs):
    """Django's security.W003 looks for CsrfViewMiddleware by its dotted name; the portal
    runs it as ``config.lean.CsrfViewMiddleware`` (skipped on the signed JSON API only),
    so W003 is silenced in settings and this check asks for a subclass instead."""
    from django.middleware.csrf import CsrfViewMiddleware
    from django.utils.module_loading import import_string

    if any(issubclass(import_string(path), CsrfViewMiddleware) for path in settings.MIDDLEWARE):
        return []
    return [
        Warning(
            "No CSRF middleware in MIDDLEWARE: the portal's forms are unprotected.",
            hint="Keep config.lean.CsrfViewMiddleware in MIDDLEWARE.",
            id="ops.W003",
        )
    ]
