"""Pagination for every list: the page number from ?page=, the size from config."""
from __future__ import annotations

from flask import current_app, request

from .db import db


def paginate(stmt, per_page: int | None = None):
    page = request.args.get("page", 1, type=int) or 1
    per_page = per_page or current_app.config["PER_PAGE"]
    return db.paginate(stmt, page=max(page, 1), per_page=per_page, max_per_page=200, error_out=False)
