"""The API-trading panel on the API Management page: what it shows about the account's
application, and the form to apply when it may (forms build on services, so the panel
that needs both lives here)."""

from datetime import date

from django.conf import settings

from accounts.emailverify import UNVERIFIED_MESSAGE
from accounts.services import balance_usdt

from . import services
from .forms import SubmitApplicationForm


def application_panel(user, *, form=None, today: date | None = None) -> dict:
    """What the API Management page shows about the account's API-trading application.

    Context for ``reviews/_application_panel.html``; ``approved`` unlocks the keys.
    ``form`` is a bound SubmitApplicationForm to show with its errors.
    """
    latest = services.latest_application(user)
    approved = services.approves(latest)
    refusal = services.refusal_reason(user, latest, today=today)
    panel = {
        "application": latest,
        "approved": approved,
        "state": "subaccount" if user.is_subaccount else (latest.status if latest else "none"),
        "can_apply": refusal is None,
        "refusal": refusal,
        "unverified_email": refusal == UNVERIFIED_MESSAGE,
        "reapply_on": services.reapply_on(latest) if latest else None,
        "threshold_usdt": settings.REVIEW_FAST_TRACK_THRESHOLD_USDT,
        "fast_track_days": settings.REVIEW_FAST_TRACK_BUSINESS_DAYS,
        "standard_days": settings.REVIEW_STANDARD_BUSINESS_DAYS,
        "cooldown_days": settings.REVIEW_REAPPLY_COOLDOWN_DAYS,
    }
    if panel["can_apply"]:
        balance = balance_usdt(user)
        fast_track = balance >= panel["threshold_usdt"]
        panel.update(
            balance_usdt=balance,
            fast_track=fast_track,
            review_days=services.review_days(fast_track=fast_track),
            form=form or SubmitApplicationForm(user=user),
        )
    return panel
