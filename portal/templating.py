"""What every template can use: navigation, languages, the company name, role labels."""
from __future__ import annotations

from flask import Flask, current_app, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from jinja2 import StrictUndefined
from markupsafe import Markup, escape

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


_SELECTS = ("SelectField", "SelectMultipleField", "QuerySelectField")
_HIDDEN = ("HiddenField", "CSRFTokenField")


def _errors(f, css: str) -> str:
    return "".join(f'<div class="{css}">{escape(e)}</div>' for e in f.errors)


def field(f, label=None, class_: str = "", hint=None) -> Markup:
    """One form field with its label, required mark, help text and errors; the value typed stays in it.
    A template global rather than a macro: a form has ten of them, and a macro call cost more than the
    field it writes (the customer page's log form: a tenth of the page). Written with escape() and an
    f-string rather than Markup.format, which costs more than the widget it wraps: every value is
    escaped just the same (the widgets' and our own markup pass through, as Markup.format lets them)."""
    if f.type in _HIDDEN:
        return f()  # WTForms writes it as markup
    invalid = " is-invalid" if f.errors else ""
    text, fid, cls = escape(label or f.label.text), escape(f.id), escape(class_)
    if f.type == "BooleanField":
        return Markup(f'<div class="form-check mb-3 {cls}">\n  {f(class_="form-check-input" + invalid)}\n  '  # noqa: S704  # nosec B704
                      f'<label class="form-check-label" for="{fid}">{text}</label>\n  '
                      f'{_errors(f, "invalid-feedback d-block")}\n</div>')
    help_text = hint or f.description
    attrs = {"aria-describedby": f"{f.id}-help"} if help_text else {}
    css = "form-select" if f.type in _SELECTS else "form-control"
    required = '<span class="text-danger" aria-hidden="true"> *</span>' if f.flags.required else ""
    help_div = f'<div id="{fid}-help" class="form-text">{escape(help_text)}</div>' if help_text else ""
    return Markup(f'<div class="mb-3 {cls}">\n  <label class="form-label" for="{fid}">{text}{required}</label>\n  '  # noqa: S704  # nosec B704
                  f'{f(class_=css + invalid, **attrs)}\n  {help_div}\n  {_errors(f, "invalid-feedback")}\n</div>')


def options(choices, selected=None) -> Markup:
    """A filter menu's ``<option>`` tags for (value, label) pairs, the one equal to ``selected`` (compared
    as text, as a query argument arrives) marked. A template global, like ``field``: a list's filter bar
    has a hundred options (owners, regions), and a Jinja loop spent more on them than on the list's rows."""
    chosen = None if selected is None else str(selected)
    return Markup("".join(  # noqa: S704  # nosec B704 - every value and label is escaped
        f'<option value="{escape(value)}"{" selected" if str(value) == chosen else ""}>{escape(label)}</option>'
        for value, label in choices))


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
    app.jinja_env.globals["field"] = field
    app.jinja_env.globals["options"] = options
    app.jinja_env.filters["markdown"] = render_markdown
