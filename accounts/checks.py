from django.conf import settings
from django.core.checks import Warning, register


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
            id="accounts.W001",
        )
    ]
