"""A small closed-loop load generator: N threads, each with its own keep-alive connection and cookie.

Each client sends its next request as soon as the previous answer has been read in full, until
the time is up; every request's latency (send to last byte) is recorded with its status and the
X-Queries / X-Rows headers. gunicorn's sync workers close the connection after each answer;
http.client then reconnects by itself, so connection set-up is part of the latency, as it is
for a browser talking to such a server.
"""
from __future__ import annotations

import http.client
import re
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

from .stats import Sample

COOKIE = "portal_session"


class Session:
    """One signed-in person: a cookie, and the CSRF token their pages carry."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.cookie: str | None = None
        self.csrf: str | None = None
        self.conn = http.client.HTTPConnection(host, port, timeout=120)

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        hdrs = dict(headers or {})
        if self.cookie:
            hdrs["Cookie"] = f"{COOKIE}={self.cookie}"
        data = None
        if body is not None:
            data = urlencode(body, doseq=True)
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=data, headers=hdrs)
        resp = self.conn.getresponse()
        payload = resp.read()
        self._keep_cookie(resp)
        return resp, payload

    def _keep_cookie(self, resp) -> None:
        for header in resp.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(header)
            if COOKIE in jar:
                self.cookie = jar[COOKIE].value or None

    def sign_in(self, username: str, password: str) -> None:
        resp, payload = self.request("GET", "/login")
        token = csrf_from(payload.decode("utf-8", "replace"))
        resp, payload = self.request("POST", "/login", {"csrf_token": token, "username": username,
                                                        "password": password, "next": ""})
        if resp.status != 302 or not self.cookie:
            raise RuntimeError(f"sign-in as {username} failed: HTTP {resp.status}")
        location = resp.headers.get("Location", "")
        if "/login" in location or "password" in location:
            raise RuntimeError(f"sign-in as {username} did not land on a page ({location})")
        resp, payload = self.request("GET", "/")
        if resp.status != 200:
            raise RuntimeError(f"home page as {username}: HTTP {resp.status}")
        self.csrf = csrf_from(payload.decode("utf-8", "replace"))

    def clone(self) -> Session:
        other = Session(self.host, self.port)
        other.cookie, other.csrf = self.cookie, self.csrf
        return other

    def close(self) -> None:
        self.conn.close()


_CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
_CSRF_HEADER = re.compile(r'"X-CSRFToken":\s*"([^"]+)"')


def csrf_from(html: str) -> str | None:
    m = _CSRF_INPUT.search(html)
    if m:
        return m.group(1) or m.group(2)
    m = _CSRF_HEADER.search(html)
    return m.group(1) if m else None


@dataclass
class Target:
    """One request to repeat: what the page table calls a page."""

    name: str
    role: str | None  # None: anonymous
    path: str
    kind: str  # floor, reference, home, list, detail, form, report, export
    method: str = "GET"
    form: dict | None = None
    headers: dict = field(default_factory=dict)


def _header_int(resp, name):
    value = resp.headers.get(name)
    return int(value) if value is not None and value.isdigit() else None


def one_request(session: Session, target: Target) -> Sample:
    body = None
    headers = dict(target.headers)
    if target.method == "POST":
        body = {"csrf_token": session.csrf or "", **(target.form or {})}
        if session.csrf:
            headers["X-CSRFToken"] = session.csrf
    started = time.perf_counter()
    try:
        resp, _payload = session.request(target.method, target.path, body, headers)
    except (OSError, http.client.HTTPException):
        session.conn.close()
        return Sample(time.perf_counter() - started, 599)
    elapsed = time.perf_counter() - started
    return Sample(elapsed, resp.status, _header_int(resp, "X-Queries"), _header_int(resp, "X-Rows"),
                  hx_redirect=bool(resp.headers.get("HX-Redirect")))


def run_load(sessions: dict, target: Target, clients: int, duration: float) -> tuple[list[Sample], float]:
    """``clients`` threads hit ``target`` for ``duration`` seconds; the samples and the elapsed time."""
    base = sessions.get(target.role)
    samples: list[list[Sample]] = [[] for _ in range(clients)]
    own = [base.clone() if base else Session(*_anon_address(sessions)) for _ in range(clients)]
    barrier = threading.Barrier(clients + 1)
    deadline_box = {}

    def client(i: int) -> None:
        barrier.wait()
        deadline = deadline_box["deadline"]
        while time.perf_counter() < deadline:
            samples[i].append(one_request(own[i], target))

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline_box["deadline"] = started + duration
    barrier.wait()
    for t in threads:
        while t.is_alive():  # a timed join lets a signal (Ctrl-C, SIGTERM) through
            t.join(0.5)
    elapsed = time.perf_counter() - started
    for s in own:
        s.close()
    return [s for per in samples for s in per], elapsed


def _anon_address(sessions: dict) -> tuple[str, int]:
    any_session = next(iter(sessions.values()))
    return any_session.host, any_session.port
