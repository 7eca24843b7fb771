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
