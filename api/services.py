"""What the REST API does once a request is authenticated and validated.

Paper orders are recorded, never matched. Withdrawals debit the balance in the same
transaction that records them, under a row lock, in exact Decimal arithmetic (amounts
are integer units in the database: accounts/money.py), so parallel withdrawals can never
take a balance below zero (the balance table's check constraint is the last line of
defence).
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.addressbook import address_management_on, in_address_book
from accounts.models import Asset, Balance, User
from accounts.money import AmountRefused, check_amount, format_amount, usdt_value
from accounts.securitylock import security_lock_until
from accounts.services import InsufficientBalance, debit
from api import auth
from apikeys.models import ApiKey

from .errors import ApiError
from .models import Order, Withdrawal

QUOTE_ASSET = "USDT"
SYMBOL_PATTERN = rf"[A-Z0-9]{{2,12}}{QUOTE_ASSET}"  # a market: its base asset, then USDT
ORDERS_PAGE, ORDERS_MAX_PAGE = 50, 500  # how many orders a list answers


class AddressNotWhitelisted(Exception):
    """Address Management is on and the address is not in the account's book."""


class KeyNoLongerAllowed(Exception):
    """The key was deleted or lost Withdraw, or its account or main account was frozen."""


class SecurityLocked(Exception):
    """The account (or its main account) is under the security lock until ``until``."""

    def __init__(self, until: datetime):
        super().__init__(until.isoformat())
        self.until = until


class OrderNotOpen(Exception):
    """The order was cancelled before."""


def base_asset(symbol: str) -> Asset | None:
    """The asset traded in ``symbol`` (BTC in BTCUSDT); markets are quoted in USDT."""
    if not re.fullmatch(SYMBOL_PATTERN, symbol):
        return None
    base = symbol.removesuffix(QUOTE_ASSET)
    if base == QUOTE_ASSET:
        return None
    return Asset.objects.filter(symbol=base).first()


def market_symbols() -> list[str]:
    return [
        f"{asset}{QUOTE_ASSET}"
        for asset in Asset.objects.exclude(symbol=QUOTE_ASSET).values_list("symbol", flat=True)
    ]


def check_order(*, base: Asset, type: str, quantity: Decimal, price: Decimal | None) -> None:
    """AmountRefused unless the order's amounts obey the market's rules.

    The quantity has the base asset's precision, a limit price USDT's; the order's value
    (at its limit price, or a market order's at the asset's current price) lies between
    the minimum and maximum order value in USDT.
    """
    quote = Asset.objects.get(symbol=QUOTE_ASSET)
    check_amount(quantity, asset=base, field="quantity")
    if type == "limit":
        check_amount(price, asset=quote, field="price")
    value = usdt_value(quantity, price if type == "limit" else base.usdt_price)
    low, high = settings.ORDER_MIN_VALUE_USDT, settings.ORDER_MAX_VALUE_USDT
    if not low <= value <= high:
        raise AmountRefused(
            "quantity",
            f"gives an order worth {format_amount(value)} USDT; an order is worth "
            f"{format_amount(low)} to {format_amount(high)} USDT (price × quantity).",
        )


@transaction.atomic
def place_order(
    *,
    account,
    apikey: ApiKey,
    symbol: str,
    side: str,
    type: str,
    quantity: Decimal,
    price: Decimal | None = None,
    now: datetime | None = None,
) -> Order:
    """Record a paper order, or AmountRefused. The caller has validated symbol, side and
    type."""
    check_order(base=base_asset(symbol), type=type, quantity=quantity, price=price)
    return Order.objects.create(
        user=account,
        apikey=apikey,
        symbol=symbol,
        side=side,
        type=type,
        price=price if type == Order.Type.LIMIT else None,
        quantity=quantity,
        created_at=now or timezone.now(),
    )


@transaction.atomic
def cancel_order(*, account, order: Order, now: datetime | None = None) -> Order:
    """Cancel one of ``account``'s open orders; OrderNotOpen if it is cancelled already."""
    # Locked, so that two cancels racing each other give one success and one refusal.
    order = Order.objects.select_for_update().get(pk=order.pk, user=account)
    if order.status != Order.Status.OPEN:
        raise OrderNotOpen
    order.status = Order.Status.CANCELLED
    order.cancelled_at = now or timezone.now()
    order.save(update_fields=["status", "cancelled_at"])
    return order


@transaction.atomic
def withdraw(
    *,
    account,
    apikey: ApiKey,
    asset: Asset,
    amount: Decimal,
    address: str,
    now: datetime | None = None,
) -> Withdrawal:
    """Debit ``amount`` of ``asset`` and record the withdrawal, or refuse.

    The balance row is locked (SELECT ... FOR UPDATE) before it is read, so a second
    withdrawal waits for the first to commit and then sees the lower balance. The amount
    rules are asked again here, with the asset as it is now (an operator may have just
    changed its precision or minimum).
    """
    asset = Asset.objects.get(pk=asset.pk)
    check_amount(amount, asset=asset, minimum=asset.min_withdrawal)
    # A sub-account has no Security page of its own: its parent's book and switch rule.
    book_owner = account.parent or account
    if address_management_on(book_owner) and not in_address_book(book_owner, asset, address):
        raise AddressNotWhitelisted
    # Authentication checked the key before this transaction began; a delete, a lost
    # Withdraw permission or a freeze (of the account or its main account) that
    # committed since must still stop the debit, and a freeze that comes later waits.
    # FOR NO KEY UPDATE: it waits for and blocks those writes, but not an order's foreign
    # keys, which share-lock the same rows at COMMIT (FOR UPDATE deadlocked with them).
    still_allowed = ApiKey.objects.select_for_update(no_key=True).filter(
        pk=apikey.pk, can_withdraw=True
    )
    locked = User.objects.select_for_update(no_key=True).filter(
        pk__in=[account.pk, account.parent_id]
    )
    owners = {user.pk: user for user in locked.order_by("pk")}
    owner = owners.get(account.pk)
    if owner is not None:
        owner.parent = owners.get(account.parent_id)
    if owner is None or not still_allowed.exists() or auth.owner_refusal(owner) is not None:
        raise KeyNoLongerAllowed
    if until := security_lock_until(owner, now=now):
        raise SecurityLocked(until)
    balance = Balance.objects.select_for_update().filter(user=account, asset=asset).first()
    if balance is None:
        raise InsufficientBalance(Decimal(0))
    debit(balance, amount)
    return Withdrawal.objects.create(
        user=account,
        apikey=apikey,
        asset=asset,
        amount=amount,
        address=address,
        created_at=now or timezone.now(),
    )


# --- "Test a signature" on the docs page ---------------------------------------------


@dataclass
class SignatureCheck:
    """What the docs page's tool found out about a signature a trader pasted."""

    payload: str = ""
    parts: list = field(default_factory=list)
    key_found: bool = False
    key_type: str = ""
    matches: bool | None = None
    server_ms: int = 0
    offset_ms: int | None = None
    recv_window: int = 0
    in_window: bool | None = None
    hints: list = field(default_factory=list)

    @property
    def distance_ms(self) -> int:
        return abs(self.offset_ms or 0)


def check_signature(
    *,
    user,
    api_key: str,
    method: str,
    path: str,
    body: str,
    timestamp: str,
    signature: str,
    recv_window: str = "",
) -> SignatureCheck:
    """Answer the two questions support hears most: is my payload right, is my clock?

    The key must belong to ``user`` or one of its sub-accounts. The payload, the
    timestamp's form, the window and the signature check are the very functions
    authentication uses (api/auth.py). The tool says whether a signature matches,
    never what the right signature would be: that would let anyone holding a session
    sign requests without the secret.
    """
    check = SignatureCheck(server_ms=auth.now_ms())
    typed_method, method = method, method.strip().upper()  # as the server always has it
    api_key = api_key.strip()
    check.recv_window = auth.recv_window_ms(recv_window or None)  # the form checked it
    parts = {
        "timestamp": timestamp,
        "api_key": api_key,
        "recv_window": recv_window,
        "method": method,
        "path_with_query": path,
        "body": body.encode(),
    }
    payload = auth.signature_payload(**parts)
    check.parts = [
        (name, value.decode() if isinstance(value, bytes) else value)
        for name, value in parts.items()
    ]
    check.payload = payload.decode()
    try:
        ts = auth.parse_timestamp(timestamp)
    except ApiError:
        check.hints.append("The timestamp must be Unix time in milliseconds, digits only.")
    else:
        check.offset_ms = ts - check.server_ms
        check.in_window = auth.in_window(ts, check.recv_window, check.server_ms)
        if auth.looks_like_seconds(ts):
            check.hints.append("The timestamp looks like seconds: send milliseconds.")

    apikey = (
        ApiKey.objects.visible_to(user)
        .filter(api_key=api_key)
        .only("id", "key_type", "secret_encrypted", "public_key")
        .first()
    )
    if apikey is not None:
        check.key_found = True
        check.key_type = apikey.get_key_type_display()
        check.matches = auth.verify_signature(apikey, payload, signature.strip())
        if not check.matches:
            check.hints.extend(
                _signature_hints(apikey, typed_method, path, body, signature.strip())
            )
    return check


def _signature_hints(apikey, method, path, body, signature) -> list[str]:
    hints = []
    if method != method.upper():
        hints.append("The server puts the method in capitals (GET, POST, DELETE): sign it so.")
    if path.startswith("http"):
        hints.append("Sign the path only (/api/v1/...), without the scheme and host.")
    elif not path.startswith("/"):
        hints.append("The path starts with a slash: /api/v1/...")
    if body != body.strip():
        hints.append("The body starts or ends with white space: sign the exact bytes you send.")
    if apikey.key_type == ApiKey.KeyType.HMAC:
        if re.fullmatch(r"[0-9A-F]{64}", signature):
            hints.append("Send the HMAC in lowercase hex.")
        elif not re.fullmatch(r"[0-9a-f]{64}", signature):
            hints.append("An HMAC-SHA256 signature is 64 lowercase hex characters.")
    elif re.fullmatch(r"[0-9a-fA-F]{128}", signature):
        hints.append("Ed25519 signatures are sent in base64, not hex.")
    return hints
