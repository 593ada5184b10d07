"""One commit per request: services only flush, the request commits once at its end.

A request that fails (an exception, or any 4xx/5xx answer) rolls back, so nothing is left
half-written.
"""
from __future__ import annotations

from flask import Flask, make_response
from sqlalchemy.orm.exc import StaleDataError

from .core.db import db


def init_app(app: Flask) -> None:
    @app.after_request
    def commit_session(response):
        if response.status_code < 400:
            try:
                db.session.commit()
            except StaleDataError:
                # Another save changed the record since this request read it (core/concurrency.py).
                db.session.rollback()
                from .errors import render_error

                return make_response(render_error(409))
        else:
            db.session.rollback()
        return response
