"""Every registered route declares a policy, and answers each role the way that policy says."""
from __future__ import annotations

import pytest
from conftest import sample_factories, sign_in

from portal.authz import policy_for

ROLES_TO_WALK = ("anonymous", "rep_a", "director_b", "director_a", "gm", "admin", "rep_b")


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def test_every_route_declares_a_policy(app):
    with app.test_request_context():
        missing = [r.endpoint for r in _rules(app) if policy_for(r.endpoint) is None]
    assert missing == [], f"routes without a declared policy: {missing}"


def test_a_route_without_policy_is_refused(app, client, login_as):
    # Registered after the fact, without @policy: the guard refuses it even to the admin.
    app.add_url_rule("/undeclared", "undeclared", lambda: "open")
    login_as("admin")
    assert client.get("/undeclared").status_code == 403


def _person(world, who):
    return None if who == "anonymous" else getattr(world, who)


def _role(who):
    return {"anonymous": None, "rep_a": "rep", "rep_b": "rep", "director_a": "director",
            "director_b": "director", "gm": "gm", "admin": "admin"}[who]


def _url_for_rule(rule, values):
    from flask import url_for

    return url_for(rule.endpoint, **{arg: values[arg] for arg in rule.arguments})


@pytest.mark.parametrize("who", ROLES_TO_WALK)
def test_route_matrix(app, client, world, who):
    """GET every route as each role: refused roles get 403 (or sign-in), others never a 500.

    Records in URLs belong to team A (owned by rep_a): people of team B must get 403/404 on them.
    """
    factories = sample_factories()
    values: dict = {}
    person = _person(world, who)
    role = _role(who)
    failures = []
    for rule in _rules(app):
        with app.test_request_context():
            pol = policy_for(rule.endpoint)
        for arg in rule.arguments:
            if arg not in values:
                maker = factories.get(arg)
                values[arg] = maker(world) if maker else 1
        with app.test_request_context():
            url = _url_for_rule(rule, values)
        client.cookie_jar.clear() if hasattr(client, "cookie_jar") else None
        client.delete_cookie("portal_session") if hasattr(client, "delete_cookie") else None
        if person is not None:
            sign_in(client, person)
        methods = rule.methods - {"HEAD", "OPTIONS"}
        method = "GET" if "GET" in methods else sorted(methods)[0]
        if method != "GET" and (pol.public or (role in pol.roles)):
            continue  # an allowed POST would act; those are tested by each feature
        resp = client.open(url, method=method)
        status = resp.status_code
        resp.close()  # downloads stream a file
        if status >= 500:
            failures.append(f"{method} {url}: {status}")
            continue
        if person is None:
            if not pol.public and not (status == 302 and "/login" in resp.headers.get("Location", "")):
                failures.append(f"{method} {url}: anonymous got {status}")
            continue
        if role not in pol.roles and not pol.public:
            if status != 403:
                failures.append(f"{method} {url}: {who} ({role}) should be refused, got {status}")
            continue
        outsider = who in ("director_b", "rep_b") or (who == "rep_a" and False)
        if rule.arguments and outsider and any(a in factories for a in rule.arguments) \
                and rule.endpoint not in OPEN_TO_ALL_SIGNED_IN:
            if status not in (403, 404):
                failures.append(f"{method} {url}: {who} sees a team A record ({status})")
        elif status == 403:
            failures.append(f"{method} {url}: {who} is allowed by policy but got 403")
    assert failures == []


# Endpoints whose records every signed-in person may open whatever their team.
OPEN_TO_ALL_SIGNED_IN: set[str] = set()
