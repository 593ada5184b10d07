"""Pagination for every list: the page number from ?page=, the size from config."""
from __future__ import annotations

from flask import current_app, request

from .db import db

MAX_PAGE = 1_000_000


def paginate(stmt, per_page: int | None = None):
    page = request.args.get("page", 1, type=int) or 1
    per_page = per_page or current_app.config["PER_PAGE"]
    # ?page=10**30 would overflow the database's OFFSET: any page past the end is an empty page.
    return db.paginate(stmt, page=min(max(page, 1), MAX_PAGE), per_page=per_page, max_per_page=200, error_out=False)
