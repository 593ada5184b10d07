"""The base of every form: Flask-WTF's, with WTForms' own messages read once per language.

Flask-WTF loads WTForms' message catalog from disk again for every request that builds a form (it keeps
it on the request only); a page with two forms paid more for that than for the forms themselves.
"""
from __future__ import annotations

import threading

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path

_lock = threading.Lock()
_catalogs: dict[str, support.NullTranslations] = {}


def _catalog() -> support.NullTranslations:
    locale = get_locale()
    if locale is None:
        return support.NullTranslations()
    key = str(locale)
    catalog = _catalogs.get(key)
    if catalog is None:
        with _lock:
            catalog = _catalogs.setdefault(key, support.Translations.load(messages_path(), [locale], domain="wtforms"))
    return catalog


class _WTFormsMessages:
    """WTForms' translations interface, in the request's language."""

    def gettext(self, string):
        return _catalog().ugettext(string)

    def ngettext(self, singular, plural, n):
        return _catalog().ungettext(singular, plural, n)


_MESSAGES = _WTFormsMessages()


class PortalForm(FlaskForm):
    class Meta:
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _MESSAGES
