"""Languages and locale formatting: which locale a request uses, and the template filters."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from babel import support
from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    has_app_context,
    has_request_context,
    redirect,
    request,
    session,
    url_for,
)
from flask.globals import _cv_app
from flask_babel import Domain, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .authz import ANYONE, policy
from .core import settings
from .core.money import to_money
from .core.periods import company_tz

bp = Blueprint("i18n", __name__)


def translation_directories(app: Flask) -> list[str]:
    """The core catalog and one per feature package (portal/<feature>/translations)."""
    root = Path(app.root_path)
    dirs = [str(root / "translations")]
    dirs += sorted(str(p) for p in root.glob("*/translations") if p.is_dir())
    return dirs


# Babel names Simplified Chinese by its script (zh_Hans_CN); gettext folders use the region (zh_CN).
_CATALOG_CODES = {"zh_Hans_CN": "zh_CN", "zh_Hans": "zh_CN", "zh": "zh_CN"}


class CatalogDomain(Domain):
    """Flask-Babel's domain, reading each locale's catalogs from the folder named the gettext way.

    Every ``_()`` asks for the translations: a page makes a hundred such calls, and Flask-Babel's own
    lookup (context, locale, the locale's name, the cache) costs more than the translation itself. So
    the request's Babel context keeps the answer beside the locale it was for; a changed locale
    (``force_locale``, ``refresh``) is a different object and takes the full path again."""

    def get_translations(self):
        app_ctx = _cv_app.get(None)
        babel_ctx = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
        if babel_ctx is not None:
            kept = babel_ctx.__dict__.get("portal_translations")
            if kept is not None and kept[0] is babel_ctx.__dict__.get("babel_locale"):
                return kept[1]
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        translations = self._catalogs(locale)
        babel_ctx = app_ctx.g.__dict__.get("_flask_babel") if app_ctx is not None else None
        if babel_ctx is not None and babel_ctx.__dict__.get("babel_locale") is locale:
            babel_ctx.portal_translations = (locale, translations)
        return translations

    def _catalogs(self, locale):
        key = (str(locale), self.domain[0])
        if key not in self.cache:
            code = _CATALOG_CODES.get(str(locale), str(locale))
            merged = support.Translations()
            for dirname in self.translation_directories:
                catalog = support.Translations.load(dirname, [code], self.domain[0])
                merged.merge(catalog)
                if hasattr(catalog, "plural"):  # merge() does not carry the plural rule over
                    merged.plural = catalog.plural
            self.cache[key] = merged
        return self.cache[key]


def install_domain(app: Flask, babel) -> None:
    domain = babel.__dict__["domain_instance"] = CatalogDomain(domain="messages")
    # Templates ask the domain directly (Flask-Babel's callables first look the domain up per call).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: domain.get_translations().ugettext(s),
        ngettext=lambda s, p, n: domain.get_translations().ungettext(s, p, n),
        pgettext=lambda c, s: domain.get_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: domain.get_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # a command or a seeder: the company's language
        return _company_default_locale()
    if request.environ.get("portal.db_down"):
        # No profile to read: the language the session cookie remembers, else the browser's.
        if session.get("locale") in languages:
            return session["locale"]
        best = request.accept_languages.best_match(["zh_CN", "zh", "en"])
        return "en" if best == "en" else current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    best = request.accept_languages.best_match(["zh_CN", "zh", "en"]) if request else None
    if best in ("zh", "zh_CN"):
        return "zh_CN"
    if best == "en":
        return "en"
    return _company_default_locale()


def _company_default_locale() -> str:
    try:
        value = settings.get("default_locale")
    except Exception:  # noqa: BLE001 - no database yet (first run before migrations)
        value = None
    return value if value in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["TIMEZONE"]


@bp.route("/language", methods=["POST"])
@policy(ANYONE)
def set_language():
    """Switch the interface language; a signed-in user keeps the choice on their profile."""
    from .core.db import db

    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            current_user.locale = locale
            db.session.flush()
    from .security import safe_next

    return redirect(safe_next(request.form.get("next")) or url_for("home.index"))


# Formatting ----------------------------------------------------------------------------------
# A status page or a list formats hundreds of figures and dates. Babel's format_decimal parses its
# pattern and looks the locale up on every call; the patterns used here are all "#,##0" with a fixed
# number of decimals, which Python's own format gives digit for digit (half-even rounding, groups of
# three), so only the locale's two symbols are taken from Babel, once per locale.

@lru_cache(maxsize=16)
def _symbols(locale: str) -> dict:
    return {ord("."): get_decimal_symbol(locale), ord(","): get_group_symbol(locale)}


class _Reader:
    """What formatting needs to know about the reader, looked up once per request: a page formats
    hundreds of values, and each lookup through Flask's context proxies costs more than the format."""

    __slots__ = ("symbols", "money_style", "chinese", "tz")

    def __init__(self):
        locale = str(get_locale() or "zh_CN")
        self.symbols = _symbols(locale)
        self.chinese = locale.startswith("zh")
        user = current_user._get_current_object() if has_request_context() else None
        self.money_style = user.money_style if user is not None and user.is_authenticated else None
        self.tz = company_tz()


def _reader() -> _Reader:
    if not has_app_context():
        return _Reader()
    reader = g.get("_portal_reader")
    if reader is None:
        reader = g._portal_reader = _Reader()
    return reader


def _grouped(value, digits: int, reader: _Reader | None = None) -> str:
    """``value`` as Babel's format_decimal(value, "#,##0.00…") would write it in the reader's locale."""
    if isinstance(value, float):
        value = Decimal(repr(value))  # the figure as written, as Babel takes a float
    text = format(value, f",.{digits}f")
    symbols = (reader or _reader()).symbols
    return text if symbols == _PLAIN else text.translate(symbols)


_PLAIN = {ord("."): ".", ord(","): ","}


def money(value, style: str | None = None) -> str:
    """¥1,234,567.00, or 123.46 万元 for a Chinese reader who prefers it for large figures."""
    if value is None or value == "":
        return "—"
    amount = to_money(value)
    reader = _reader()
    if style is None:
        style = reader.money_style
    if style == "wan" and abs(amount) >= 10000 and reader.chinese:
        return _("%(amount)s 万元", amount=_grouped(amount / Decimal(10000), 2, reader))
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{_grouped(abs(amount), 2, reader)}"


def fmt_date(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(_reader().tz).date()
    # ISO dates in both languages (the glossary's rule): 2026-11-26.
    return value.isoformat() if isinstance(value, date) else str(value)


def fmt_datetime(value) -> str:
    """The moment in the company's time zone (a naive value is UTC, as Flask-Babel takes it)."""
    if value is None:
        return "—"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_reader().tz).strftime("%Y-%m-%d %H:%M")


def fmt_number(value, digits: int = 0) -> str:
    if value is None:
        return "—"
    return _grouped(value, digits)


def fmt_percent(value) -> str:
    if value is None:
        return "—"
    return _grouped(value, 1) + "%"


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.filters.update(
        money=money, date=fmt_date, datetime=fmt_datetime, number=fmt_number, percent=fmt_percent,
    )
