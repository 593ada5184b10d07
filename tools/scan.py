"""`make scan`: run the outside scanner wapiti against a running portal, once per role.

For each role the portal runs from a fresh copy of a scratch SQLite database holding the demo
company, under gunicorn with the settings of a real deployment: no debug, HTTPS (a throw-away
self-signed certificate for 127.0.0.1), Secure session cookie and HSTS. A small sign-in step
(standard library only) logs in as the role and hands wapiti the session cookie, exactly as the
server set it, in wapiti's JSON cookie-file format. wapiti then crawls and attacks within time
bounds and writes one JSON report per role into scan/results/. `tools/scan_report.py` judges them.

Run with the project's virtualenv (it needs Flask to seed); wapiti lives in `.venv-scan`
(see the Makefile). Nothing here touches instance/ or any other database.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import shutil
import socket
import ssl
import subprocess  # noqa: S404 - runs our own venv's tools with fixed argument lists
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "Demo-Portal-2026"  # noqa: S105 - the published demo password (portal/demo.py)
ROLES = {  # role -> demo account
    "rep": "li.na",
    "director": "zhao.director",
    "gm": "gm",
    "admin": "admin",
}
MODULES = "xss,sql,csrf,csp,http_headers,cookieflags"

# URLs the crawler must not request, each because it would end or spoil the scanning session
# (and so hide the rest of the site from the scan). The attack modules submit every form they
# found with a valid CSRF token, so these are real actions, not just links.
EXCLUDED = {
    "/logout": "signs the session out everywhere: everything after it would be scanned anonymously",
    "/account/password": "a changed password rotates the session token and signs the scanner out",
    "/people/*/reset-password": "the admin would reset accounts, forcing a password change at next request",
    "/people/*/active": "deactivates accounts, possibly the scanning one",
    "/language": "only sets the language; excluded so every page of a run is crawled in one language",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_certificate(tmp: Path) -> tuple[Path, Path]:
    cert, key = tmp / "cert.pem", tmp / "key.pem"
    subprocess.run(  # noqa: S603
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",  # noqa: S607
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True)
    return cert, key


def portal_env(database: Path, secret: str, https: bool = True) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAL_", "FLASK_"))}
    env.update({"DATABASE_URL": f"sqlite:///{database}", "PORTAL_SECRET_KEY": secret, "FLASK_APP": "portal"})
    if https:  # what SECURITY.md asks of a deployment behind HTTPS
        env.update({"PORTAL_SESSION_COOKIE_SECURE": "true", "PORTAL_HSTS": "true"})
    return env


def seed(bin_dir: Path, database: Path, secret: str) -> None:
    subprocess.run([str(bin_dir / "flask"), "--app", "portal", "setup"],  # noqa: S603
                   cwd=ROOT, env=portal_env(database, secret), check=True, stdout=subprocess.DEVNULL)


def _has_option(program: Path, option: str) -> bool:
    helptext = subprocess.run([str(program), "--help"], capture_output=True, text=True, check=False)  # noqa: S603
    return option in helptext.stdout


class Portal:
    """gunicorn serving one database over HTTPS on a free 127.0.0.1 port."""

    def __init__(self, bin_dir: Path, database: Path, secret: str, cert: Path | None, key: Path | None, log: Path):
        self.port = free_port()
        self.base = f"{'https' if cert else 'http'}://127.0.0.1:{self.port}/"
        self.access_log = log
        self.context = ssl.create_default_context(cafile=str(cert)) if cert else None
        tls = ["--certfile", str(cert), "--keyfile", str(key)] if cert else []
        # Recent gunicorns open a control socket at one fixed path: side-by-side portals would share it.
        tls += ["--no-control-socket"] if _has_option(bin_dir / "gunicorn", "--no-control-socket") else []
        # One sync worker: SQLite takes one writer at a time, and pages that write on GET (the
        # customer pool's on-open recycling) answered 503 (OperationalError) under two workers.
        self.process = subprocess.Popen(  # noqa: S603
            [str(bin_dir / "gunicorn"), "-w", "1", "-b", f"127.0.0.1:{self.port}", *tls, "--timeout", "60",
             "--access-logfile", str(log), "--error-logfile", str(log.with_suffix(".err")), "wsgi:app"],
            cwd=ROOT, env=portal_env(database, secret, https=cert is not None))

    def wait(self, seconds: float = 300) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}")
            try:
                urllib.request.urlopen(self.base + "login", context=self.context, timeout=5)  # noqa: S310
                return
            except OSError:
                time.sleep(0.5)
        raise SystemExit("the portal did not start in time")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def sign_in(portal: Portal, username: str, cookie_file: Path) -> None:
    """Sign in through the real login form and save the session cookie as wapiti's JSON cookie file."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=portal.context),
                                         urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(portal.base + "login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or \
        re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if token is None:
        raise SystemExit("no CSRF token on the login page")
    body = urllib.parse.urlencode({"csrf_token": token.group(1), "username": username,
                                   "password": PASSWORD, "next": ""}).encode()
    # Over HTTPS Flask-WTF also wants a same-origin Referer, as a browser sends.
    request = urllib.request.Request(portal.base + "login", data=body,  # noqa: S310 - our https URL
                                     headers={"Referer": portal.base + "login"})
    response = opener.open(request, timeout=30)
    if urllib.parse.urlsplit(response.geturl()).path == "/login":
        raise SystemExit(f"sign-in as {username} failed")
    cookies: dict = {}
    for cookie in jar:
        # wapiti keys IP-address cookies by the bare address (wapitiCore/net/jsoncookie.py)
        cookies.setdefault(cookie.domain, {}).setdefault(cookie.path, {})[cookie.name] = {
            "value": cookie.value, "expires": cookie.expires, "secure": cookie.secure,
            "port": None, "version": cookie.version,
        }
    if not any("portal_session" in by_path for paths in cookies.values() for by_path in paths.values()):
        raise SystemExit("no session cookie after sign-in")
    cookie_file.write_text(json.dumps(cookies, indent=2))


def run_wapiti(scan_bin: Path, portal: Portal, cookie_file: Path, report: Path, session_dir: Path,
               log: Path, scan_time: int, attack_time: int, depth: int, force: str, per_dir: int,
               section: str = "/") -> None:
    excluded = []
    for path in EXCLUDED:
        excluded += ["-x", portal.base.rstrip("/") + path]
    command = [
        str(scan_bin / "wapiti"), "-u", portal.base + section.lstrip("/"), "--scope", "folder",
        "-m", MODULES, "-c", str(cookie_file), *excluded,
        "-d", str(depth), "--max-scan-time", str(scan_time), "--max-attack-time", str(attack_time),
        "--flush-session", "--store-session", str(session_dir), "--store-config", str(session_dir),
        "--verify-ssl", "0", "--no-bugreport", "-f", "json", "-o", str(report), "-v", "1",
        "--tasks", "4", "-S", force, "--max-files-per-dir", str(per_dir),
        # A changed token only earns a 400 (the csrf module tests that separately): attack the real fields.
        "--skip", "csrf_token",
    ]
    with log.open("w") as out:
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, check=False)  # noqa: S603
    if done.returncode != 0 or not report.exists():
        raise SystemExit(f"wapiti failed ({done.returncode}); see {log}")


def served(access_log: Path) -> dict:
    """Requests the portal answered, by status, from gunicorn's access log."""
    statuses: dict[str, int] = {}
    for line in access_log.read_text(errors="replace").splitlines():
        match = re.search(r'" (\d{3}) ', line)
        if match:
            statuses[match.group(1)] = statuses.get(match.group(1), 0) + 1
    return statuses


def scan_role(role: str, args, tmp: Path, template: Path, secret: str, cert: Path, key: Path) -> dict:
    """One role, start to finish, on its own copy of the database and its own portal process."""
    started = time.monotonic()
    bin_dir, scan_bin, out = Path(args.venv) / "bin", Path(args.scan_venv) / "bin", Path(args.out)
    database = tmp / f"{role}.db"
    shutil.copy(template, database)
    access_log = out / f"{role}.access.log"
    portal = Portal(bin_dir, database, secret, cert, key, access_log)
    try:
        portal.wait()
        cookie_file = tmp / f"{role}.cookies.json"
        sign_in(portal, ROLES[role], cookie_file)
        run_wapiti(scan_bin, portal, cookie_file, out / f"{role}.json", tmp / f"session-{role}",
                   out / f"{role}.wapiti.log", args.scan_time, args.attack_time, args.depth, args.force,
                   args.per_dir, args.section)
    finally:
        portal.stop()
    return {"account": ROLES[role], "seconds": round(time.monotonic() - started), "served": served(access_log)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated roles to scan")
    parser.add_argument("--out", default=str(ROOT / "scan" / "results"))
    parser.add_argument("--scan-time", type=int, default=90, help="crawl seconds per role")
    parser.add_argument("--attack-time", type=int, default=90, help="seconds per attack module per role")
    parser.add_argument("--depth", type=int, default=6)
    parser.add_argument("--force", default="polite", help="wapiti -S: how many query-string variants to keep")
    parser.add_argument("--per-dir", type=int, default=8, help="pages crawled per directory (/customers/<id>...)")
    parser.add_argument("--section", default="/", help="scan only this folder, e.g. /training/ (a deeper look)")
    parser.add_argument("--plain-http", action="store_true",
                        help="serve plain HTTP with the default cookie settings (as `make run`), for comparison")
    parser.add_argument("--venv", default=str(ROOT / ".venv"))
    parser.add_argument("--scan-venv", default=str(ROOT / ".venv-scan"))
    args = parser.parse_args(argv)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    roles = [r for r in args.roles.split(",") if r]
    unknown = set(roles) - set(ROLES)
    if unknown:
        parser.error(f"unknown roles: {', '.join(sorted(unknown))}")

    started = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="portal-scan-"))
    try:
        secret = secrets.token_hex(32)
        cert, key = (None, None) if args.plain_http else make_certificate(tmp)
        template = tmp / "demo.db"
        seed(Path(args.venv) / "bin", template, secret)
        print(f"demo company seeded in {time.monotonic() - started:.0f}s", flush=True)
        # The roles run side by side (each with its own portal and database): the scan is bound by
        # time, so this gives each role several times the requests a one-after-another run would.
        runs = {}
        with ThreadPoolExecutor(max_workers=len(roles)) as pool:
            futures = {pool.submit(scan_role, role, args, tmp, template, secret, cert, key): role for role in roles}
            for future in as_completed(futures):
                role = futures[future]
                runs[role] = future.result()
                print(f"{role}: {runs[role]['seconds']}s, served {runs[role]['served']}", flush=True)
        (out / "run.json").write_text(json.dumps({
            "modules": MODULES.split(","), "excluded": EXCLUDED, "scan_time": args.scan_time,
            "attack_time": args.attack_time, "depth": args.depth, "force": args.force, "per_dir": args.per_dir,
            "https": not args.plain_http, "section": args.section, "roles": {role: runs[role] for role in roles},
            "seconds": round(time.monotonic() - started),
        }, indent=2, ensure_ascii=False))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"scan finished in {time.monotonic() - started:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
