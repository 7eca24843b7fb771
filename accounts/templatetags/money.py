from decimal import Decimal

from django import template

from accounts.money import round_usdt

register = template.Library()


@register.filter
def amount(value) -> str:
    """A Decimal amount with thousands separators and no trailing zeros: 1,234.5."""
    if value is None or value == "":
        return ""
    value = Decimal(value)
    return f"{value.normalize():,f}"


@register.filter
def usdt(value) -> str:
    """A USDT value rounded to cents, once, for display: 1,234.50."""
    if value is None or value == "":
        return ""
    return f"{round_usdt(Decimal(value)):,}"
