"""Money: Decimal end to end, rounded half-up at 2 places, shown as 元 or 万元."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value) -> Decimal:
    """Any number or numeric text to a Decimal with 2 places (half-up); floats are refused."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    if isinstance(value, str):
        value = value.replace(",", "").replace("，", "").replace("¥", "").strip()
    try:
        return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc


def percent(part, whole) -> Decimal | None:
    """part / whole as a percentage with 1 place, or None when the whole is zero or unknown."""
    if whole in (None, 0) or part is None:
        return None
    whole = Decimal(whole)
    if whole == 0:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
