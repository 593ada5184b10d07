"""Faults (issue 9): the database goes away mid-run and comes back; a request failing half-way.

(a) SQLite: the database file is moved away (or replaced by a file that is not a database) while
    gunicorn runs: pages answer 503 in the user's language, with nothing of the inside; once the file is
    back the portal answers normally again, without a restart.
(b) PostgreSQL: the server becomes unreachable (a TCP proxy between gunicorn and PostgreSQL is closed and
    its connections cut; the real server is left alone): 503 in the user's language; proxy back: recovered.
(c) A request that fails after writing some rows leaves none of them.
"""
from __future__ import annotations

import select
import socket
import threading

import pytest
from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlalchemy.engine import make_url

from portal.core.db import db

from . import seed
from .conftest import Client, postgres_only, sqlite_only

ZH_503 = "暂时无法连接数据库"
EN_503 = "database cannot be reached"


@pytest.fixture(scope="module")
def people(live_db) -> None:
    app = live_db.app()
    with app.app_context():
        t = seed.team("Fault A")
        seed.user("fault_zh", "rep", t, locale="zh_CN")
        seed.user("fault_en", "rep", t, locale="en")
        db.session.commit()


def _browsers(server) -> tuple[Client, Client]:
    # Each browser asks for the other language: the 503 page follows the user's own choice, not the browser's.
    zh, en = Client(server, language="en"), Client(server, language="zh-CN,zh;q=0.9")
    for client, name in ((zh, "fault_zh"), (en, "fault_en")):
        assert client.login(name, seed.PASSWORD).status == 302
    return zh, en


def _answers_normally(zh: Client, en: Client, tries: int = 4) -> None:
    for _ in range(tries):  # several requests, so that every worker answers some
        for client in (zh, en):
            resp = client.get("/")
            assert resp.status == 200, (resp.status, resp.body[:300])


def _answers_503(zh: Client, en: Client, tries: int = 4) -> None:
    for _ in range(tries):
        for client, text in ((zh, ZH_503), (en, EN_503)):
            for path in ("/", "/customers/"):
                resp = client.get(path)
                assert resp.status == 503, (path, resp.status, resp.body[:300])
                assert text in resp.body, resp.body[:300]
                assert "Traceback" not in resp.body and "sqlite" not in resp.body.lower()
                assert "psycopg" not in resp.body.lower() and "OperationalError" not in resp.body


@sqlite_only
@pytest.mark.parametrize("how", ["moved away", "replaced by a non-database file"])
def test_sqlite_file_gone_gives_503_then_recovers(live_db, sqlite_server, people, how):
    server = sqlite_server
    zh, en = _browsers(server)
    _answers_normally(zh, en)

    files = [live_db.path.with_name(live_db.path.name + suffix) for suffix in ("", "-wal", "-shm")]
    moved = []
    for f in files:
        if f.exists():
            f.rename(f.with_name(f.name + ".away"))
            moved.append(f)
    if how == "replaced by a non-database file":
        live_db.path.write_bytes(b"this is not a database\n" * 200)
    try:
        _answers_503(zh, en)
    finally:
        for f in files:
            if f.exists():
                f.unlink()
        for f in moved:
            f.with_name(f.name + ".away").rename(f)
    _answers_normally(zh, en)
    assert "Traceback" not in server.log_text()


@pytest.fixture(scope="module")
def sqlite_server(live_db, gunicorn):
    return gunicorn(live_db.url, workers=2)


class TcpProxy:
    """A TCP relay on 127.0.0.1 to a server; ``close()`` cuts it (listener and open connections), ``open()``
    restores it on the same port."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def open(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if self._listener is not listener:  # closed meanwhile
                    client.close()
                    upstream.close()
                    return
                self._conns += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, a: socket.socket, b: socket.socket) -> None:
        pair = {a: b, b: a}
        try:
            while True:
                ready, _, _ = select.select([a, b], [], [], 1.0)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        raise OSError("closed")
                    pair[s].sendall(data)
        except (OSError, ValueError):
            for s in (a, b):
                try:
                    s.close()
                except OSError:
                    pass


@postgres_only
def test_postgres_unreachable_gives_503_then_recovers(live_db, gunicorn, people):
    u = make_url(live_db.url)
    proxy = TcpProxy(u.host or "127.0.0.1", u.port or 5432).open()
    try:
        via_proxy = u.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        server = gunicorn(via_proxy, workers=2, env={
            "PORTAL_SQLALCHEMY_ENGINE_OPTIONS": '{"pool_pre_ping": true, "connect_args": {"connect_timeout": 5}}'})
        zh, en = _browsers(server)
        _answers_normally(zh, en)
        proxy.close()
        try:
            _answers_503(zh, en)
        finally:
            proxy.open()
        _answers_normally(zh, en)
        assert "Traceback" not in server.log_text()
    finally:
        proxy.close()


# (c) Nothing half-written --------------------------------------------------------------------------

def test_failed_reply_leaves_nothing_half_written(app, client, world, monkeypatch):
    """A thread reply writes the message, moves the thread's clock, marks it read and notifies; a failure
    at the last step leaves no message, no notification and the thread as it was."""
    from conftest import sign_in
    from samples_comms import _thread

    from portal.comms import services as comms_services
    from portal.comms.models import Thread, ThreadMessage
    from portal.notifications.models import Notification

    thread_id = _thread(world)
    before = db.session.get(Thread, thread_id).last_message_at
    counts = (db.session.scalar(sql_select(func.count()).select_from(ThreadMessage)),
              db.session.scalar(sql_select(func.count()).select_from(Notification)))
    db.session.expire_all()

    def broken_notify(*args, **kwargs):
        raise RuntimeError("the notification service failed half-way")

    monkeypatch.setattr(comms_services, "notify", broken_notify)
    sign_in(client, world.director_a)
    resp = client.post(f"/comms/threads/{thread_id}/reply", data={"body": "half-written?", "token": "t-1"})
    assert resp.status_code == 500
    assert "half-way" not in resp.get_data(as_text=True)

    db.session.expire_all()
    assert db.session.scalar(sql_select(func.count()).select_from(ThreadMessage).where(
        ThreadMessage.body == "half-written?")) == 0
    assert (db.session.scalar(sql_select(func.count()).select_from(ThreadMessage)),
            db.session.scalar(sql_select(func.count()).select_from(Notification))) == counts
    thread = db.session.get(Thread, thread_id)
    assert thread.last_message_at == before and thread.first_reply_at is None

    # The same reply, once the service works again, is written whole.
    monkeypatch.undo()
    resp = client.post(f"/comms/threads/{thread_id}/reply", data={"body": "written whole", "token": "t-2"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.scalar(sql_select(func.count()).select_from(ThreadMessage).where(
        ThreadMessage.body == "written whole")) == 1
    assert db.session.get(Thread, thread_id).first_reply_at is not None

