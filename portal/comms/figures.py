"""Figures other features lend to summaries and director reports, without comms importing them.

The plans feature (targets, sales) and the customer log (new and lost customers) call
``register_figures_provider(fn)`` from their ``init_app``. A provider is called as
``fn(scope, subject_id, period)`` with scope "rep" (subject = a user id) or "team" (a team id) and
returns a list of figures: ``{"key": "sales", "label": "Sales achieved", "value": …, "target": …}``
(``target`` optional; values are numbers or Decimal, labels already translated or lazy strings).
Well-known keys the director report looks for: ``target_completion``, ``new_customers``,
``lost_customers``.
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from flask import current_app

_PROVIDERS: list[Callable] = []


def register_figures_provider(fn: Callable) -> Callable:
    """Add a provider (usable as a decorator); registering the same function twice is harmless."""
    if fn not in _PROVIDERS:
        _PROVIDERS.append(fn)
    return fn


def unregister_figures_provider(fn: Callable) -> None:
    if fn in _PROVIDERS:
        _PROVIDERS.remove(fn)


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def provided_figures(scope: str, subject_id: int, period) -> list[dict]:
    """What the registered providers know; a failing provider is logged and skipped."""
    out = []
    for fn in list(_PROVIDERS):
        try:
            found = fn(scope, subject_id, period) or []
        except Exception:  # noqa: BLE001 - another feature's bug must not break a summary page
            current_app.logger.exception("figures provider %r failed", fn)
            continue
        for fig in found:
            out.append({"key": str(fig.get("key", "")), "label": str(fig.get("label", fig.get("key", ""))),
                        "value": _plain(fig.get("value")), "target": _plain(fig.get("target")),
                        "source": "provider"})
    return out
