"""What every template can use: navigation, languages, the company name, role labels."""
from __future__ import annotations

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from jinja2 import StrictUndefined

from . import authz
from .core import settings
from .core.memo import request_memo
from .core.text import render_markdown
from .ui import nav_for, nav_groups_for


def role_label(role: str) -> str:
    from .people.forms import ROLE_LABELS

    return str(ROLE_LABELS.get(role, role))


def _company_name() -> str:
    memo = request_memo()
    if "company_name" not in memo:
        try:
            memo["company_name"] = settings.get("company_name")
        except Exception:  # noqa: BLE001 - before the first migration, or the database is down
            memo["company_name"] = settings.DEFAULTS["company_name"]
    return memo["company_name"]


def page_hrefs(endpoint: str | None = None):
    """``href(n)``: the link to page ``n`` of the current list, keeping its filters. The address is
    built once for the page's ten links (a url_for per link cost more than the list's rows)."""
    params = dict(request.view_args or {})
    params.update(request.args.to_dict())
    params.pop("page", None)
    base = url_for(endpoint or request.endpoint, **params)
    joiner = "&" if "?" in base else "?"
    return lambda n: f"{base}{joiner}page={int(n)}"


def init_app(app: Flask) -> None:
    if app.debug or app.testing:
        # A misspelt variable fails loudly in development and tests instead of printing nothing.
        app.jinja_env.undefined = StrictUndefined

    @app.context_processor
    def portal_context():
        if request.environ.get("portal.db_down"):  # the 503 page: nothing that needs the database
            return {"languages": current_app.config["LANGUAGES"], "current_locale": str(get_locale() or "zh_CN")}
        user = current_user._get_current_object()  # the menu tests the role once per entry: not via the proxy
        return {
            "nav_items": nav_for(user),
            "nav_groups": nav_groups_for(user),
            "languages": current_app.config["LANGUAGES"],
            "current_locale": str(get_locale() or "zh_CN"),
            "company_name": _company_name(),
            "role_label": role_label,
            "authz": authz,
        }

    app.jinja_env.globals["page_hrefs"] = page_hrefs
    app.jinja_env.filters["markdown"] = render_markdown
