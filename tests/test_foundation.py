"""The foundation: sign-in, sessions, passwords, people rules, headers, errors, audit, settings."""
from __future__ import annotations

import re
import time

import pytest
from conftest import PASSWORD, home_html, sign_in
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.core.db import db
from portal.people.models import TransferRequest, User


def _login(client, username, password=PASSWORD, next_url=None):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"username": username, "password": password,
                                  "next": next_url or ""})


# Signing in ------------------------------------------------------------------------------------

def test_sign_in_and_out(client, make_user):
    user = make_user("rep", username="li")
    resp = _login(client, "li")
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    resp = client.post("/logout")
    assert resp.status_code == 302
    assert client.get("/").status_code == 302
    kinds = db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == user.id)).all()
    assert "login" in kinds and "logout" in kinds


def test_wrong_password_keeps_username_and_is_audited(client, make_user):
    make_user("rep", username="zhang")
    resp = _login(client, "zhang", "wrong-password-123")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'value="zhang"' in html and "invalid-feedback" in html
    failed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "login_failed")).all()
    assert len(failed) == 1 and failed[0].actor_name == "zhang" and failed[0].ip


def test_deactivated_user_cannot_sign_in(client, make_user):
    make_user("rep", username="gone", active=False)
    assert _login(client, "gone").status_code == 200
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("target,expected", [
    ("/people/account", "/people/account"),
    ("https://evil.example/x", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_never_leaves_the_site(client, make_user, target, expected):
    make_user("rep", username="nx")
    resp = _login(client, "nx", next_url=target)
    assert resp.headers["Location"] == expected


def test_login_throttled_per_account(app, client, make_user):
    make_user("rep", username="victim")
    for _ in range(5):
        assert _login(client, "victim", "not-the-password").status_code == 200
    assert _login(client, "victim", "not-the-password").status_code == 429
    # Even the right password waits once the account is throttled.
    resp = _login(client, "victim")
    assert resp.status_code == 429
    assert "Too many attempts" in resp.get_data(as_text=True) or "尝试次数过多" in resp.get_data(as_text=True)


def test_login_throttled_per_address(make_app, make_user):
    app = make_app(LOGIN_LIMIT_PER_ADDRESS="3 per 15 minutes")
    client = app.test_client()
    for n in range(3):
        assert _login(client, f"nobody{n}", "x-wrong-password").status_code == 200
    assert _login(client, "nobody9", "x-wrong-password").status_code == 429


def test_successful_logins_do_not_count(client, make_user):
    make_user("rep", username="often")
    for _ in range(7):
        assert _login(client, "often").status_code == 302
        client.post("/logout")


# Sessions --------------------------------------------------------------------------------------

def _cookie(client):
    return client.get_cookie("portal_session").value


def test_logout_invalidates_copied_cookie(app, client, make_user):
    make_user("rep", username="copy")
    _login(client, "copy")
    stolen = _cookie(client)
    client.post("/logout")
    other = app.test_client()
    other.set_cookie("portal_session", stolen)
    assert other.get("/").status_code == 302


def test_password_change_invalidates_other_sessions(app, client, make_user):
    make_user("rep", username="chg")
    _login(client, "chg")
    other = app.test_client()
    _login(other, "chg")
    resp = client.post("/account/password", data={"current_password": PASSWORD,
                                                   "new_password": "A-much-better-passphrase-7",
                                                   "confirm": "A-much-better-passphrase-7"})
    assert resp.status_code == 302
    assert client.get("/").status_code == 200  # this browser stays signed in
    assert other.get("/").status_code == 302  # the other one is out


def test_deactivation_ends_sessions(app, client, world):
    sign_in(client, world.rep_a)
    assert client.get("/").status_code == 200
    admin = app.test_client()
    sign_in(admin, world.admin)
    assert admin.post(f"/people/{world.rep_a.id}/active", data={"active": "0"}).status_code == 302
    assert client.get("/").status_code == 302


def test_absolute_timeout(app, client, make_user):
    user = make_user("rep")
    sign_in(client, user)
    with client.session_transaction() as sess:
        sess["auth_at"] = time.time() - 13 * 3600
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_idle_timeout(make_app, make_user):
    from datetime import timedelta

    app = make_app(PERMANENT_SESSION_LIFETIME=timedelta(seconds=1))
    client = app.test_client()
    user = make_user("rep")
    sign_in(client, user)
    assert client.get("/").status_code == 200
    time.sleep(2.1)
    assert client.get("/").status_code == 302


# Passwords ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("new,ok", [
    ("short-pw", False),
    ("password1234", False),
    ("aaaaaaaaaaaaaaa", False),
    ("123456789012", False),
    ("pw-with-chgx-name", False),
    ("Spring rain on the Bund 2026", True),
])
def test_password_rules(client, make_user, new, ok):
    make_user("rep", username="chgx")
    _login(client, "chgx")
    resp = client.post("/account/password", data={"current_password": PASSWORD, "new_password": new,
                                                   "confirm": new})
    assert (resp.status_code == 302) is ok


def test_passwords_are_hashed(make_user):
    user = make_user("rep")
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("pbkdf2:", "scrypt:"))


def test_reset_forces_new_password(app, client, world):
    sign_in(client, world.admin)
    resp = client.post(f"/people/{world.rep_a.id}/reset-password", follow_redirects=True)
    temp = re.search(r"([A-Za-z0-9]{5}-[A-Za-z0-9]{5}-[A-Za-z0-9]{5})", resp.get_data(as_text=True)).group(1)
    rep = app.test_client()
    assert _login(rep, "rep_a", temp).headers["Location"] == "/account/password"
    assert rep.get("/people/account").status_code == 302  # everything else waits
    resp = rep.post("/account/password", data={"current_password": temp, "new_password": "Fresh start in 2027!",
                                               "confirm": "Fresh start in 2027!"})
    assert resp.headers["Location"] == "/"
    assert rep.get("/people/account").status_code == 200


# People rules ----------------------------------------------------------------------------------------

def test_director_creates_rep_in_own_team_only(client, world):
    sign_in(client, world.director_a)
    resp = client.post("/people/new", data={"username": "new.rep", "display_name": "新人", "role": "rep",
                                            "team_id": world.team_a.id})
    assert resp.status_code == 302
    made = db.session.scalar(select(User).where(User.username == "new.rep"))
    assert made.team_id == world.team_a.id and made.must_change_password
    resp = client.post("/people/new", data={"username": "sneaky", "display_name": "X", "role": "rep",
                                            "team_id": world.team_b.id})
    assert resp.status_code == 200  # the form comes back with the error beside the field
    assert db.session.scalar(select(User).where(User.username == "sneaky")) is None
    resp = client.post("/people/new", data={"username": "boss", "display_name": "X", "role": "gm",
                                            "team_id": world.team_a.id})
    assert resp.status_code == 200 and db.session.scalar(select(User).where(User.username == "boss")) is None


def test_bad_input_keeps_values(client, world):
    sign_in(client, world.admin)
    resp = client.post("/people/new", data={"username": "bad name!", "display_name": "保留的名字", "role": "rep",
                                            "team_id": world.team_a.id})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "保留的名字" in html and "is-invalid" in html


def test_a_field_writes_its_label_help_and_errors_escaped(app):
    """templating.field: the layout every form shares, each value escaped, the widgets' own markup kept."""
    from markupsafe import Markup
    from werkzeug.datastructures import MultiDict
    from wtforms import BooleanField, StringField
    from wtforms.validators import DataRequired

    from portal.core.forms import PortalForm
    from portal.templating import field

    class Sample(PortalForm):
        name = StringField("Name <b>", validators=[DataRequired()], description="Say & <i>who</i>")
        agree = BooleanField("Agree")

    with app.test_request_context("/"):
        form = Sample(formdata=MultiDict({"name": ""}), meta={"csrf": False})
        form.validate()
        html = field(form.name, class_='col-4 "x"')
        assert isinstance(html, Markup)
        assert html == (
            '<div class="mb-3 col-4 &#34;x&#34;">\n  <label class="form-label" for="name">Name &lt;b&gt;'
            '<span class="text-danger" aria-hidden="true"> *</span></label>\n  '
            '<input aria-describedby="name-help" class="form-control is-invalid" id="name" name="name" required '
            'type="text" value="">\n  <div id="name-help" class="form-text">Say &amp; &lt;i&gt;who&lt;/i&gt;</div>\n  '
            f'<div class="invalid-feedback">{form.name.errors[0]}</div>\n</div>')
        assert field(form.name, label="<x>", hint=Markup("<i>ok</i>")).count("<i>ok</i>") == 1
        assert "&lt;x&gt;" in field(form.name, label="<x>")
        box = field(form.agree)
        assert box.startswith('<div class="form-check mb-3 ">') and 'class="form-check-input"' in box
        assert '<label class="form-check-label" for="agree">Agree</label>' in box


def test_duplicate_username_refused(client, world):
    sign_in(client, world.admin)
    resp = client.post("/people/new", data={"username": "REP_A", "display_name": "dup", "role": "rep",
                                            "team_id": world.team_a.id})
    assert resp.status_code == 200 and "is-invalid" in resp.get_data(as_text=True)


def test_director_cannot_touch_other_team(client, world):
    sign_in(client, world.director_b)
    assert client.get(f"/people/{world.rep_a.id}").status_code == 404
    assert client.post(f"/people/{world.rep_a.id}/active", data={"active": "0"}).status_code == 404
    assert db.session.get(User, world.rep_a.id).active


def test_director_list_shows_own_team(client, world):
    sign_in(client, world.director_a)
    html = client.get("/people/?status=all").get_data(as_text=True)
    assert "rep_a" in html and "rep_b" not in html


def test_rep_sees_only_self(client, world):
    sign_in(client, world.rep_a)
    assert client.get(f"/people/{world.rep_a.id}").status_code == 200
    assert client.get(f"/people/{world.rep_a2.id}").status_code == 404
    assert client.get("/people/").status_code == 403


def test_transfer_request_and_decision(app, client, world):
    sign_in(client, world.director_a)
    resp = client.post(f"/people/{world.rep_a.id}/transfer", data={"to_team_id": world.team_b.id,
                                                                  "reason": "moving to Beijing"})
    assert resp.status_code == 302
    req = db.session.scalar(select(TransferRequest))
    assert req.status == "pending"
    gm = app.test_client()
    sign_in(gm, world.gm)
    assert gm.post(f"/people/transfers/{req.id}", data={"decision": "approve"}).status_code == 302
    db.session.refresh(req)
    assert req.status == "approved" and db.session.get(User, world.rep_a.id).team_id == world.team_b.id


def test_admin_creates_team_with_director(client, world, make_user):
    director = make_user("director", world.team_b, username="newdir")
    sign_in(client, world.admin)
    resp = client.post("/people/teams/new", data={"name": "华南区", "region": "广东", "director_id": director.id,
                                                  "parent_id": 0})
    assert resp.status_code == 302
    resp = client.post("/people/teams/new", data={"name": "华南区", "director_id": 0, "parent_id": 0})
    assert resp.status_code == 200 and "is-invalid" in resp.get_data(as_text=True)


# Security headers and errors -----------------------------------------------------------------------

def test_security_headers_everywhere(client, make_user):
    for url in ("/login", "/nope-404", "/static/css/portal.css"):
        resp = client.get(url)
        csp = resp.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        resp.close()
    sign_in(client, make_user("rep"))
    resp = client.get("/")
    assert resp.headers["Cache-Control"] == "no-store"
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_no_inline_script_or_style(client, world):
    sign_in(client, world.gm)
    for url in ("/", "/people/", f"/people/{world.rep_a.id}", "/audit/", "/login"):
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", html), url
        assert "<style" not in html and " style=" not in html and "onclick" not in html, url


def test_error_pages_in_both_languages(client, make_user):
    resp = client.get("/nope", headers={"Accept-Language": "en"})
    assert resp.status_code == 404 and "Not found" in resp.get_data(as_text=True)
    resp = client.get("/nope", headers={"Accept-Language": "zh-CN"})
    assert "未找到" in resp.get_data(as_text=True)


def test_500_reveals_nothing(app, client):
    from portal.authz import ANYONE, policy

    @policy(ANYONE)
    def boom():
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", "boom", boom)
    resp = client.get("/boom")
    assert resp.status_code == 500
    body = resp.get_data(as_text=True)
    assert "secret internals" not in body and "Traceback" not in body
    assert "Content-Security-Policy" in resp.headers


def test_csrf_required_when_enabled(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    make_user("rep", username="csrfuser")
    resp = client.post("/login", data={"username": "csrfuser", "password": PASSWORD})
    assert resp.status_code == 400
    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    resp = client.post("/login", data={"username": "csrfuser", "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302
    # htmx requests carry the token in a header, read from the page's hx-headers.
    page = home_html(client)
    header_token = re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)
    resp = client.post("/language", data={"locale": "en"}, headers={"X-CSRFToken": header_token})
    assert resp.status_code == 302
    assert client.post("/language", data={"locale": "en"}).status_code == 400


def test_refuses_weak_secret_in_production(make_app):
    with pytest.raises(RuntimeError):
        make_app(TESTING=False, DEBUG=False, SECRET_KEY="dev")


def test_secret_generated_into_instance(tmp_path):
    from portal.config import instance_secret

    key = instance_secret(str(tmp_path))
    assert len(key) == 64 and instance_secret(str(tmp_path)) == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


# Language -------------------------------------------------------------------------------------------

def test_language_choice_is_kept_on_profile(client, make_user):
    user = make_user("rep", locale="zh_CN")
    sign_in(client, user)
    assert "首页" in home_html(client)
    client.post("/language", data={"locale": "en", "next": "/"})
    assert db.session.get(User, user.id).locale == "en"
    assert "Home" in home_html(client)


def test_accept_language_on_sign_in_page(client):
    assert "Sign in" in client.get("/login", headers={"Accept-Language": "en-US,en"}).get_data(as_text=True)
    assert "登录" in client.get("/login", headers={"Accept-Language": "zh-CN,zh"}).get_data(as_text=True)


def test_company_default_locale(client, make_user):
    from portal.core import settings

    settings.put("default_locale", "en")
    db.session.commit()
    assert "Sign in" in client.get("/login").get_data(as_text=True)


def test_money_formatting(app, make_user):
    from decimal import Decimal

    from portal.i18n import money

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert money(Decimal("1234567")) == "¥1,234,567.00"
        assert money(Decimal("1234567"), style="wan") == "123.46 万元"
        assert money(Decimal("-5.005")) == "-¥5.01"


# Audit -------------------------------------------------------------------------------------------------

def test_record_changes_are_audited(client, world):
    sign_in(client, world.admin)
    client.post(f"/people/{world.rep_a.id}/edit", data={"display_name": "New Name", "role": "rep",
                                                         "team_id": world.team_b.id})
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "user",
                                                          AuditEntry.object_id == str(world.rep_a.id))).all()
    update = [e for e in entries if e.action == "update"][-1]
    assert update.actor_id == world.admin.id
    assert update.changes["display_name"][1] == "New Name" and update.changes["team_id"][1] == world.team_b.id
    assert "password_hash" not in update.changes
    assert any(e.action == "role_team_changed" for e in entries)


def test_audit_browser_filters(client, world):
    sign_in(client, world.gm)
    html = client.get(f"/audit/?actor={world.gm.id}&action=create").get_data(as_text=True)
    assert client.get("/audit/?from=2020-01-01&to=2099-01-01&object_type=user").status_code == 200
    assert "audit" in html.lower()


# CLI ----------------------------------------------------------------------------------------------------

def test_create_user_cli(runner):
    result = runner.invoke(args=["create-user", "--username", "boss", "--name", "Boss", "--role", "gm",
                                 "--password", "Another long passphrase 1"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.username == "boss")).role == "gm"
    bad = runner.invoke(args=["create-user", "--username", "x1", "--name", "X", "--role", "rep",
                              "--password", "short"])
    assert bad.exit_code != 0


def test_seed_demo_cli(runner):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "zhao.director" in result.output
    assert db.session.scalar(select(User).where(User.username == "gm")).role == "gm"
    again = runner.invoke(args=["seed-demo"])
    assert again.exit_code != 0


def test_background_poll_does_not_renew_session(app, client, make_user):
    from portal.authz import SIGNED_IN, policy
    from portal.security import background_request

    @policy(SIGNED_IN)
    def poll():
        background_request()
        return "0"

    app.add_url_rule("/poll-test", "poll_test", poll)
    sign_in(client, make_user("rep"))
    assert "portal_session" in client.get("/").headers.get("Set-Cookie", "")
    resp = client.get("/poll-test")
    assert resp.status_code == 200 and "Set-Cookie" not in resp.headers


def test_oversized_request_gets_413_page(make_app, make_user):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    resp = client.post("/login", data={"username": "x" * 5000, "password": "y"})
    assert resp.status_code == 413
    assert "File too large" in resp.get_data(as_text=True) or "文件过大" in resp.get_data(as_text=True)


def test_database_down_gives_503_in_users_language(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/nothing",
                   SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}})
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = "1:token"
        sess["auth_at"] = time.time()
    resp = client.get("/", headers={"Accept-Language": "en"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 503 and "database cannot be reached" in body and "Traceback" not in body
    resp = client.get("/", headers={"Accept-Language": "zh-CN"})
    assert resp.status_code == 503 and "暂时无法连接数据库" in resp.get_data(as_text=True)


def _redis_up() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_throttling_counts_across_workers_with_redis(make_app, make_user):
    import uuid

    # Two app instances stand for two gunicorn workers (or hosts) sharing one Redis.
    prefix = f"test-{uuid.uuid4().hex}"
    conf = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0", "RATELIMIT_KEY_PREFIX": prefix,
            "LOGIN_LIMIT_PER_ACCOUNT": "4 per 15 minutes"}
    one, two = make_app(**conf).test_client(), make_app(**conf).test_client()
    make_user("rep", username="shared")
    for client in (one, two, one, two):
        assert _login(client, "shared", "wrong-password-xx").status_code == 200
    assert _login(one, "shared", "wrong-password-xx").status_code == 429
    assert _login(two, "shared").status_code == 429


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(make_app, make_user):
    """With PROXY_COUNT=1 the throttle and the audit log see the user's address, not the balancer's."""
    app = make_app(PROXY_COUNT=1)
    with app.app_context():
        user = make_user("rep")
        client = app.test_client()
        client.post("/login", data={"username": user.username, "password": "wrong-password-123"},
                    headers={"X-Forwarded-For": "10.1.2.3"}, environ_base={"REMOTE_ADDR": "192.0.2.1"})
        ips = db.session.scalars(select(AuditEntry.ip).where(AuditEntry.action == "login_failed")).all()
        assert ips == ["10.1.2.3"]


def test_postgresql_chooses_between_a_plan_per_run_and_a_kept_one(app, world, client, login_as):
    """PostgreSQL's own choice (plan_cache_mode=auto, see config.engine_options): no connection option
    overrides it. The lists' statements, prepared after psycopg's fifth run, still give the right rows."""
    from sqlalchemy import text

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    assert db.session.scalar(text("SHOW plan_cache_mode")) == "auto"
    from samples_customers import customer

    mine, theirs = customer(world.rep_a, name="甲方客户"), customer(world.rep_b, name="乙方客户")
    login_as(user=world.director_a)
    for _ in range(8):  # past psycopg's prepare threshold and PostgreSQL's five custom plans
        html = client.get("/customers/").get_data(as_text=True)
        assert mine.name in html and theirs.name not in html


def test_settings_are_kept_per_worker_until_a_setting_is_written(app, world, two_workers, count_queries):
    """Two workers on one database read the settings once, then from memory; a written setting is seen
    by both on their next request (its token is read instead of the table: one row, not one per team)."""

    from portal.core import settings

    settings.put("company_name", "甲公司")
    db.session.commit()
    clients = two_workers(world.rep_a)

    def page(worker, c) -> tuple[str, int]:
        with worker.app_context():
            with count_queries() as q:
                html = c.get("/").get_data(as_text=True)
        return html, sum(1 for s in q.statements if "FROM setting" in s)

    for worker, c in clients:
        page(worker, c)
        html, reads = page(worker, c)
        assert "甲公司" in html and reads == 0
    with app.app_context():
        settings.put("company_name", "乙公司")
        db.session.commit()
    for worker, c in clients:
        html, reads = page(worker, c)
        assert "乙公司" in html and "甲公司" not in html and reads == 1


def test_filter_options_escape_and_mark_the_chosen_one():
    from portal.templating import options

    html = str(options([(1, "王<伟>"), (12, "李娜"), ("a&b", 'x"y')], "12"))
    assert html == ('<option value="1">王&lt;伟&gt;</option><option value="12" selected>李娜</option>'
                    '<option value="a&amp;b">x&#34;y</option>')
    assert " selected" not in str(options([(1, "a")], None)) and " selected" in str(options([(1, "a")], 1))
