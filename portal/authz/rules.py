"""Route rules: named sets of roles, composed with ``|``, declared on every view."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, current_app

ROLES = ("rep", "director", "gm", "admin")


@dataclass(frozen=True)
class Rule:
    """Who may open a route: a set of roles, or everyone (signed in or not)."""

    name: str
    roles: frozenset[str]
    public: bool = False

    def __or__(self, other: Rule) -> Rule:
        return Rule(f"{self.name}|{other.name}", self.roles | other.roles, self.public or other.public)

    def allows(self, user) -> bool:
        if self.public:
            return True
        return bool(user.is_authenticated) and user.role in self.roles


ANYONE = Rule("anyone", frozenset(ROLES), public=True)
SIGNED_IN = Rule("signed_in", frozenset(ROLES))
REP = Rule("rep", frozenset({"rep"}))
DIRECTOR = Rule("director", frozenset({"director"}))
GM = Rule("gm", frozenset({"gm"}))
ADMIN = Rule("admin", frozenset({"admin"}))
SALES = REP | DIRECTOR | GM  # the people who own or oversee sales records
MANAGERS = DIRECTOR | GM  # plan, assign, appraise
OVERSEERS = GM | ADMIN  # see the whole company


def policy(rule: Rule) -> Callable:
    """Declare who may use a view; the app-wide guard enforces it."""

    def mark(view):
        view.__policy__ = rule
        return view

    return mark


def guard_blueprint(bp: Blueprint, rule: Rule) -> None:
    """A default rule for every view of a blueprint that declares none of its own."""
    bp.__policy__ = rule  # type: ignore[attr-defined]


def policy_for(endpoint: str) -> Rule | None:
    """The rule that governs an endpoint, or None when nobody declared one."""
    app = current_app
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    rule = getattr(view, "__policy__", None)
    if rule is not None:
        return rule
    if endpoint == "static" or endpoint.endswith(".static"):
        return ANYONE
    bp_name = endpoint.rpartition(".")[0]
    # Nested blueprints are named parent.child: the closest declared default wins.
    while bp_name:
        bp = app.blueprints.get(bp_name)
        if bp is not None and getattr(bp, "__policy__", None) is not None:
            return bp.__policy__
        bp_name = bp_name.rpartition(".")[0]
    return None
