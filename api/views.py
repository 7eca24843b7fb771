"""The signed REST API (/api/v1/...) and its pages on the portal (the docs, the
signature tool, the OpenAPI description).

API views declare the permission they need with ``@api_key_required``; authentication,
rate limits and usage counting all happen there, never here.
"""

import uuid
from decimal import Decimal
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django_ratelimit.core import is_ratelimited

from accounts.addressbook import ADDRESS_PATTERN
from accounts.models import Asset
from accounts.money import MAX_AMOUNT, format_amount, round_usdt
from accounts.services import total_usdt
from api import auth
from api.auth import api_key_required
from api.errors import ApiError, error_response, invalid_request
from apikeys.services import revoke_leaked_secret
from core.net import client_ip

from . import docs as api_docs
from . import leaks, openapi, services, validation
from .forms import SignatureCheckForm
from .models import Order, Withdrawal
from .validation import query_params

USDT_PLACES = 8


def api_methods(*methods):
    """Answer other methods with a JSON 405, before any authentication.

    csrf_exempt: the API authenticates each request by its signature headers, never by
    a cookie, so a cross-site form post carries no credentials to abuse (and a page
    cannot add X-API-* headers to a cross-site request without a CORS preflight,
    which this API never grants). CSRF tokens protect cookie sessions; there is none.
    """

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = error_response(
                    405,
                    "method_not_allowed",
                    f"Use {' or '.join(methods)} here.",
                    headers=auth.address_rate_headers(request),
                )
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _amount(value: Decimal | None) -> str | None:
    # Decimal strings, never floats: "0.01", not 0.01 or "1E-2".
    return None if value is None else format_amount(value)


def _order_json(order: Order) -> dict:
    return {
        "id": str(order.code),
        "symbol": order.symbol,
        "side": order.side,
        "type": order.type,
        "price": _amount(order.price),
        "quantity": _amount(order.quantity),
        "status": order.status,
        "created_at": order.created_at.isoformat(),
        "cancelled_at": order.cancelled_at.isoformat() if order.cancelled_at else None,
    }


def _withdrawal_json(withdrawal: Withdrawal) -> dict:
    return {
        "id": str(withdrawal.code),
        "asset": withdrawal.asset.symbol,
        "amount": _amount(withdrawal.amount),
        "address": withdrawal.address,
        "status": withdrawal.status,
        "created_at": withdrawal.created_at.isoformat(),
    }


# --- The API -------------------------------------------------------------------------


@api_methods("POST")
@query_params()
def leak_report(request):
    """A secret scanner's report of leaked secrets (api/leaks.py): each of ours is
    disabled at once. Signed by the scanner's ECDSA key, not by an API key.

    Unsigned, wrongly signed and oversized reports spend the address's leak-report
    failure budget (the gate's budget, with its own limit): past it, a 429 before the
    body is read or a signature checked."""
    ip = client_ip(request)
    try:
        auth.check_failure_budget(request, ip, auth.LEAK_REPORTS)
        report = _signed_leak_report(request, ip)
    except ApiError as refusal:
        return refusal.response()
    answer = [
        {
            "token_raw": finding["token"],
            "token_type": finding["type"],
            "label": "true_positive"
            if revoke_leaked_secret(
                token=finding["token"], url=finding["url"], source=finding["source"]
            )
            else "false_positive",
        }
        for finding in report
    ]
    return JsonResponse(answer, safe=False, headers={"Cache-Control": "no-store"})


def _signed_leak_report(request, ip: str) -> list[dict]:
    key_id = request.headers.get(leaks.HEADER_KEY_ID, "").strip()
    signature = request.headers.get(leaks.HEADER_SIGNATURE, "").strip()
    if not key_id or not signature:
        missing = [
            name
            for name, value in ((leaks.HEADER_KEY_ID, key_id), (leaks.HEADER_SIGNATURE, signature))
            if not value
        ]
        raise ApiError(
            401,
            "missing_credentials",
            f"Missing header(s): {', '.join(missing)}.",
            headers=auth.count_failure(request, ip, auth.LEAK_REPORTS),
        )
    try:
        body = leaks.report_body(request)
    except ApiError as refusal:
        refusal.headers = {**auth.count_failure(request, ip, auth.LEAK_REPORTS), **refusal.headers}
        raise
    if not leaks.is_signed(body, key_id, signature):
        raise ApiError(
            401,
            "invalid_signature",
            "The report's signature does not verify with that key.",
            headers=auth.count_failure(request, ip, auth.LEAK_REPORTS),
        )
    # Signed: a malformed report is the partner's bug, not an attack; it costs nothing.
    return leaks.parse_report(body)


@api_methods("GET")
@query_params()
def server_time(request):
    return JsonResponse({"server_time": auth.now_ms()}, headers={"Cache-Control": "no-store"})


@api_methods("GET")
@api_key_required("read")
@query_params()
def key_info(request):
    key = request.apikey
    return JsonResponse(
        {
            "alias": key.alias,
            "api_key": key.api_key,
            "key_type": key.key_type,
            "permissions": key.permissions,
            "ip_whitelist": key.ip_whitelist,
            "expires_at": key.expires_at.isoformat() if key.expires_at else None,
            "rate_limit_per_minute": settings.APIKEY_RATE_LIMIT_PER_MINUTE,
        }
    )


@api_methods("GET")
@api_key_required("read")
@query_params()
def account(request):
    user = request.account
    balances = list(user.balances.select_related("asset"))
    return JsonResponse(
        {
            "account": {
                "username": user.username,
                "type": "sub-account" if user.parent_id else "main",
                "parent": user.parent.username if user.parent_id else None,
            },
            "key": {"alias": request.apikey.alias, "permissions": request.apikey.permissions},
            "balances": [
                {
                    "asset": balance.asset.symbol,
                    "amount": _amount(balance.amount),
                    "usdt_value": _amount(round_usdt(balance.usdt_value, USDT_PLACES)),
                    "precision": balance.asset.precision,
                    "min_withdrawal": _amount(balance.asset.min_withdrawal),
                }
                for balance in balances
            ],
            "total_usdt": _amount(round_usdt(total_usdt(balances), USDT_PLACES)),
            # The rules an amount of each asset must obey (see /api-docs/#amounts).
            "assets": [
                {
                    "asset": asset.symbol,
                    "precision": asset.precision,
                    "min_withdrawal": _amount(asset.min_withdrawal),
                }
                for asset in Asset.objects.all()
            ],
        }
    )


@api_methods("GET", "POST")
def orders(request):
    return place_order(request) if request.method == "POST" else list_orders(request)


@api_key_required("read")
@query_params("symbol", "status", "limit")
def list_orders(request):
    params = request.params
    found = request.account.orders.all()
    if "symbol" in params:
        found = found.filter(symbol=_market_symbol(params))
    if "status" in params:
        found = found.filter(status=validation.choice(params, "status", Order.Status.values))
    limit = validation.whole_number(
        params, "limit", default=services.ORDERS_PAGE, maximum=services.ORDERS_MAX_PAGE
    )
    return JsonResponse({"orders": [_order_json(order) for order in found[:limit]]})


@api_key_required("trade")
@query_params()
def place_order(request):
    data = validation.json_object(
        request, required=("symbol", "side", "type", "quantity"), optional=("price",)
    )
    symbol = _market_symbol(data)
    side = validation.choice(data, "side", Order.Side.values)
    order_type = validation.choice(data, "type", Order.Type.values)
    # Syntax here; the market's rules (precision, bounds, order value) in the service.
    quantity = validation.positive_decimal(data, "quantity")
    price = None
    if order_type == Order.Type.LIMIT:
        if "price" not in data:
            raise invalid_request("price", "is required for a limit order.")
        price = validation.positive_decimal(data, "price")
    elif "price" in data:
        raise invalid_request("price", "must be left out of a market order.")
    try:
        order = services.place_order(
            account=request.account,
            apikey=request.apikey,
            symbol=symbol,
            side=side,
            type=order_type,
            quantity=quantity,
            price=price,
        )
    except services.AmountRefused as refused:
        raise validation.refused_amount(refused) from None
    return JsonResponse({"order": _order_json(order)}, status=201)


def _market_symbol(data: dict) -> str:
    """The "symbol" of an order or of an order listing's filter: a market here."""
    symbol = validation.text(data, "symbol", max_length=24)
    if services.base_asset(symbol) is None:
        raise invalid_request(
            "symbol", f"is not a market here; markets are {', '.join(services.market_symbols())}."
        )
    return symbol


@api_methods("DELETE")
@api_key_required("trade")
@query_params()
def cancel_order(request, order_id):
    order = _get_order_or_404(request.account, order_id)
    if order is None:
        return error_response(404, "not_found", "No order of this account has this id.")
    try:
        order = services.cancel_order(account=request.account, order=order)
    except services.OrderNotOpen:
        raise invalid_request("id", "this order is not open (cancelled already).") from None
    return JsonResponse({"order": _order_json(order)})


def _get_order_or_404(account, order_id: str) -> Order | None:
    # Another account's order and a made-up id look the same: not found.
    try:
        code = uuid.UUID(order_id)
    except ValueError:
        return None
    return account.orders.filter(code=code).first()


@api_methods("GET", "POST")
def withdrawals(request):
    return withdraw(request) if request.method == "POST" else list_withdrawals(request)


@api_key_required("read")
@query_params("limit")
def list_withdrawals(request):
    limit = validation.whole_number(
        request.params, "limit", default=services.ORDERS_PAGE, maximum=services.ORDERS_MAX_PAGE
    )
    found = request.account.withdrawals.select_related("asset")[:limit]
    return JsonResponse({"withdrawals": [_withdrawal_json(w) for w in found]})


@api_key_required("withdraw")
@query_params()
def withdraw(request):
    data = validation.json_object(request, required=("asset", "amount", "address"))
    symbol = validation.text(data, "asset", max_length=12)
    asset = Asset.objects.filter(symbol=symbol).first()
    if asset is None:
        raise invalid_request("asset", "is not an asset here.")
    amount = validation.amount(data, "amount", asset=asset, minimum=asset.min_withdrawal)
    address = validation.text(
        data,
        "address",
        max_length=128,
        pattern=ADDRESS_PATTERN,
        hint="must be 4 to 128 letters, digits and : . _ - (starting with a letter or digit).",
    )
    try:
        withdrawal = services.withdraw(
            account=request.account,
            apikey=request.apikey,
            asset=asset,
            amount=amount,
            address=address,
        )
    except services.AddressNotWhitelisted:
        return error_response(
            403,
            "address_not_whitelisted",
            "Address Management is on: withdrawals go only to addresses in the address book.",
        )
    except services.KeyNoLongerAllowed:
        return error_response(
            403, "permission_denied", "This API key may no longer withdraw: it was just changed."
        )
    except services.SecurityLocked as locked:
        seconds = max(1, int((locked.until - timezone.now()).total_seconds()))
        return error_response(
            403,
            "security_lock",
            "Withdrawals are locked for 24 hours after a password or 2FA change: "
            f"until {locked.until.isoformat()}.",
            headers={"Retry-After": str(seconds)},
        )
    except services.AmountRefused as refused:
        raise validation.refused_amount(refused) from None
    except services.InsufficientBalance as short:
        raise invalid_request(
            "amount", f"is more than the balance ({_amount(short.available)} {symbol})."
        ) from None
    return JsonResponse({"withdrawal": _withdrawal_json(withdrawal)}, status=201)


@api_methods("GET")
@query_params()
def openapi_json(request):
    """The API's OpenAPI 3.1 description (public, like the docs page)."""
    return JsonResponse(openapi.document(), json_dumps_params={"indent": 2})


@csrf_exempt  # no cookies are read or set; see api_methods
def not_found(request, rest=""):
    return error_response(
        404,
        "not_found",
        "There is no such API endpoint; see /api-docs/.",
        headers=auth.address_rate_headers(request),
    )


# --- On the portal -------------------------------------------------------------------


@require_GET
def docs(request):
    return _docs_page(request)


def _docs_page(request, *, form=None, check=None, status=200):
    base_url = request.build_absolute_uri("/").rstrip("/")
    ctx = {
        "base_url": base_url,
        "form": form or SignatureCheckForm(initial={"method": "GET", "path": "/api/v1/account"}),
        "check": check,
        "examples": api_docs.examples(base_url),
        "error_codes": api_docs.error_codes(),
        "worked": api_docs.worked_example(),
        "server_ms": auth.now_ms(),
        "default_window": settings.API_DEFAULT_RECV_WINDOW_MS,
        "max_window": settings.API_MAX_RECV_WINDOW_MS,
        "max_ahead": settings.API_MAX_CLOCK_AHEAD_MS,
        "rate_limit": settings.APIKEY_RATE_LIMIT_PER_MINUTE,
        "failure_budget": settings.API_AUTH_FAILURES_PER_MINUTE_PER_IP,
        "payload_formula": auth.PAYLOAD_FORMULA,
        # The amount rules (api/_amount_rules.html).
        "assets": Asset.objects.all(),
        "order_min_usdt": settings.ORDER_MIN_VALUE_USDT,
        "order_max_usdt": settings.ORDER_MAX_VALUE_USDT,
        "max_amount": MAX_AMOUNT,
    }
    return render(request, "api/docs.html", ctx, status=status)


@require_POST
@login_required
def test_signature(request):
    form = SignatureCheckForm(request.POST)
    if is_ratelimited(request, group="api-test-signature", key="user", rate="30/m", increment=True):
        form.add_error(None, "Too many checks in a minute: wait a moment, please.")
        return _docs_page(request, form=form, status=429)
    if not form.is_valid():
        return _docs_page(request, form=form, status=400)
    check = services.check_signature(user=request.user, **form.cleaned_data)
    if not check.key_found:
        form.add_error(
            "api_key", "None of your keys (or your sub-accounts' keys) has this API key."
        )
    return _docs_page(request, form=form, check=check)
