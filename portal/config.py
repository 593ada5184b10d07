"""Configuration: defaults here, then instance/config.py, then PORTAL_* environment variables.

DATABASE_URL (no prefix, as every host sets it) picks the database; without it the portal uses
SQLite in instance/. The secret key is generated into instance/ on first run.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

WEAK_SECRETS = {"dev", "secret", "change-me", "changeme", "development"}


class Defaults:
    # Security
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False  # set PORTAL_SESSION_COOKIE_SECURE=true behind HTTPS
    SESSION_COOKIE_NAME = "portal_session"
    # The signed cookie expires this long after the last request (the idle timeout) ...
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=60)
    SESSION_REFRESH_EACH_REQUEST = True
    # ... and a sign-in is good for this long whatever the activity (the absolute timeout).
    SESSION_ABSOLUTE_HOURS = 12
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    WTF_CSRF_HEADERS = ["X-CSRFToken"]
    HSTS = False
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    # How many reverse proxies (load balancers) sit in front of the portal and set X-Forwarded-For/-Proto:
    # 0 trusts none. Behind one, set PORTAL_PROXY_COUNT=1, or every sign-in failure would count against
    # the balancer's single address and throttling would lock the whole company out together.
    PROXY_COUNT = 0
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024

    # Login throttling (Flask-Limiter)
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "30 per 15 minutes"

    # Database
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SQLALCHEMY_RECORD_QUERIES = False

    # Language and region
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh_CN": "简体中文", "en": "English"}
    TIMEZONE = "Asia/Shanghai"

    # Lists
    PER_PAGE = 25

    # E-mail (off unless a server is named)
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_FROM = "portal@localhost"


def database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Hosts often hand out postgres:// URLs; SQLAlchemy wants the driver named.
        if url.startswith("postgres://"):
            url = "postgresql+psycopg://" + url[len("postgres://"):]
        elif url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return "sqlite:///" + str(Path(instance_path) / "portal.db")


def engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}}
    # psycopg prepares a statement on the server after a few runs; PostgreSQL then plans it for its values
    # five times and keeps a generic plan only where that costs no more (plan_cache_mode=auto, the
    # default). Session 3 forced a plan per run (force_custom_plan): a generic plan scanned the customer
    # table for the list's visibility ORs, since replaced by scope terms. Measured at F=1 on every main
    # page and four roles, auto is now never worse, and planning every run cost the customer page 1.5 of
    # its 2.5 ms of database CPU.
    return {"pool_pre_ping": True, "pool_recycle": 1800}


def instance_secret(instance_path: str) -> str:
    """The key in instance/secret_key, made on first run (readable by the owner only)."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def check_secret(app) -> None:
    """Refuse to serve with a guessable key outside development and tests."""
    key = app.config.get("SECRET_KEY") or ""
    if app.testing or app.debug:
        return
    if key.lower() in WEAK_SECRETS or len(key) < 24:
        raise RuntimeError("SECRET_KEY is a default or too short: set PORTAL_SECRET_KEY or remove it "
                           "to use the key generated in instance/secret_key")
