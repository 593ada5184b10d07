"""One commit per request: services only flush, the request commits once at its end.

A request that fails (an exception, or any 4xx/5xx answer) rolls back, so nothing is left
half-written.
"""
from __future__ import annotations

from flask import Flask

from .core.db import db


def init_app(app: Flask) -> None:
    @app.after_request
    def commit_session(response):
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response
