from .models import Application


def api_trading_approved(user) -> bool:
    """Whether ``user`` may create API keys: its own approval, or its parent's."""
    owner_id = user.parent_id or user.pk
    return Application.objects.filter(user_id=owner_id, status=Application.Status.APPROVED).exists()


def application_panel(user) -> dict:
    """What the API Management page shows about the account's API-trading application.

    Context for ``reviews/_application_panel.html``; ``approved`` unlocks the keys.
    """
    latest = Application.objects.filter(user_id=user.parent_id or user.pk).first()
    return {
        "application": latest,
        "approved": latest is not None and latest.status == Application.Status.APPROVED,
    }
