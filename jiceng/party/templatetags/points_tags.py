"""How points read: 2.5, 3, -0.25 — never 2.50 or 3.00. Points are stored to two decimal places, but a
reader in Chinese (as anywhere) writes no trailing zeros (2.5分, 3分); sums and averages are the same."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def points(value) -> str:
    """A points figure without trailing zeros; "" for None, and the value as it is when not a number."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if number == 0:
        return "0"  # not "0E-2" nor "-0"
    return f"{number.normalize():f}"
