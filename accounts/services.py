import unicodedata
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_ratelimit.core import get_usage, is_ratelimited

from .models import Asset, Balance, Transfer, User
from .money import total_usdt_of


class InsufficientBalance(Exception):
    def __init__(self, available: Decimal):
        super().__init__(f"{available}")
        self.available = available


def total_usdt(balances: Iterable[Balance]) -> Decimal:
    """The exact value of ``balances`` in USDT; round it once, for display only.

    The one total every page shows (/assets/, the sub-accounts, the review queue). The
    balances should come with their asset (``select_related("asset")``), so that
    valuing a whole portfolio costs the one query that fetched it.
    """
    return total_usdt_of(balance.usdt_value for balance in balances)


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


def signup_attempt_mail_throttled(request, email: str) -> bool:
    """Count a "someone tried to sign up with your address" e-mail to ``email``; True
    when that address has had enough today.

    Anyone can sign up with anyone's address, as often as the IP throttle lets them:
    unthrottled, sign-up would be a way to fill someone's inbox with our e-mails.
    """
    address = normalised_email(email)
    return is_ratelimited(
        request,
        group="signup-attempt-email",
        key=lambda _group, _request: address,
        rate=settings.SIGNUP_ATTEMPT_EMAIL_RATE,
        increment=True,
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


def normalised_email(raw: str) -> str:
    """The form an e-mail address is counted under: trimmed, NFKC, case-folded."""
    return throttle_username(raw)


def password_reset_throttled(request) -> bool:
    """Count this "forgot password" request; True when its address or client IP has
    had enough.

    Each request may send an e-mail: unthrottled it is a way to flood someone's inbox,
    or to make our mail server look like a spammer's. The same answer whether or not
    the address has an account: the throttle counts any address.
    """
    email = normalised_email(request.POST.get("email") or "")
    # An empty field sends nothing and is a form error: no address to protect.
    by_email = bool(email) and is_ratelimited(
        request,
        group="password-reset-email",
        key=lambda _group, _request: email,
        rate=settings.PASSWORD_RESET_RATE_PER_EMAIL,
        increment=True,
    )
    by_ip = is_ratelimited(
        request,
        group="password-reset-ip",
        key="ip",
        rate=settings.PASSWORD_RESET_RATE_PER_IP,
        increment=True,
    )
    return by_email or by_ip


def verification_resend_throttled(request) -> bool:
    """Count this "resend the verification link"; True when the user has had enough."""
    return is_ratelimited(
        request,
        group="email-verification-resend",
        key=lambda _group, request: str(request.user.pk),
        rate=settings.EMAIL_VERIFICATION_RESEND_RATE,
        increment=True,
    )


def _login_username_usage(request, *, increment: bool) -> dict | None:
    username = throttle_username(request.POST.get("username") or "")
    return get_usage(
        request,
        group="login-username",
        key=lambda _group, _request: username,
        rate=settings.LOGIN_RATE_PER_USERNAME,
        increment=increment,
    )


def login_failed(request) -> None:
    """Count a failed sign-in against its username (see ``login_throttled``)."""
    _login_username_usage(request, increment=True)


def login_throttled(request) -> bool:
    """Count this sign-in attempt against its client IP; True when the IP has had
    enough, or the username has failed too often.

    A username counts its failures only (``login_failed``): its owner signing in from
    several places must not lock themselves out. The portal's login is the admin's too.
    """
    usage = _login_username_usage(request, increment=False)
    by_user = usage is not None and usage["count"] >= usage["limit"]
    by_ip = is_ratelimited(
        request, group="login-ip", key="ip", rate=settings.LOGIN_RATE_PER_IP, increment=True
    )
    return by_user or by_ip


def set_phrase(*, user, phrase: str) -> None:
    """Save the anti-phishing phrase every e-mail shows (empty: none)."""
    User.objects.filter(pk=user.pk).update(anti_phishing_phrase=phrase)
    user.anti_phishing_phrase = phrase


def available(user, asset: Asset) -> Decimal:
    balance = Balance.objects.filter(user=user, asset=asset).first()
    return balance.amount if balance else Decimal(0)


def lock_balances(*, users, asset: Asset) -> dict[int, Balance]:
    """The users' balances of ``asset``, created if missing, locked in id order.

    Always the same order, so two transactions that each need the same two rows (two
    transfers crossing) queue up instead of deadlocking. Call inside a transaction.
    """
    users = sorted(users, key=lambda user: user.pk)
    Balance.objects.bulk_create(
        [Balance(user=user, asset=asset) for user in users], ignore_conflicts=True
    )
    rows = Balance.objects.select_for_update().filter(user__in=users, asset=asset).order_by("pk")
    return {balance.user_id: balance for balance in rows}


def debit(balance: Balance, amount: Decimal) -> None:
    """Take ``amount`` from a locked ``balance``, in exact Decimal arithmetic."""
    if balance.amount < amount:
        raise InsufficientBalance(balance.amount)
    balance.amount -= amount
    balance.save(update_fields=["amount"])


def credit(balance: Balance, amount: Decimal) -> None:
    balance.amount += amount
    balance.save(update_fields=["amount"])


@transaction.atomic
def move_funds(
    *,
    source: User,
    target: User,
    asset: Asset,
    amount: Decimal,
    actor: User,
    now: datetime | None = None,
) -> Transfer:
    """Move ``amount`` of ``asset`` from ``source`` to ``target`` and record it, or raise
    InsufficientBalance: both balances change in this one transaction, under locks."""
    balances = lock_balances(users=[source, target], asset=asset)
    debit(balances[source.pk], amount)
    credit(balances[target.pk], amount)
    return Transfer.objects.create(
        from_user=source,
        to_user=target,
        asset=asset,
        amount=amount,
        created_by=actor,
        created_at=now or timezone.now(),
    )


def transfers_of(user, *, limit: int = 50) -> list[Transfer]:
    """The latest transfers into or out of ``user``'s account."""
    found = Transfer.objects.filter(Q(from_user=user) | Q(to_user=user))
    return list(found.select_related("from_user", "to_user", "asset", "created_by")[:limit])
