"""Pagination for every list: the page number from ?page=, the size from config."""
from __future__ import annotations

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select

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


def paginate_by_id(stmt, model, options=(), per_page: int | None = None):
    """``paginate`` for a list whose rows are shown with their related rows (joined eager loads).

    The page is chosen on the rows' ids alone (same filters and order), then only that page's rows are
    loaded with ``options``: the database sorts narrow id rows instead of every matching row already
    joined to its customer, owner and team. One query more than ``paginate``, whatever the list's size.
    """
    page = paginate(stmt.with_only_columns(model.id), per_page)
    ids = list(page.items)
    if ids:
        rows = {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)).options(*options))}
        page.items = [rows[i] for i in ids if i in rows]
    return page


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
