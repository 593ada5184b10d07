"""Error pages in the layout and the user's language, revealing nothing of the inside."""
from __future__ import annotations

from flask import Flask, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DatabaseError, DataError, InterfaceError, OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .core.db import db
from .extensions import login_manager

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("You do not have permission to open this page.")),
    404: (_l("Not found"), _l("The page or record you asked for does not exist, or is not yours to see.")),
    405: (_l("Not allowed"), _l("This address cannot be used this way.")),
    409: (_l("Changed by someone else"), _l("Someone else changed this record at the same moment, so your change "
                                             "was not saved. Open the record again to see their version.")),
    413: (_l("File too large"), _l("The file you sent is larger than the portal accepts.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a few minutes, then try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error occurred. It has been logged; please try again.")),
    503: (_l("Service unavailable"), _l("The database cannot be reached just now. Try again in a moment.")),
}


def render_error(code: int, detail=None):
    title, message = MESSAGES.get(code, MESSAGES[500])
    template = "errors/_error.html" if request.headers.get("HX-Request") else "errors/error.html"
    return render_template(template, code=code, title=title, message=detail or message), code


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return render_error(400, _l("Your form expired or was sent from elsewhere. Reload the page and "
                                    "send it again."))

    @app.errorhandler(HTTPException)
    def http_error(e):
        if e.code in (301, 302, 303, 307, 308):
            return e
        if e.code == 413 and app.config.get("MAX_CONTENT_LENGTH"):
            return render_error(413, _l("What you sent is larger than the portal accepts: at most %(mb)s MB in one "
                                        "go, each file at most %(each)s MB. Nothing was saved; go back and send a "
                                        "smaller file.", mb=_mb(app.config["MAX_CONTENT_LENGTH"]),
                                        each=_mb(app.config.get("UPLOAD_MAX_BYTES") or 0)))
        return render_error(e.code if e.code in MESSAGES else 500)

    @app.errorhandler(StaleDataError)
    def stale(_e):
        # A save that lost the race with another one (see core/concurrency.py): nothing is written.
        db.session.rollback()
        return render_error(409)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(_e):
        # A number too large for the database (?customer_id=10**30) or a value of the wrong type for a
        # column is bad input from the request, not a fault of the portal: 400, never 500.
        db.session.rollback()
        return render_error(400)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_down(e):
        # An unreachable database is a 503, and the pool is reset so the next request reconnects.
        # The driver's first line ("database is locked", "connection refused") goes to the log, never to the page.
        reason = str(getattr(e, "orig", None) or e.__class__.__name__).strip().splitlines()
        app.logger.error("database error: %s: %s", e.__class__.__name__, reason[0][:300] if reason else "")
        request.environ["portal.db_down"] = True  # the 503 page must not ask the database again
        g._login_user = login_manager.anonymous_user()  # nor look the user up (Flask-Login reads g)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001,S110 - the connection is gone; nothing to roll back
            pass
        try:
            db.engine.dispose()
        except Exception:  # noqa: BLE001,S110 - best effort, the next request retries anyway
            pass
        return _bare_503()

    @app.errorhandler(DatabaseError)
    def database_error(e):
        # A SQLite file replaced by something that is not a database (or damaged, or unreadable) is the
        # database being unavailable, like a server that does not answer; other database errors
        # (integrity, data) are bugs: 500.
        if getattr(getattr(e, "orig", None), "sqlite_errorname", "").startswith(_SQLITE_UNAVAILABLE):
            return database_down(e)
        return unexpected(e)

    @app.errorhandler(Exception)
    def unexpected(e):
        app.logger.exception("unhandled error")
        db.session.rollback()
        return render_error(500)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.3g}"


_SQLITE_UNAVAILABLE = ("SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_READONLY",
                       "SQLITE_PERM", "SQLITE_AUTH")


def _bare_503():
    # The layout would ask the database for the user; render the page without it.
    try:
        return render_template("errors/standalone.html", code=503, title=MESSAGES[503][0],
                               message=MESSAGES[503][1]), 503
    except Exception:  # noqa: BLE001 - last resort: plain text, still no internals
        return "503 Service unavailable / 服务暂不可用", 503
