"""Exact money: how amounts are stored, the rules every amount obeys, USDT totals.

Amounts are stored as whole numbers of the ledger's smallest unit, 10^-8 (a satoshi for
BTC), in a 64-bit integer column. Integers are exact on every database: SQLite keeps
a ``decimal`` column as a 15-digit float and does SQL arithmetic in floats, so a
Decimal column there lost money (1.024 - 0.6144 gave 0.409600000000001). In Python an
amount is always a ``Decimal``; nothing on a money path is ever a float.

An asset's precision (decimal places, editable in the admin) is a rule over that fixed
storage scale: at most ``LEDGER_PLACES``, so raising it never needs a value the column
can't hold, and lowering it leaves every stored balance exact.
"""

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, Inexact, InvalidOperation, Rounded, localcontext

from django import forms
from django.core import checks, exceptions
from django.db import models

LEDGER_PLACES = 8
UNIT = Decimal(1).scaleb(-LEDGER_PLACES)
# What one amount (a balance, a withdrawal, a quantity, a price) may be: far below the
# column's 92,233,720,368.54775807, so adding a few of them can never overflow it.
MAX_AMOUNT = Decimal(10) ** 10
_MAX_UNITS = 2**63 - 1


class AmountRefused(ValueError):
    """An amount that breaks a rule; ``message`` is fit to show, ``field`` names the input."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field} {message}")
        self.field = field
        self.message = message


# An amount as people and bots write one: ASCII digits and at most one point. No sign,
# exponent, digit separators or other scripts' digits: Python's Decimal reads "1_0" as
# 10, "1e999999999" as a number no context can hold, and "١" as 1.
PLAIN_DECIMAL = re.compile(r"(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,18})?")
PLAIN_DECIMAL_SYNTAX = "digits and one point, at most 15 digits before the point and 18 after it"
PLAIN_DECIMAL_RULE = f"must be a plain decimal ({PLAIN_DECIMAL_SYNTAX})."


def parse_plain_decimal(text) -> Decimal | None:
    """``text`` as a Decimal when it is a plain decimal (PLAIN_DECIMAL), else None."""
    if not isinstance(text, str) or not PLAIN_DECIMAL.fullmatch(text):
        return None
    return Decimal(text)


class AmountField(forms.CharField):
    """A form's amount: the API's plain-decimal syntax, then the rules of check_amount."""

    widget = forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        amount = parse_plain_decimal(value)
        if amount is None:
            raise exceptions.ValidationError(
                f"Enter a plain decimal: {PLAIN_DECIMAL_SYNTAX}.", code="invalid"
            )
        return amount


def decimal_places(amount: Decimal) -> int:
    """How many decimal places ``amount`` needs: 1.50 needs 1, 100 needs 0."""
    return max(0, -amount.normalize().as_tuple().exponent)


def check_amount(
    amount: Decimal, *, asset, field: str = "amount", minimum: Decimal | None = None
) -> Decimal:
    """``amount`` of ``asset`` if it may move, else AmountRefused naming the rule.

    The one place for the amount rules: the API's validation, the transfer form (before
    it spends the 2FA code) and the services (again, under their locks) all call it.
    """
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise AmountRefused(field, "must be more than zero.")
    if decimal_places(amount) > asset.precision:
        raise AmountRefused(
            field, f"has too many decimal places: {asset} allows at most {asset.precision}."
        )
    if amount > MAX_AMOUNT:
        raise AmountRefused(field, f"must be at most {MAX_AMOUNT:f} {asset}.")
    if minimum and amount < minimum:
        raise AmountRefused(field, f"must be at least {format_amount(minimum)} {asset}.")
    return amount


def format_amount(amount: Decimal) -> str:
    """A plain decimal string without trailing zeros: "0.01", never "1E-2"."""
    return format(amount.normalize(), "f")


# --- USDT values ----------------------------------------------------------------------


def exactly():
    """A decimal context that raises rather than round: products of amounts and prices
    need up to 38 digits, more than the default context's 28."""
    return localcontext(prec=80, traps=[Inexact, Rounded, InvalidOperation])


def usdt_value(amount: Decimal, price: Decimal) -> Decimal:
    with exactly():
        return amount * price


def total_usdt_of(values: Iterable[Decimal]) -> Decimal:
    with exactly():
        return sum(values, Decimal(0))


def round_usdt(value: Decimal, places: int = 2) -> Decimal:
    """A USDT value rounded for display, the one rounding every page and the API use."""
    # A wide context: the default's 28 digits can't hold 10^20 USDT to 8 places.
    with exactly() as context:
        context.traps[Inexact] = context.traps[Rounded] = False
        return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


# --- Storage -------------------------------------------------------------------------


def to_units(amount: Decimal) -> int:
    """``amount`` as a whole number of ledger units; ValueError if it would round."""
    units = amount.scaleb(LEDGER_PLACES)
    if not amount.is_finite() or units != units.to_integral_value():
        raise ValueError(f"{amount} has more than {LEDGER_PLACES} decimal places")
    if abs(units) > _MAX_UNITS:
        raise ValueError(f"{amount} is too large for the ledger")
    return int(units)


def from_units(units: int) -> Decimal:
    return Decimal(units).scaleb(-LEDGER_PLACES)


class MoneyField(models.Field):
    """A Decimal amount, stored as an integer count of 10^-8 units (``bigint``).

    Lookups (``amount__gt=0``), ordering, ``Sum`` and check constraints all work on the
    integers, exactly, on every database. A value that would need rounding to be stored
    is refused with an error, never rounded.
    """

    description = "Amount in 10^-8 units"
    empty_strings_allowed = False
    default_error_messages = {
        "invalid": "“%(value)s” must be a decimal number.",
        "places": f"Use at most {LEDGER_PLACES} decimal places.",
        "range": f"Must be at most {MAX_AMOUNT:,f} in size.",
    }

    def get_internal_type(self):
        return "BigIntegerField"

    def check(self, **kwargs):
        errors = super().check(**kwargs)
        if isinstance(self.default, float):
            errors.append(checks.Error("A money default must not be a float.", obj=self))
        return errors

    def from_db_value(self, value, expression, connection):
        return None if value is None else from_units(int(value))

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        if isinstance(value, float):
            raise exceptions.ValidationError("Amounts are never floats.", code="invalid")
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            raise exceptions.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            ) from None

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        if value is None:
            return
        if not value.is_finite():
            raise exceptions.ValidationError(
                self.error_messages["invalid"], code="invalid", params={"value": value}
            )
        if decimal_places(value) > LEDGER_PLACES:
            raise exceptions.ValidationError(self.error_messages["places"], code="places")
        if abs(value) > MAX_AMOUNT:
            raise exceptions.ValidationError(self.error_messages["range"], code="range")

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or hasattr(value, "resolve_expression"):
            return value
        if isinstance(value, int):
            value = Decimal(value)
        return to_units(self.to_python(value))

    def formfield(self, **kwargs):
        return super().formfield(
            **{
                "form_class": forms.DecimalField,
                "max_digits": 11 + LEDGER_PLACES,
                "decimal_places": LEDGER_PLACES,
                **kwargs,
            }
        )
