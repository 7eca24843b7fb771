"""The signed API's OpenAPI 3.1 description, served at /api/v1/openapi.json.

Written by hand (it carries the descriptions a bot author reads) but never trusted by
hand: tests/api/test_openapi.py checks it against the code (the URL resolver's routes,
each view's methods, permission and query parameters, every error code the code can
answer) and tests/api/test_openapi_schemathesis.py runs Schemathesis against a live
server with it. The error codes per status come from ``api.docs.error_codes()``, the
same list the /api-docs/ page shows.

``COMING`` names the parts of the contract that the API docs promise and today's code does
not keep yet (they arrive with other branches); each has an expected-failure test that
names it, so that whoever merges sees it pass and removes the mark.
"""

from django.conf import settings

from accounts.addressbook import ADDRESS_PATTERN
from accounts.money import PLAIN_DECIMAL
from apikeys.models import ApiKey

from . import docs
from .leaks import MAX_TOKENS
from .models import Order
from .services import ORDERS_MAX_PAGE, ORDERS_PAGE, SYMBOL_PATTERN

COMING: dict[str, str] = {}

# Codes the design names that the code does not answer yet (see COMING).
COMING_ERROR_CODES: set[tuple[int, str]] = set()

DECIMAL_PATTERN = f"^{PLAIN_DECIMAL.pattern}$"
LIST_LIMIT = {"default": ORDERS_PAGE, "maximum": ORDERS_MAX_PAGE}

SIGNED_STATUSES = {
    400: "A header, parameter or JSON field is malformed, unknown or out of range.",
    401: "The request is not authenticated.",
    403: "The key may not do this.",
    429: "Too many requests: wait the seconds in Retry-After.",
    503: "The cache or database is down: the request was not carried out.",
}


def error_codes_by_status() -> dict[int, list[str]]:
    """Every error code the API answers, per HTTP status (the docs page's list + COMING)."""
    by_status: dict[int, list[str]] = {}
    for status, code, *_ in docs.error_codes():
        by_status.setdefault(status, []).append(code)
    for status, code in sorted(COMING_ERROR_CODES):
        if code not in by_status.get(status, []):
            by_status.setdefault(status, []).append(code)
    return by_status


def _error_schema(status: int, codes: list[str]) -> dict:
    return {
        "type": "object",
        "description": f"The error answered with HTTP {status}.",
        "required": ["error"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string", "enum": codes},
                    "message": {"type": "string", "description": "For people; may change."},
                    "field": {
                        "type": "string",
                        "description": "The header, parameter or field at fault (400 only).",
                    },
                },
            }
        },
    }


def _json(schema_ref: str) -> dict:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_ref}"}}}


def _error(status: int, description: str, *, signed: bool = False) -> dict:
    response = {"description": description, "content": _json(f"Error{status}")}
    headers = {}
    if signed:
        for name in ("Limit", "Remaining"):
            headers[f"X-RateLimit-{name}"] = {"$ref": f"#/components/headers/X-RateLimit-{name}"}
    if status == 429:
        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    if headers:
        response["headers"] = headers
    return response


def _ok(description: str, schema_ref: str, *, signed: bool = True) -> dict:
    response = {"description": description, "content": _json(schema_ref)}
    if signed:
        response["headers"] = {
            "X-RateLimit-Limit": {"$ref": "#/components/headers/X-RateLimit-Limit"},
            "X-RateLimit-Remaining": {"$ref": "#/components/headers/X-RateLimit-Remaining"},
        }
    return response


def _signed(
    *, operation_id: str, summary: str, permission: str, ok: dict, ok_status: int = 200, **extra
) -> dict:
    responses = {str(ok_status): ok}
    for status, description in SIGNED_STATUSES.items():
        responses[str(status)] = _error(status, description, signed=True)
    responses.update(extra.pop("responses", {}))
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": f"Needs a key with the {permission.capitalize()} permission.",
        "x-permission": permission,
        "security": [
            {"ApiKey": [], "Timestamp": [], "Signature": [], "RecvWindow": []},
            {"ApiKey": [], "Timestamp": [], "Signature": []},
        ],
        "responses": dict(sorted(responses.items())),
        **extra,
    }


def _limit_parameter() -> dict:
    return {
        "name": "limit",
        "in": "query",
        "description": "How many, newest first.",
        "schema": {"type": "integer", "minimum": 1, **LIST_LIMIT},
    }


def _decimal(description: str, example: str) -> dict:
    return {
        "type": "string",
        "pattern": DECIMAL_PATTERN,
        "description": description + ' A decimal string such as "0.01", never a JSON number.',
        "examples": [example],
    }


def _schemas() -> dict:
    timestamp = {"type": "string", "format": "date-time"}
    order = {
        "type": "object",
        "additionalProperties": False,
        "required": [
            "id",
            "symbol",
            "side",
            "type",
            "price",
            "quantity",
            "status",
            "created_at",
            "cancelled_at",
        ],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "symbol": {"type": "string"},
            "side": {"type": "string", "enum": Order.Side.values},
            "type": {"type": "string", "enum": Order.Type.values},
            "price": {"type": ["string", "null"], "description": "null for a market order"},
            "quantity": {"type": "string"},
            "status": {"type": "string", "enum": Order.Status.values},
            "created_at": timestamp,
            "cancelled_at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    withdrawal = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id", "asset", "amount", "address", "status", "created_at"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "asset": {"type": "string"},
            "amount": {"type": "string"},
            "address": {"type": "string"},
            "status": {"type": "string", "enum": ["submitted"]},
            "created_at": timestamp,
        },
    }
    common_order = {
        "symbol": {
            "type": "string",
            "pattern": f"^{SYMBOL_PATTERN}$",
            "description": "A market quoted in USDT.",
            "examples": ["BTCUSDT"],
        },
        "side": {"type": "string", "enum": Order.Side.values},
        "quantity": _decimal("How much of the base asset.", "0.01"),
    }
    schemas = {
        "LeakReport": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_TOKENS,
            "items": {
                "type": "object",
                "required": ["token"],
                "properties": {
                    "token": {"type": "string", "description": "The text found."},
                    "type": {"type": "string", "description": "The scanner's pattern name."},
                    "url": {"type": "string", "description": "Where it was found."},
                    "source": {"type": "string", "description": "content, commit, issue…"},
                },
            },
        },
        "LeakLabels": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["token_raw", "token_type", "label"],
                "properties": {
                    "token_raw": {"type": "string"},
                    "token_type": {"type": "string"},
                    "label": {"type": "string", "enum": ["true_positive", "false_positive"]},
                },
            },
        },
        "ServerTime": {
            "type": "object",
            "additionalProperties": False,
            "required": ["server_time"],
            "properties": {"server_time": {"type": "integer", "description": "Unix ms."}},
        },
        "Key": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "alias",
                "api_key",
                "key_type",
                "permissions",
                "ip_whitelist",
                "expires_at",
                "rate_limit_per_minute",
            ],
            "properties": {
                "alias": {"type": "string"},
                "api_key": {"type": "string"},
                "key_type": {"type": "string", "enum": ["hmac-sha256", "ed25519"]},
                "permissions": {
                    "type": "array",
                    "items": {"type": "string", "enum": list(ApiKey.PERMISSIONS)},
                },
                "ip_whitelist": {"type": "array", "items": {"type": "string"}},
                "expires_at": {"type": ["string", "null"], "format": "date-time"},
                "rate_limit_per_minute": {"type": "integer", "minimum": 1},
            },
        },
        "Account": {
            "type": "object",
            "additionalProperties": False,
            "required": ["account", "key", "balances", "total_usdt", "assets"],
            "properties": {
                "account": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["username", "type", "parent"],
                    "properties": {
                        "username": {"type": "string"},
                        "type": {"type": "string", "enum": ["main", "sub-account"]},
                        "parent": {"type": ["string", "null"]},
                    },
                },
                "key": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["alias", "permissions"],
                    "properties": {
                        "alias": {"type": "string"},
                        "permissions": {
                            "type": "array",
                            "items": {"type": "string", "enum": list(ApiKey.PERMISSIONS)},
                        },
                    },
                },
                "balances": {"type": "array", "items": {"$ref": "#/components/schemas/Balance"}},
                "total_usdt": {"type": "string"},
                "assets": {
                    "type": "array",
                    "description": "Every asset's amount rules, held or not (see /api-docs/).",
                    "items": {"$ref": "#/components/schemas/AssetRules"},
                },
            },
        },
        "Balance": {
            "type": "object",
            "additionalProperties": False,
            "required": ["asset", "amount", "usdt_value", "precision", "min_withdrawal"],
            "properties": {
                "asset": {"type": "string"},
                "amount": {"type": "string"},
                "usdt_value": {"type": "string"},
                "precision": {
                    "type": "integer",
                    "minimum": 0,
                    "maximum": 8,
                    "description": "Decimal places this asset's amounts may have.",
                },
                "min_withdrawal": {
                    "type": "string",
                    "description": "The smallest amount one withdrawal may take.",
                },
            },
        },
        "AssetRules": {
            "type": "object",
            "additionalProperties": False,
            "required": ["asset", "precision", "min_withdrawal"],
            "properties": {
                "asset": {"type": "string"},
                "precision": {"type": "integer", "minimum": 0, "maximum": 8},
                "min_withdrawal": {"type": "string"},
            },
        },
        "OrderList": {
            "type": "object",
            "additionalProperties": False,
            "required": ["orders"],
            "properties": {
                "orders": {"type": "array", "items": {"$ref": "#/components/schemas/Order"}}
            },
        },
        "OrderResult": {
            "type": "object",
            "additionalProperties": False,
            "required": ["order"],
            "properties": {"order": {"$ref": "#/components/schemas/Order"}},
        },
        "Order": order,
        "NewOrder": {
            "oneOf": [
                {
                    "title": "Limit order",
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["symbol", "side", "type", "quantity", "price"],
                    "properties": {
                        **common_order,
                        "type": {"const": "limit"},
                        "price": _decimal("Limit price in USDT.", "65000"),
                    },
                },
                {
                    "title": "Market order (no price)",
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["symbol", "side", "type", "quantity"],
                    "properties": {**common_order, "type": {"const": "market"}},
                },
            ]
        },
        "WithdrawalList": {
            "type": "object",
            "additionalProperties": False,
            "required": ["withdrawals"],
            "properties": {
                "withdrawals": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/Withdrawal"},
                }
            },
        },
        "WithdrawalResult": {
            "type": "object",
            "additionalProperties": False,
            "required": ["withdrawal"],
            "properties": {"withdrawal": {"$ref": "#/components/schemas/Withdrawal"}},
        },
        "Withdrawal": withdrawal,
        "NewWithdrawal": {
            "type": "object",
            "additionalProperties": False,
            "required": ["asset", "amount", "address"],
            "properties": {
                "asset": {"type": "string", "minLength": 1, "maxLength": 12, "examples": ["USDT"]},
                "amount": _decimal(
                    "At most the balance, the asset's precision, at least its minimum.", "1.5"
                ),
                "address": {
                    "type": "string",
                    "pattern": f"^{ADDRESS_PATTERN}$",
                    "examples": ["TQrY8tryqsYVCYS3MFbtffiPp2ccyn4STm"],
                },
            },
        },
    }
    for status, codes in error_codes_by_status().items():
        schemas[f"Error{status}"] = _error_schema(status, codes)
    return schemas


def _security_schemes() -> dict:
    max_window = settings.API_MAX_RECV_WINDOW_MS
    payload = (
        "payload = timestamp + api_key + recv_window + METHOD + path_with_query + body "
        "(UTF-8, no separators; recv_window the X-API-RECV-WINDOW header exactly as sent, "
        "empty when absent; path_with_query and body exactly as sent). HMAC-SHA256 keys: "
        "lowercase hex of HMAC-SHA256(secret, payload). Ed25519 keys: base64 of the "
        "signature. All of X-API-KEY, X-API-TIMESTAMP and X-API-SIGNATURE are required."
    )
    return {
        "ApiKey": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-KEY",
            "description": "The key's API key (apk_…), public.",
        },
        "Timestamp": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-TIMESTAMP",
            "description": (
                "Unix time in milliseconds when signed. Accepted when server_ms - "
                f"recv_window <= timestamp < server_ms + {settings.API_MAX_CLOCK_AHEAD_MS}."
            ),
        },
        "RecvWindow": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-RECV-WINDOW",
            "description": (
                f"Optional: milliseconds, 1 to {max_window}, default "
                f"{settings.API_DEFAULT_RECV_WINDOW_MS}. Present but empty is a 400."
            ),
        },
        "Signature": {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-SIGNATURE",
            "description": payload,
        },
        # POST /api/v1/leaks only: signed by a secret-scanning partner, not an API key.
        "ScannerKeyId": {
            "type": "apiKey",
            "in": "header",
            "name": "GITHUB-PUBLIC-KEY-IDENTIFIER",
            "description": "The identifier of the scanner's ECDSA P-256 public key, one "
            "the operator configured (SECRET_SCANNING_PUBLIC_KEYS).",
        },
        "ScannerSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "GITHUB-PUBLIC-KEY-SIGNATURE",
            "description": "base64 of the DER ECDSA P-256 / SHA-256 signature of the raw body.",
        },
    }


def _headers() -> dict:
    integer = {"type": "integer", "minimum": 0}
    return {
        "X-RateLimit-Limit": {
            "description": "Requests this key may make a minute.",
            "required": True,
            "schema": integer,
        },
        "X-RateLimit-Remaining": {
            "description": "Requests left in this minute.",
            "required": True,
            "schema": integer,
        },
        "Retry-After": {"description": "Seconds to wait.", "required": True, "schema": integer},
    }


def _paths() -> dict:
    order_id = {
        "name": "id",
        "in": "path",
        "required": True,
        "description": "The order's id; another account's order is a 404 like a made-up id.",
        "schema": {"type": "string", "format": "uuid"},
    }
    not_found = {
        "description": "No order of this account has this id.",
        "content": _json("Error404"),
    }
    return {
        "/api/v1/time": {
            "get": {
                "operationId": "serverTime",
                "summary": "Server time in Unix ms, to sync a clock. Not signed.",
                "x-permission": None,
                "security": [],
                "responses": {
                    "200": _ok("The server's clock.", "ServerTime", signed=False),
                    "400": _error(400, "An unknown query parameter."),
                },
            }
        },
        "/api/v1/leaks": {
            "post": {
                "operationId": "reportLeaks",
                "summary": "A secret scanner reports leaked secrets (GitHub's partner format).",
                "description": "Not for bots: a secret-scanning partner POSTs the tokens it "
                "found in public; each that is one of our secrets disables its key at once. "
                "Signed with the partner's ECDSA key, never an API key.",
                "x-permission": None,
                "x-signed-by": "secret-scanning partner",
                "security": [{"ScannerKeyId": [], "ScannerSignature": []}],
                "requestBody": {
                    "required": True,
                    "content": _json("LeakReport"),
                },
                "responses": {
                    "200": _ok("Each token, labelled.", "LeakLabels", signed=False),
                    "400": _error(400, "Oversized, not JSON, or not an array of findings."),
                    "401": _error(401, "Unsigned, or the signature does not verify."),
                    "429": _error(
                        429,
                        "Too many unsigned, wrongly signed or oversized reports from this "
                        "address this minute (LEAK_REPORT_FAILURES_PER_MINUTE_PER_IP).",
                    ),
                },
            }
        },
        "/api/v1/key": {
            "get": _signed(
                operation_id="getKey",
                summary="What this key may do: alias, permissions, whitelist, expiry.",
                permission="read",
                ok=_ok("This key.", "Key"),
            )
        },
        "/api/v1/account": {
            "get": _signed(
                operation_id="getAccount",
                summary="The account (or sub-account), its balances and their USDT value.",
                permission="read",
                ok=_ok("The account.", "Account"),
            )
        },
        "/api/v1/orders": {
            "get": _signed(
                operation_id="listOrders",
                summary="The account's paper orders, newest first.",
                permission="read",
                ok=_ok("The orders.", "OrderList"),
                parameters=[
                    {
                        "name": "symbol",
                        "in": "query",
                        "description": "Only this market; validated as in POST.",
                        "schema": {"type": "string", "pattern": SYMBOL_PATTERN},
                    },
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"type": "string", "enum": Order.Status.values},
                    },
                    _limit_parameter(),
                ],
            ),
            "post": _signed(
                operation_id="placeOrder",
                summary="Place a paper order (recorded, not matched).",
                permission="trade",
                ok=_ok("The order, open.", "OrderResult"),
                ok_status=201,
                requestBody={"required": True, "content": _json("NewOrder")},
            ),
        },
        "/api/v1/orders/{id}": {
            "delete": _signed(
                operation_id="cancelOrder",
                summary="Cancel an open order of this account.",
                permission="trade",
                ok=_ok("The order, cancelled.", "OrderResult"),
                parameters=[order_id],
                responses={"404": not_found},
            )
        },
        "/api/v1/withdrawals": {
            "get": _signed(
                operation_id="listWithdrawals",
                summary="The account's withdrawals, newest first.",
                permission="read",
                ok=_ok("The withdrawals.", "WithdrawalList"),
                parameters=[_limit_parameter()],
            ),
            "post": _signed(
                operation_id="withdraw",
                summary="Withdraw: debits the balance at once, never below zero.",
                permission="withdraw",
                ok=_ok("The withdrawal.", "WithdrawalResult"),
                ok_status=201,
                requestBody={"required": True, "content": _json("NewWithdrawal")},
            ),
        },
    }


def document() -> dict:
    """The OpenAPI 3.1 description of /api/v1/ (a new dict each call)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "API Management portal: signed REST API",
            "version": "1",
            "description": (
                "Every endpoint but GET /api/v1/time needs a signed request (see the "
                "security schemes and /api-docs/). Errors are JSON: "
                '{"error": {"code": "...", "message": "..."}}; program against the code. '
                "Amounts are decimal strings. Unknown query parameters and JSON fields are "
                "refused with 400 invalid_request."
            ),
        },
        "externalDocs": {"description": "The API docs page", "url": "/api-docs/"},
        "paths": _paths(),
        "components": {
            "securitySchemes": _security_schemes(),
            "schemas": _schemas(),
            "headers": _headers(),
        },
    }
