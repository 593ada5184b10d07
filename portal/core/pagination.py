"""Pagination for every list: the page number from ?page=, the size from config."""
from __future__ import annotations

from flask import current_app, request
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy import func, select, union
from sqlalchemy.sql import util as sql_util
from sqlalchemy.sql import visitors
from sqlalchemy.sql.expression import ColumnClause

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


class _CountedPagination(SelectPagination):
    """A page whose rows each carry the count of all matching rows (a window count)."""

    def __init__(self, fence: bool = False, **kwargs):
        self._fence = fence
        super().__init__(**kwargs)

    def _query_items(self) -> list:
        stmt = self._query_args["select"]
        entity = len(stmt.selected_columns) == 1
        if self._fence and db.session.get_bind().dialect.name == "postgresql":
            stmt = self._fenced(stmt)
        else:
            stmt = stmt.add_columns(func.count().over().label("total_rows"))
            stmt = stmt.limit(self.per_page).offset(self._query_offset)
        rows = db.session.execute(stmt).all()
        self._counted = rows[0][-1] if rows else None
        # One entity: its objects. Columns: the rows themselves (read by name; the count rides along).
        return [row[0] for row in rows] if entity else rows

    def _fenced(self, stmt):
        """The matches counted in a subquery of their own (OFFSET 0: PostgreSQL plans it apart), then the
        page taken from them. With ORDER BY … LIMIT over the window count itself, PostgreSQL (up to 15)
        takes the count for free and walks an index in the list's order through the whole table, testing
        every row (a director's two-letter search: 23 ms instead of 2). Apart, the matches are found from
        the visibility indexes and only they are sorted (top N). SQLite plans the plain form well."""
        order = stmt._order_by_clauses  # as _NarrowPagination reads it: the statement holds the one order
        keys = [col for expr in order for col in visitors.iterate(expr) if isinstance(col, ColumnClause)]
        counted = stmt.order_by(None).add_columns(*keys, func.count().over().label("total_rows")) \
            .offset(0).subquery()
        adapt = sql_util.ClauseAdapter(counted).traverse
        return select(counted).order_by(*(adapt(expr) for expr in order)) \
            .limit(self.per_page).offset(self._query_offset)

    def _query_count(self) -> int:
        if self._counted is not None:
            return self._counted
        # Past the last page (or nothing matches): no row carried the count.
        return super()._query_count() if self.page > 1 else 0


def paginate_counted(stmt, per_page: int | None = None, arg: str = "page", fence: bool = False):
    """``paginate`` in one query instead of two, for a list whose filters cost more than its rows (a text
    search): the count rides on the page's rows as ``count(*) over ()``, so the filters run once. A page
    past the end still counts in a second query. ``stmt`` selects one entity, with many-to-one eager loads
    at most (a joined collection would multiply the rows the window counts). ``fence``: for a filter whose
    matches the database cannot guess (a text search on columns): on PostgreSQL the matches are then found
    and counted first, and sorted in ``stmt``'s order after (``_CountedPagination._fenced``)."""
    return _CountedPagination(fence=fence, select=stmt, session=db.session(), page=_page_arg(arg),
                              per_page=per_page or current_app.config["PER_PAGE"], max_per_page=200,
                              error_out=False)


class _NarrowPagination(SelectPagination):
    """A page whose rows are picked on their ids alone, inside the one query that loads them."""

    def __init__(self, model, options, count=None, rows=None, branches=None, **kwargs):
        self._model, self._options, self._count, self._rows = model, options, count, rows
        self._branches = branches
        self._counted = None
        super().__init__(**kwargs)

    def _query_count(self) -> int:
        if self._counted is None:
            if isinstance(self._count, int):  # known already (kept by the worker)
                self._counted = self._count
            elif self._count is None:
                self._counted = super()._query_count()
            else:
                self._counted = self._query_args["session"].scalar(self._count)
        return self._counted

    def _query_items(self) -> list:
        # Past the last page the database would walk every row to find none (GM's instalments: 170 ms):
        # a later page counts first (the same two queries, in the other order) and stops there.
        if self.page > 1 and self._query_offset >= self._query_count():
            return []
        stmt = self._query_args["select"]
        ids = stmt.with_only_columns(self._model.id)
        if self._branches:
            # The page is among the first offset + per_page rows of some branch: each branch's top rows come
            # from its own index in order, and only those few are sorted again.
            reach = self._query_offset + self.per_page
            tops = [b.with_only_columns(self._model.id).limit(reach).subquery() for b in self._branches]
            candidates = union(*[select(top.c.id) for top in tops]).subquery()
            ids = (select(self._model.id).where(self._model.id.in_(select(candidates.c.id)))
                   .order_by(*stmt._order_by_clauses))
        ids = ids.limit(self.per_page).offset(self._query_offset).subquery()
        chosen = self._model.id.in_(select(ids.c.id))
        if self._rows is not None:
            return self._query_args["session"].execute(
                self._rows.where(chosen).order_by(*stmt._order_by_clauses)).all()
        page = select(self._model).where(chosen).options(*self._options).order_by(*stmt._order_by_clauses)
        return list(self._query_args["session"].scalars(page).unique())


def paginate_narrow(stmt, model, options=(), per_page: int | None = None, count=None, rows=None, branches=None):
    """``paginate`` for a long list shown with joined rows, in the same two queries (page and count).

    The page's ids are chosen in a subquery (same filters and order) and only those rows are loaded and
    joined: skipping to page 1,500 walks an index of ids, not 37,000 customers each joined to its owner
    (GM, F=1: 57 → 2 ms). ``stmt`` selects ``model`` and orders by its own columns, ending on a unique one.
    ``count``: a statement counting the same rows more cheaply than a count over ``stmt``, if there is one,
    or the number itself when it is known.
    ``rows``: a select of just the columns the list shows (its joins included), to load plain rows rather
    than ``model`` objects with ``options``; the page's ids and order are added to it.
    ``branches``: for a ``stmt`` whose filter is an OR of conditions (a director's teams, their own
    records, the pool), the same select once per condition, each with ``stmt``'s order. A sort over the
    OR reads every row that meets any of them (2,000 for a director's customers) before it can take 25;
    each branch reads its first rows from an index in the list's order.
    """
    return _NarrowPagination(model, options, count, rows, branches, select=stmt, session=db.session(), page=_page_arg(),
                             per_page=per_page or current_app.config["PER_PAGE"], max_per_page=200,
                             error_out=False)


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
