"""Request guards and response headers: the policy check, sessions, CSP and friends."""
from __future__ import annotations

import hmac
import time
from urllib.parse import urlsplit

from flask import Flask, abort, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user

from .authz import ANYONE, policy, policy_for
from .core.db import db
from .extensions import login_manager

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])

# Pages a user who must choose a new password may still reach.
_OPEN_WHILE_PASSWORD_EXPIRED = {"auth.change_password", "auth.logout", "static", "i18n.set_language"}


class PortalSessionInterface(SecureCookieSessionInterface):
    """Signed-cookie sessions whose expiry a background poll does not push back.

    The idle timeout is the cookie signature's age (PERMANENT_SESSION_LIFETIME), renewed on each
    request. A page left open polls for its notification count; those polls must not keep an
    unattended session alive, so they call ``background_request()`` and the cookie is not renewed.
    """

    def should_set_cookie(self, app, session) -> bool:
        if request.environ.get("portal.background") and not session.modified:
            return False
        return super().should_set_cookie(app, session)


def background_request() -> None:
    """Mark this request as automatic (a poll): it does not count as activity for the idle timeout."""
    request.environ["portal.background"] = True


def safe_next(target: str | None) -> str | None:
    """A ?next= target only when it stays on this site (a path, not //host or a scheme)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


@login_manager.user_loader
def load_user(alt_id: str):
    from .people.models import User

    user_id, _, token = alt_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    from sqlalchemy.orm import joinedload

    # The layout shows the user's team on every page: fetch it with the user (one query, not two).
    user = db.session.get(User, int(user_id), options=[joinedload(User.team)])
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    return user


@policy(ANYONE)
def healthz():
    """Liveness for load balancers and the benchmark's floor: no database, no template, no session.

    The guard lets it through before looking at who is signed in (that would read the user row),
    and it is a background request, so a signed-in probe does not renew the session cookie.
    """
    background_request()
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


# Endpoints answered without loading the user: public, and they read no per-user state.
_BARE_ENDPOINTS = {"healthz"}


def init_app(app: Flask) -> None:
    app.session_interface = PortalSessionInterface()
    app.add_url_rule("/healthz", "healthz", healthz, methods=["GET"])
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "info"
    # No remember-me cookie: a session ends with its idle or absolute timeout.
    app.config["REMEMBER_COOKIE_DURATION"] = 0

    @app.before_request
    def fresh_request_globals():
        # Each request starts from an empty ``g``: Flask-Login and Flask-Babel cache the user and
        # locale there, and an app context that outlives one request (the test client re-uses
        # the test's) must not hand one request's user to the next.
        g.__dict__.clear()

    @app.before_request
    def enforce_policy():
        endpoint = request.endpoint
        if endpoint is None:  # no route matched: let the 404 handler answer
            return None
        rule = policy_for(endpoint)
        if rule is None:
            app.logger.error("route %s declares no policy: refused", endpoint)
            abort(403)
        if endpoint in _BARE_ENDPOINTS and rule.public:
            return None
        if current_user.is_authenticated:
            started = session.get("auth_at", 0)
            if time.time() - started > app.config["SESSION_ABSOLUTE_HOURS"] * 3600:
                logout_user()
                session.clear()
                flash(_l("Your session has expired. Please sign in again."), "info")
                return redirect(url_for("auth.login", next=request.full_path if request.method == "GET"
                                        else None))
            if current_user.must_change_password and endpoint not in _OPEN_WHILE_PASSWORD_EXPIRED:
                return redirect(url_for("auth.change_password"))
        if rule.allows(current_user):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        abort(403)

    @app.before_request
    def refuse_nul_characters():
        # No form or link of the portal sends a NUL character, and PostgreSQL can neither store nor
        # compare text holding one: such a request is a bad request, not a database error (500).
        sent = [*request.args.items(multi=True), *(request.view_args or {}).items()]
        if request.method not in ("GET", "HEAD") and request.mimetype in (
                "application/x-www-form-urlencoded", "multipart/form-data"):
            sent += request.form.items(multi=True)
        if any("\x00" in f"{key}{value}" for key, value in sent):
            abort(400)

    @app.after_request
    def security_headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", CSP)
        h["X-Content-Type-Options"] = "nosniff"
        h["X-Frame-Options"] = "DENY"
        h["Referrer-Policy"] = "same-origin"
        h["Cross-Origin-Opener-Policy"] = "same-origin"
        h["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        if app.config.get("HSTS"):
            h["Strict-Transport-Security"] = "max-age=31536000"
        if request.headers.get("HX-Request"):
            h.add("Vary", "HX-Request")
        # Decided from the cookie, not the user row: after the request's commit the row would be
        # read again (and on SQLite a POST would re-take the write lock for nothing).
        if request.endpoint != "static" and (request.environ.get("portal.db_down") or "_user_id" in session):
            h["Cache-Control"] = "no-store"
        return response
