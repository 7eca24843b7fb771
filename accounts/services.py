import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from django.conf import settings
from django_ratelimit.core import is_ratelimited

from .models import Balance


def total_usdt(balances: Iterable[Balance]) -> Decimal:
    """The value of ``balances`` in USDT, in Decimal arithmetic (never floats).

    The balances should come with their asset (``select_related("asset")``), so that
    valuing a whole portfolio costs the one query that fetched it.
    """
    return sum((balance.usdt_value for balance in balances), Decimal(0))


def balances_of(user) -> list[Balance]:
    return list(user.balances.select_related("asset"))


def balance_usdt(user) -> Decimal:
    """The account's total balance in USDT: one query."""
    return total_usdt(balances_of(user))


def throttle_username(raw: str) -> str:
    """The name a throttle counts ``raw`` under: every spelling that signs in as one
    account counts as one.

    Django NFKC-normalises a username before it looks it up, so fullwidth or
    mathematical-bold letters reach the same account. Case-folded after that (and
    normalised again, since folding can undo it): usernames are unique whatever their
    case, so "VICTIM1" is nobody else's name.
    """
    folded = unicodedata.normalize("NFKC", raw).casefold()
    return unicodedata.normalize("NFKC", folded).strip()


def signup_throttled(request) -> bool:
    """Count this sign-up attempt; True when its client IP has made too many.

    Sign-up is anonymous: unthrottled it floods the logs and tells which names exist.
    """
    return is_ratelimited(
        request, group="signup-ip", key="ip", rate=settings.SIGNUP_RATE_PER_IP, increment=True
    )


def password_recheck_throttled(request) -> bool:
    """Count this re-check of the signed-in user's password; True when the user or the
    client IP has had enough.

    Every form that asks a signed-in user for their password again calls this before it
    checks anything: a session must not become an unlimited password oracle, nor a way
    to make the server run Argon2 at will.
    """
    by_user = is_ratelimited(
        request,
        group="password-recheck-user",
        key=lambda _group, request: str(request.user.pk),
        rate=settings.PASSWORD_RECHECK_RATE_PER_USER,
        increment=True,
    )
    by_ip = is_ratelimited(
        request,
        group="password-recheck-ip",
        key="ip",
        rate=settings.PASSWORD_RECHECK_RATE_PER_IP,
        increment=True,
    )
    return by_user or by_ip


def login_throttled(request) -> bool:
    """Count this sign-in attempt; True when its username or client IP has had enough.

    Used by the portal's login and the admin's: both take a password.
    """
    username = throttle_username(request.POST.get("username") or "")
    by_user = is_ratelimited(
        request,
        group="login-username",
        key=lambda _group, _request: username,
        rate=settings.LOGIN_RATE_PER_USERNAME,
        increment=True,
    )
    by_ip = is_ratelimited(
        request, group="login-ip", key="ip", rate=settings.LOGIN_RATE_PER_IP, increment=True
    )
    return by_user or by_ip
