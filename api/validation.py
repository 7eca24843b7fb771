"""Strict parsing of what bots send: JSON bodies and query strings.

Every refusal is a 400 ``invalid_request`` that names the field. Being strict here is
kind to bot authors: an unknown field is usually a typo ("qty" for "quantity") that a
lenient API would silently ignore. Amounts are decimal strings, never JSON numbers,
which most JSON libraries turn into binary floats.
"""

import json
import re
from decimal import Decimal
from functools import wraps

from accounts.money import PLAIN_DECIMAL_RULE, AmountRefused, check_amount, parse_plain_decimal
from api.errors import ApiError, invalid_request


class _DuplicateField(ValueError):
    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


def _refuse_duplicates(pairs):
    # {"amount": "1", "amount": "1000"}: parsers disagree on which one wins.
    data = {}
    for name, value in pairs:
        if name in data:
            raise _DuplicateField(name)
        data[name] = value
    return data


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


class _NumberTooLong(ValueError):
    pass


def _bounded_int(digits: str) -> int:
    # Python refuses to read integers over 4300 digits with a message about its own
    # settings; nothing here needs more than a few.
    if len(digits) > 40:
        raise _NumberTooLong
    return int(digits)


def refuse_unstorable_text(data) -> None:
    """Refuse a parsed JSON body holding text no column can store."""
    try:
        texts = list(_strings(data))
    except RecursionError:
        raise invalid_request("body", "is nested too deeply.") from None
    for text in texts:
        # "\ud800" is a valid JSON escape but no character: no column, log or e-mail
        # can hold it; nor can PostgreSQL hold a NUL in any text, not even to compare
        # with one. Refused here, once, for every field of every endpoint.
        if "\x00" in text:
            raise invalid_request("body", "has a NUL character (\\u0000).")
        try:
            text.encode()
        except UnicodeEncodeError:
            raise invalid_request(
                "body", "has a lone surrogate (\\ud800-\\udfff), which is not a character."
            ) from None


def _strings(value):
    """Every string in a parsed JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def json_object(request, *, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict:
    """The request body as a JSON object with exactly the fields allowed."""
    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid_request("body", "must be UTF-8 encoded JSON.") from None
    try:
        data = json.loads(
            text,
            object_pairs_hook=_refuse_duplicates,
            parse_constant=_refuse_constant,
            parse_int=_bounded_int,
        )
    except _DuplicateField as duplicate:
        raise invalid_request(duplicate.name[:50], "is given more than once.") from None
    except _NumberTooLong:
        raise invalid_request("body", "has a number too long to read.") from None
    except RecursionError:
        raise invalid_request("body", "is nested too deeply.") from None
    except ValueError as error:
        raise invalid_request("body", f"is not valid JSON ({str(error)[:100]}).") from None
    if not isinstance(data, dict):
        raise invalid_request("body", "must be a JSON object.")
    refuse_unstorable_text(data)
    allowed = (*required, *optional)
    for name in data:
        if name not in allowed:
            raise invalid_request(
                name[:50], f"is not a known field; the fields are {', '.join(allowed)}."
            )
    for name in required:
        if name not in data:
            raise invalid_request(name, "is required.")
    return data


def query_params(*allowed: str):
    """Declare the query parameters a view takes (none: ``@query_params()``).

    Every API view declares its own, so that an unknown parameter (usually a typo,
    "sym" for "symbol") is a 400 naming it on every endpoint alike, never ignored. The
    view finds the parameters in ``request.params``. Put it under
    ``@api_key_required``: the refusal then carries the key's rate-limit headers.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                request.params = query(request, allowed=allowed)
            except ApiError as refusal:
                return refusal.response()
            return view(request, *args, **kwargs)

        wrapper.query_params = allowed
        return wrapper

    return decorator


def query(request, *, allowed: tuple[str, ...]) -> dict[str, str]:
    """The query parameters, each at most once and each one of ``allowed``."""
    params = {}
    for name, values in request.GET.lists():
        if name not in allowed:
            known = ", ".join(allowed) or "none"
            raise invalid_request(
                name[:50], f"is not a known parameter; the parameters are {known}."
            )
        if len(values) > 1:
            raise invalid_request(name, "is given more than once.")
        params[name] = values[0]
    return params


def text(data: dict, name: str, *, max_length: int, pattern: str = "", hint: str = "") -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise invalid_request(name, "must be a string.")
    if not value or len(value) > max_length:
        raise invalid_request(name, f"must be 1 to {max_length} characters long.")
    if pattern and not re.fullmatch(pattern, value):
        raise invalid_request(name, hint or "has characters that are not allowed.")
    return value


def choice(data: dict, name: str, choices) -> str:
    value = data.get(name)
    if not isinstance(value, str) or value not in choices:
        raise invalid_request(name, f"must be one of: {', '.join(choices)}.")
    return value


def positive_decimal(data: dict, name: str) -> Decimal:
    """A decimal string like "0.01": positive, plain digits, at most 18 decimal places."""
    value = data.get(name)
    if not isinstance(value, str):
        raise invalid_request(name, 'must be a decimal string, like "0.01".')
    amount = parse_plain_decimal(value)
    if amount is None:
        raise invalid_request(name, PLAIN_DECIMAL_RULE)
    if amount <= 0:
        raise invalid_request(name, "must be more than zero.")
    return amount


def amount(data: dict, name: str, *, asset, minimum: Decimal | None = None) -> Decimal:
    """A decimal string that obeys ``asset``'s rules (precision, minimum, bounds)."""
    try:
        return check_amount(positive_decimal(data, name), asset=asset, field=name, minimum=minimum)
    except AmountRefused as refused:
        raise refused_amount(refused) from None


def refused_amount(refused: AmountRefused):
    """The 400 for an amount a rule refused (accounts.money.check_amount)."""
    return invalid_request(refused.field, refused.message)


def whole_number(params: dict, name: str, *, default: int, maximum: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 6) or not 1 <= int(raw) <= maximum:
        raise invalid_request(name, f"must be a whole number from 1 to {maximum}.")
    return int(raw)
