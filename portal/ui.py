"""Registries that let features add to shared pages without those pages importing them.

A feature calls ``register_nav`` for its menu entries and ``register_panel`` for the panels it
puts on a role's home page; the layout and the home page only read these lists.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import url_for


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string, translated when shown
    roles: frozenset[str]
    order: int = 100
    badge: Callable | None = None  # (user) -> int | None, e.g. unread count

    @property
    def url(self) -> str:
        return url_for(self.endpoint)


@dataclass(frozen=True)
class Panel:
    """A box on a home page: its template gets ``**context(user)``."""

    name: str
    title: object
    roles: frozenset[str]
    template: str
    context: Callable = field(default=lambda user: {})
    order: int = 100
    width: int = 6  # Bootstrap grid columns out of 12


NAV: list[NavItem] = []
PANELS: list[Panel] = []


def register_nav(endpoint: str, label, roles, order: int = 100, badge: Callable | None = None) -> None:
    if not any(n.endpoint == endpoint for n in NAV):
        NAV.append(NavItem(endpoint, label, frozenset(roles), order, badge))
        NAV.sort(key=lambda n: n.order)


def register_panel(panel: Panel) -> None:
    if not any(p.name == panel.name for p in PANELS):
        PANELS.append(panel)
        PANELS.sort(key=lambda p: p.order)


def nav_for(user) -> list[NavItem]:
    if not user.is_authenticated:
        return []
    return [n for n in NAV if user.role in n.roles]


def nav_groups_for(user) -> list[list[NavItem]]:
    """The menu grouped by feature (blueprint), in menu order: a feature with several entries
    becomes one dropdown named after its first entry, so the bar stays on one line."""
    groups: dict[str, list[NavItem]] = {}
    for item in nav_for(user):
        groups.setdefault(item.endpoint.partition(".")[0], []).append(item)
    return list(groups.values())


def panels_for(user) -> list[Panel]:
    return [p for p in PANELS if user.role in p.roles]
