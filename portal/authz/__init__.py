"""The one authorization policy: who may use each route, and which records each person sees.

Routes declare a rule with ``@policy(rule)`` (or a blueprint-wide ``guard_blueprint``); the app checks
it before every request, and refuses any endpoint that declared none. Record access goes through the
scoping helpers in ``scopes``, which templates reach through the ``can`` context helper too.
"""
from .rules import (
    ADMIN,
    ANYONE,
    DIRECTOR,
    GM,
    MANAGERS,
    OVERSEERS,
    REP,
    ROLES,
    SALES,
    SIGNED_IN,
    Rule,
    guard_blueprint,
    policy,
    policy_for,
)
from .scopes import (
    can_edit_record,
    can_manage_user,
    can_see_record,
    can_see_user,
    get_scoped_or_404,
    managed_team_ids,
    scope_query,
    scope_signature,
    visible_users,
)

__all__ = [
    "ADMIN", "ANYONE", "DIRECTOR", "GM", "MANAGERS", "OVERSEERS", "REP", "ROLES", "SALES", "SIGNED_IN",
    "Rule", "guard_blueprint", "policy", "policy_for",
    "can_edit_record", "can_manage_user", "can_see_record", "can_see_user", "get_scoped_or_404",
    "managed_team_ids", "scope_query", "scope_signature", "visible_users",
]
