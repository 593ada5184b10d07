"""The real portal under gunicorn: a fresh migrated database, servers in their own processes, HTTP clients.

The SQLite pass (``make test``) runs these on a scratch SQLite file; the PostgreSQL pass
(TEST_DATABASE_URL=postgresql+psycopg://…) on a uniquely named database created on that server and
dropped after. Tests that need Redis skip when no Redis answers (LIVE_REDIS_URL, default db 5 on
127.0.0.1:6379).
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urljoin, urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from portal import create_app
from portal.core.db import db

ROOT = Path(__file__).resolve().parents[2]
SECRET = "live-test-secret-key-" + "0123456789abcdef" * 2
REDIS_URL = os.environ.get("LIVE_REDIS_URL", "redis://127.0.0.1:6379/5")
START_TIMEOUT = float(os.environ.get("LIVE_START_TIMEOUT", "120"))
FAST_HASH = "pbkdf2:sha256:1000"
STOP_SIGNAL = getattr(signal, os.environ.get("LIVE_STOP_SIGNAL", "SIGTERM"))


def pytest_configure(config):
    config.addinivalue_line("markers", "live: runs the real portal under gunicorn processes")


def pytest_collection_modifyitems(items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.live)


# Backends ---------------------------------------------------------------------------------------

def pg_base_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL") or ""
    return url if url.startswith("postgresql") else None


def on_postgres() -> bool:
    return pg_base_url() is not None


def tcp_up(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=2).ping())
    except Exception:  # noqa: BLE001 - any failure means "no Redis here"
        return False


needs_redis = pytest.mark.skipif(not redis_up(), reason=f"no Redis answers at {REDIS_URL}")
sqlite_only = pytest.mark.skipif(on_postgres(), reason="SQLite variant: runs in the SQLite pass")
postgres_only = pytest.mark.skipif(not on_postgres(), reason="PostgreSQL variant: runs in the PostgreSQL pass "
                                                              "(TEST_DATABASE_URL=postgresql+psycopg://…)")


@pytest.fixture(scope="session")
def _postgres_server():
    url = pg_base_url()
    if url is None:
        return None
    u = make_url(url)
    if not tcp_up(u.host or "127.0.0.1", u.port or 5432):
        pytest.skip(f"PostgreSQL at {u.host}:{u.port} does not answer")
    return u


def _admin_engine(u):
    return create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=None)


def _migrate(url: str, tmp: Path) -> None:
    app = create_app(_app_config(url, tmp))
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(revision="heads")
        db.engine.dispose()


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory, _postgres_server):
    """One migrated database per session; each test gets a copy."""
    tmp = tmp_path_factory.mktemp("live-template")
    if _postgres_server is None:
        path = tmp / "template.db"
        _migrate(f"sqlite:///{path}", tmp)
        yield {"kind": "sqlite", "path": path}
        return
    u = _postgres_server
    name = f"{u.database}_live_tpl_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine(u)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - no CREATEDB right, no "postgres" database…
        admin.dispose()
        pytest.skip(f"cannot create a scratch database on {u.host}:{u.port}: {exc.__class__.__name__}")
    try:
        _migrate(u.set(database=name).render_as_string(hide_password=False), tmp)
        yield {"kind": "postgresql", "name": name, "server": u, "admin": admin}
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class LiveDb:
    url: str  # as gunicorn gets it in DATABASE_URL
    tmp: Path
    path: Path | None = None  # the SQLite file
    name: str | None = None  # the PostgreSQL database
    _apps: list = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "sqlite" if self.path else "postgresql"

    def app(self):
        """An app on this database, for seeding and checking rows (use inside ``with app.app_context()``)."""
        made = create_app(_app_config(self.url, self.tmp))
        self._apps.append(made)
        return made

    def close(self) -> None:
        for made in self._apps:
            with made.app_context():
                db.session.remove()
                db.engine.dispose()


def _app_config(url: str, tmp: Path) -> dict:
    return {"TESTING": True, "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url, "PASSWORD_HASH_METHOD": FAST_HASH,
            "UPLOAD_FOLDER": str(tmp / "uploads"), "MAIL_SERVER": "", "RATELIMIT_STORAGE_URI": "memory://",
            "SQLITE_IMMEDIATE_OUTSIDE_REQUESTS": False}


@pytest.fixture(scope="module")
def live_db(_template_db, tmp_path_factory):
    """A fresh migrated database of the pass's kind (a copy of the session's template), one per test module."""
    tmp_path = tmp_path_factory.mktemp("live")
    if _template_db["kind"] == "sqlite":
        path = tmp_path / "portal.db"
        shutil.copyfile(_template_db["path"], path)
        handle = LiveDb(url=f"sqlite:///{path}", tmp=tmp_path, path=path)
        try:
            yield handle
        finally:
            handle.close()
        return
    u, admin = _template_db["server"], _template_db["admin"]
    name = f"{u.database}_live_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{_template_db["name"]}"'))
    handle = LiveDb(url=u.set(database=name).render_as_string(hide_password=False), tmp=tmp_path, name=name)
    try:
        yield handle
    finally:
        handle.close()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="module")
def redis_prefix():
    """A key prefix of this test's own in the Redis db; its keys are deleted after."""
    import redis

    prefix = f"portal-live-{uuid.uuid4().hex[:12]}"
    yield prefix
    try:
        conn = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
        keys = list(conn.scan_iter(match=f"*{prefix}*", count=500))
        if keys:
            conn.delete(*keys)
    except Exception:  # noqa: BLE001,S110 - cleaning up is best effort
        pass


# Servers ----------------------------------------------------------------------------------------

def _gunicorn_has(setting: str) -> bool:
    from gunicorn.config import KNOWN_SETTINGS

    return any(s.name == setting for s in KNOWN_SETTINGS)


_HAS_CONTROL_SOCKET = _gunicorn_has("control_socket_disable")


class Gunicorn:
    """``gunicorn wsgi:app`` in its own process group, on a port the kernel picks, logging to a file."""

    def __init__(self, db_url: str, log_dir: Path, *, workers: int = 2, env: dict | None = None,
                 name: str = "gunicorn"):
        self.db_url = db_url
        self.workers = workers
        self.log = log_dir / f"{name}.log"
        self.access_log = log_dir / f"{name}.access.log"
        self.extra_env = env or {}
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
        env.update({
            "DATABASE_URL": self.db_url,
            "PORTAL_SECRET_KEY": SECRET,
            "PORTAL_PASSWORD_HASH_METHOD": FAST_HASH,
            "PORTAL_UPLOAD_FOLDER": str(self.log.parent / "uploads"),
            "PORTAL_MAIL_SERVER": "",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        return env

    def start(self) -> Gunicorn:
        return self.launch().wait_ready()

    def launch(self) -> Gunicorn:
        """Start the master (it binds a port the kernel picks and writes it to its log)."""
        self.log.write_text("")
        cmd = [sys.executable, "-m", "gunicorn", "-w", str(self.workers), "-b", "127.0.0.1:0",
               "--timeout", "120", "--graceful-timeout", "20", "--log-level", "info",
               "--error-logfile", str(self.log), "--access-logfile", str(self.access_log),
               "--access-logformat", "%(p)s %(m)s %(U)s %(s)s %(L)s"]
        if _HAS_CONTROL_SOCKET:  # gunicorn 24+: one control socket per user by default; these servers need none
            cmd.append("--no-control-socket")
        cmd.append("wsgi:app")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.environment(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self._deadline = time.monotonic() + START_TIMEOUT
        return self

    def wait_ready(self) -> Gunicorn:
        """Wait until every worker has booted and /login answers (workers import the app after the bind)."""
        while True:
            if self.port is None:
                found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.log_text())
                self.port = int(found.group(1)) if found else None
            if self.port is not None and self.log_text().count("Booting worker") >= self.workers:
                try:
                    if Client(self).get("/login", timeout=30).status == 200:
                        return self
                except OSError:
                    pass
            if self.proc.poll() is not None or time.monotonic() > self._deadline:
                log = self.log_text()
                self.stop()
                raise RuntimeError(f"gunicorn did not come up; its log:\n{log[-4000:]}")
            time.sleep(0.3)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def worker_pids(self) -> set[str]:
        return set(re.findall(r"Booting worker with pid: (\d+)", self.log_text()))

    def access_entries(self) -> list[tuple[str, str, str, str]]:
        """(pid, method, path, status) per answered request."""
        try:
            lines = self.access_log.read_text(errors="replace").splitlines()
        except FileNotFoundError:
            return []
        return [tuple(line.split()[:4]) for line in lines if len(line.split()) >= 4]

    def stop(self) -> None:
        self.signal_stop()
        self.wait_stopped()

    def signal_stop(self) -> None:
        """Ask the master to stop: SIGTERM, gunicorn's graceful shutdown (workers finish their request)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(STOP_SIGNAL)

    def wait_stopped(self) -> None:
        """Wait until every worker has left its serving loop ("Worker exiting": no request in flight) and
        the master has reaped them; the interpreters' own teardown (seconds on a loaded machine, with
        the big pinyin and holiday tables) is not waited for: the server's process group is killed."""
        proc = self.proc
        if proc is None:
            return
        deadline = time.monotonic() + 60
        booted = len(self.worker_pids())
        while proc.poll() is None and time.monotonic() < deadline:
            if self.log_text().count("Worker exiting") >= booted:
                try:
                    proc.wait(timeout=2)
                except subprocess.TimeoutExpired:
                    pass
                break
            time.sleep(0.2)
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait(timeout=30)
        self.proc = None


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """``gunicorn(db_url, workers=2, env={...})`` starts a server (``wait=False``: launched, not yet
    waited for: call ``.wait_ready()``); every server is stopped at the end of the test module."""
    started: list[Gunicorn] = []
    tmp_path = tmp_path_factory.mktemp("gunicorn")

    def start(db_url: str, *, workers: int = 2, env: dict | None = None, wait: bool = True) -> Gunicorn:
        server = Gunicorn(db_url, tmp_path, workers=workers, env=env, name=f"gunicorn{len(started) + 1}")
        started.append(server)
        server.launch()
        return server.wait_ready() if wait else server

    yield start
    for server in started:  # all at once: each master takes a few seconds to wind down
        server.signal_stop()
    for server in started:
        server.wait_stopped()


# HTTP clients -----------------------------------------------------------------------------------

@dataclass
class Response:
    status: int
    headers: dict
    body: str

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


class Client:
    """A browser's cookie and language against one or more servers; redirects are not followed."""

    def __init__(self, server: Gunicorn | None = None, language: str = "zh-CN,zh;q=0.9"):
        self.server = server
        self.language = language
        self.cookies: dict[str, str] = {}
        self.csrf: str | None = None

    def request(self, method: str, path: str, data: dict | list | None = None, *, server: Gunicorn | None = None,
                headers: dict | None = None, timeout: float = 120) -> Response:
        target = server or self.server
        body = urlencode(data, doseq=True) if data is not None else None
        head = {"Accept-Language": self.language, "Host": f"127.0.0.1:{target.port}"}
        if body is not None:
            head["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            head["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        head.update(headers or {})
        # Only setting up the connection is retried (a busy listen queue); a sent request never is.
        for attempt in range(5):
            conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=timeout)
            try:
                conn.connect()
                break
            except (TimeoutError, ConnectionRefusedError, ConnectionResetError):
                conn.close()
                if attempt == 4:
                    raise
                time.sleep(0.5 * (attempt + 1))
        try:
            conn.request(method, path, body=body, headers=head)
            resp = conn.getresponse()
            text_body = resp.read().decode("utf-8", errors="replace")
            headers_out = {k.lower(): v for k, v in resp.getheaders()}
            for raw in resp.headers.get_all("Set-Cookie") or []:
                pair = raw.split(";", 1)[0]
                key, _, value = pair.partition("=")
                if "max-age=0" in raw.lower() or "expires=thu, 01 jan 1970" in raw.lower():
                    self.cookies.pop(key.strip(), None)
                else:
                    self.cookies[key.strip()] = value.strip()
            return Response(resp.status, headers_out, text_body)
        finally:
            conn.close()

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict | list | None = None, **kw) -> Response:
        data = dict(data or {}) if not isinstance(data, list) else list(data)
        if self.csrf and isinstance(data, dict):
            data.setdefault("csrf_token", self.csrf)
        return self.request("POST", path, data, **kw)

    def fetch_csrf(self, path: str = "/login", **kw) -> str:
        page = self.get(path, **kw)
        found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.body) or \
            re.search(r'"X-CSRFToken": "([^"]+)"', page.body)
        assert found, f"no CSRF token on {path} ({page.status})"
        self.csrf = found.group(1)
        return self.csrf

    def login(self, username: str, password: str, next_url: str | None = None, **kw) -> Response:
        path = "/login" + (f"?{urlencode({'next': next_url})}" if next_url else "")
        self.fetch_csrf(path, **kw)
        resp = self.post(path, {"username": username, "password": password, "next": next_url or ""}, **kw)
        if resp.status == 302:
            self.csrf = None  # the session was renewed: the next form needs the new session's token
        return resp

    def session_cookie(self) -> str:
        return self.cookies["portal_session"]


def stays_on_site(location: str, server: Gunicorn) -> bool:
    """Where a browser goes with this Location (backslashes read as slashes, as browsers do) is this site."""
    resolved = urljoin(server.base + "/login", location.replace("\\", "/"))
    parts = urlsplit(resolved)
    return parts.scheme == "http" and parts.netloc == f"127.0.0.1:{server.port}"


def write_summary(tmp_path: Path, name: str, data: dict) -> Path:
    """Figures a test measured, kept next to its other scratch files (the repository stays clean)."""
    out = tmp_path / f"{name}.json"
    out.write_text(json.dumps(data, indent=2, sort_keys=True))
    return out


_FIGURES: list[tuple[str, dict]] = []


def record_figures(title: str, data: dict) -> None:
    """Figures printed in the terminal summary (shown with or without -s)."""
    _FIGURES.append((title, data))


def pytest_terminal_summary(terminalreporter):
    if _FIGURES:
        terminalreporter.section("live figures")
        for title, data in _FIGURES:
            terminalreporter.write_line(f"{title}: {json.dumps(data, sort_keys=True, ensure_ascii=False)}")
