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
