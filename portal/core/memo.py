"""A dict that lives as long as the current request: for answers asked for several times a page."""
from __future__ import annotations

from flask import g, has_app_context, has_request_context, request


def request_memo() -> dict:
    if has_request_context():
        return request.environ.setdefault("portal.memo", {})
    if has_app_context():
        return g.setdefault("_portal_memo", {})
    return {}
