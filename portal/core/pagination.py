"""Pagination for every list: the page number from ?page=, the size from config."""
from __future__ import annotations

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination

from .db import db

MAX_PAGE = 1_000_000


def _page_arg(arg: str = "page") -> int:
    """The page asked for: 1 when absent or nonsense; capped, since ?page=10**30 would overflow OFFSET."""
    page = request.args.get(arg, 1, type=int) or 1
    return min(max(page, 1), MAX_PAGE)


def paginate(stmt, per_page: int | None = None, arg: str = "page"):
    """A page of ``stmt``'s rows; ``?<arg>=`` picks it (a page with two paged lists names the second)."""
    per_page = per_page or current_app.config["PER_PAGE"]
    return db.paginate(stmt, page=_page_arg(arg), per_page=per_page, max_per_page=200, error_out=False)


class _ListPagination(Pagination):
    """Flask-SQLAlchemy's pagination over a list already in memory (a ranking computed in Python)."""

    def __init__(self, rows: list, **kwargs):
        self._rows = rows
        super().__init__(**kwargs)

    def _query_items(self) -> list:
        return self._rows[self._query_offset:self._query_offset + self.per_page]

    def _query_count(self) -> int:
        return len(self._rows)


def paginate_list(rows: list, per_page: int | None = None, arg: str = "page"):
    """A page of ``rows`` (``?<arg>=`` picks it) with the same interface as ``paginate``."""
    return _ListPagination(rows, page=_page_arg(arg), per_page=per_page or current_app.config["PER_PAGE"],
                           max_per_page=200, error_out=False)
