"""Fixtures: an app on a migrated database, clients, people factories and ``login_as``.

The suite runs on SQLite; with TEST_DATABASE_URL=postgresql+psycopg://… it runs on PostgreSQL.
The schema is built once per session by the migrations; each test empties the tables after it.
"""
from __future__ import annotations

import importlib
import os
import time
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import text

from portal import create_app
from portal.core.db import db

PASSWORD = "Correct-Horse-Battery-9"
_seq = count(1)


def _database_url(tmp_root: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_root / 'test.db'}"


def base_config(tmp_root: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": _database_url(tmp_root),
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        "UPLOAD_FOLDER": str(tmp_root / "uploads"),
        "MAIL_SERVER": "",
        "SQLITE_IMMEDIATE_OUTSIDE_REQUESTS": False,
    }


@pytest.fixture(scope="session")
def _schema(tmp_path_factory):
    """Migrate a fresh database once; tests share the schema, never the rows."""
    root = tmp_path_factory.mktemp("db")
    app = create_app(base_config(root))
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade(revision="heads")
        db.engine.dispose()
    return root


def _empty_tables():
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        quoted = ", ".join(f'"{t}"' for t in tables)
        db.session.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        for name in reversed(tables):
            db.session.execute(text(f'DELETE FROM "{name}"'))
    db.session.commit()


@pytest.fixture
def app_config(_schema):
    return base_config(_schema)


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.rollback()
            _empty_tables()
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def make_app(app_config):
    """Another app on the same database with some settings changed; its engine is closed after."""
    made = []

    def make(**overrides):
        other = create_app({**app_config, **overrides})
        made.append(other)
        return other

    yield make
    for other in made:
        with other.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# Factories -------------------------------------------------------------------------------------

@pytest.fixture
def make_team(app):
    from portal.people.models import Team

    def make(name: str | None = None, director=None, **kw) -> Team:
        team = Team(name=name or f"Team {next(_seq)}", director_id=director.id if director else None, **kw)
        db.session.add(team)
        db.session.commit()
        return team

    return make


@pytest.fixture
def make_user(app, make_team):
    from portal.auth.passwords import hash_password
    from portal.people.models import User

    hashed = {}

    def make(role: str = "rep", team=None, *, username: str | None = None, password: str = PASSWORD,
             **kw) -> User:
        if team is None and role in ("rep", "director"):
            team = make_team()
        if password not in hashed:
            hashed[password] = hash_password(password)
        n = next(_seq)
        user = User(username=username or f"{role}{n}", display_name=kw.pop("display_name", f"{role.title()} {n}"),
                    role=role, team_id=team.id if team else None, password_hash=hashed[password], **kw)
        db.session.add(user)
        db.session.commit()
        if role == "director" and team is not None and team.director_id is None:
            team.director_id = user.id
            db.session.commit()
        return user

    return make


def sign_in(client, user) -> None:
    """Put a signed-in session in the client's cookie, as the sign-in view would."""
    with client.session_transaction() as sess:
        sess.clear()
        sess.permanent = True
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess["auth_at"] = time.time()


@pytest.fixture
def login_as(client, make_user):
    """``login_as("director", team=t)`` makes a person with that role and signs the client in."""

    def login(role: str = "rep", team=None, user=None, **kw):
        user = user or make_user(role, team, **kw)
        sign_in(client, user)
        return user

    return login


class World:
    """Two teams, each with a director and reps, plus the GM and the administrator."""

    def __init__(self, make_team, make_user):
        self.team_a = make_team("Team A")
        self.team_b = make_team("Team B")
        self.director_a = make_user("director", self.team_a, username="dir_a")
        self.director_b = make_user("director", self.team_b, username="dir_b")
        self.rep_a = make_user("rep", self.team_a, username="rep_a")
        self.rep_a2 = make_user("rep", self.team_a, username="rep_a2")
        self.rep_b = make_user("rep", self.team_b, username="rep_b")
        self.gm = make_user("gm", username="the_gm")
        self.admin = make_user("admin", username="the_admin")


@pytest.fixture
def world(make_team, make_user):
    return World(make_team, make_user)


# Sample records for the route walk: each feature adds tests/samples_<feature>.py with
# FACTORIES = {"url_arg_name": function(world) -> value}, records owned by world.rep_a in team A.
def sample_factories() -> dict:
    factories = {}
    for path in sorted(Path(__file__).parent.glob("samples_*.py")):
        module = importlib.import_module(path.stem)
        factories.update(module.FACTORIES)
    return factories


@pytest.fixture
def two_workers(app, make_app):
    """``two_workers(user)``: [(app, client)] for this app and a second one on the same database (two
    gunicorn workers or hosts), each client signed in as ``user``."""

    def signed_in(user) -> list:
        pairs = []
        for worker in (app, make_app()):
            c = worker.test_client()
            with worker.app_context():
                sign_in(c, db.session.get(type(user), user.id))
            pairs.append((worker, c))
        return pairs

    return signed_in


def panel_on_each(pairs, name: str) -> list[str]:
    """The home-page panel ``name`` as each worker of ``two_workers(user)`` serves it, in English."""
    out = []
    for worker, c in pairs:
        with worker.app_context():
            out.append(c.get(f"/panels/{name}", headers={"Accept-Language": "en"}).get_data(as_text=True))
    return out


@pytest.fixture
def count_queries(app):
    """Counts SQL statements run inside the ``with`` block: ``with count_queries() as q: …; q.n``."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        box = type("Count", (), {"n": 0, "statements": []})()

        def before(conn, cursor, statement, params, context, executemany):
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
                box.n += 1
                box.statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield box
        finally:
            event.remove(db.engine, "before_cursor_execute", before)

    return counting


def fragment_urls(html: str) -> list[str]:
    """The URLs htmx loads into a page on arrival (home panels, profile sections)."""
    import re

    return [u.replace("&amp;", "&") for u in re.findall(r'hx-get="([^"]+)" hx-trigger="load"', html)]


def with_fragments(client, url: str) -> str:
    """A page as a browser shows it: the page and every fragment htmx loads into it on arrival."""
    html = client.get(url).get_data(as_text=True)
    return "\n".join([html] + [client.get(part).get_data(as_text=True) for part in fragment_urls(html)])


def home_html(client) -> str:
    return with_fragments(client, "/")
