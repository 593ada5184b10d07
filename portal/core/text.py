"""User-written Markdown rendered to safe HTML (markdown-it-py, then nh3 as the allow-list)."""
from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in the source is not rendered at all; nh3 then strips anything the Markdown produced
# that is not on the list (javascript: links included).
_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")

_TAGS = {
    "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li",
    "h1", "h2", "h3", "h4", "h5", "h6", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}
_ATTRS = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "th": {"align"}, "td": {"align"}}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER_TEXT = re.compile(r"[+-]?\d[\d,]*(\.\d+)?%?")


def spreadsheet_safe(value):
    """Text a spreadsheet would run as a formula (=, +, -, @, tab or CR first) is exported with a leading
    quote, which shows it as typed (CSV injection); text that is just a signed number stays as it is."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER_TEXT.fullmatch(value):
        return "'" + value
    return value


def render_markdown(source: str | None) -> Markup:
    if not source:
        return Markup("")
    return _rendered(source)


@lru_cache(maxsize=4096)
def _rendered(source: str) -> Markup:
    """The same text always gives the same HTML: a thread of fifty replies, read again and again,
    is parsed once per worker (the cache holds the most recently read texts)."""
    html = _md.render(source)
    clean = nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    # Safe to mark: nh3 has just removed everything not on the allow-list above.
    return Markup(clean)  # noqa: S704  # nosec B704
