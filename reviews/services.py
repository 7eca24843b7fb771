from .models import Application


def api_trading_approved(user) -> bool:
    """Whether ``user`` may create API keys: its own approval, or its parent's."""
    owner_id = user.parent_id or user.pk
    return Application.objects.filter(user_id=owner_id, status=Application.Status.APPROVED).exists()
