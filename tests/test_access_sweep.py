"""Record-level access sweep (issue #9 "Proven safe").

One record of every type is made in team A, owned by world.rep_a, each carrying a marker string
(tests/sweep_records.py). Then:

* every route of ``app.url_map`` that names a record in its URL is requested (GET for GET routes, POST
  with an innocuous body plus the record's own fields for POST routes) as people who must not reach it:
  rep_a2 (same team, not the owner), rep_b and director_b (team B; director_b asks as htmx does) and an
  anonymous visitor. Each must get 403/404 (the anonymous visitor: a redirect to sign-in) and no marker
  may appear in what comes back (pages, fragments, CSV bytes, the XML inside an XLSX). A refused
  request writes nothing: the request's transaction is rolled back on 4xx (portal/transactions.py).
  What rep_a2 may legitimately reach is allowlisted below, per route, with the rule that allows it;
* routes naming two records are tried with one record of team B (the poster's own) and one of team A;
* every page without a record argument (lists, search, exports, panels, inbox, calendars…) as team-B
  users, plain and with team-A filters in the query string, shows no team-A marker; nor do team B's own
  record pages (pickers and suggestions on them);
* create forms taking an owner, customer, team, contract, instalment, stage, contact, course, question
  or linked-record id refuse team A's ids (nothing lands in team A) while the same form with the
  poster's own ids saves (the control that proves the case is valid);
* the control of the markers: the owner and the director do see them.

Routes are discovered, not listed: a new route with a record argument is swept automatically, and an
argument nobody knows how to fill fails the sweep (add the record to tests/sweep_records.py or a
tests/samples_<feature>.py factory).
"""
from __future__ import annotations

import inspect
import io
import itertools
import time
import zipfile

from conftest import sample_factories, sign_in
from sweep_records import MARK, build

from portal.authz import policy_for

OUTSIDERS = ("anonymous", "rep_b", "director_b", "rep_a2")

# URL arguments that name no record (a format, a list, a metric): routes with only these are lists.
NON_RECORD_ARGS = {
    "fmt": ["csv", "xlsx"],
    "metric": ["calls", "visits", "new_customers", "sales"],
    "list_kind": ["stages", "reasons"],
    "chain_kind": ["contract", "expense"],
    "name": [],  # home panels and profile sections: every registered one (filled in by _panel_names)
}


def _panel_names() -> list[str]:
    from portal.people.profile import SECTIONS
    from portal.ui import PANELS

    return sorted({p.name for p in PANELS} | {s.name for s in SECTIONS})

# An innocuous form body posted to every POST route (the record's own fields are added to it).
FORM = {
    "title": "sweep", "name": "sweep", "body": "sweep", "text": "sweep", "comment": "sweep", "reason": "sweep",
    "summary": "sweep", "note": "sweep", "answer": "sweep", "decision": "approve", "action": "approve",
    "amount": "1.00", "probability": "10", "position": "1", "active": "y", "status": "active", "progress": "50",
    "kind": "visit", "direction": "up", "until": "2030-01-01", "comment_text": "sweep", "completion_report": "sweep",
    "self_assessment": "sweep", "grade": "A", "paid_on": "2026-01-05", "due_on": "2030-01-01",
}


# What an outsider may legitimately reach, per endpoint, derived from the portal's rules: who, why,
# which record variants (by kind; None = every variant) and which markers may then show. Everything
# else must be refused with 403/404 and show no marker.
ALLOW: dict[str, list[dict]] = {}


def allow(endpoints, who, why, kinds=None, markers=(), check=None):
    """``check(resp, records)``: what the allowed answer must still satisfy."""
    for endpoint in endpoints.split():
        ALLOW.setdefault(endpoint, []).append({"who": set(who.split()), "why": why, "kinds": kinds,
                                               "markers": set(markers), "check": check})


# Company-wide lists (no team): every director and the GM keep them (plans.services.save_profile).
allow("plans.profile_edit", "director_b", "seasonal profiles are company-wide; directors and the GM edit them",
      markers={"seasonal_profile"})
# Market information is shared with the whole team (customers.access.can_see_market_info).
allow("customers.market_info", "rep_a2", "market information is read by the whole team", markers={"market_info"})
# A rep opening a cycle is sent to their own sheet in it (appraisals.views.cycle).
allow("appraisals.cycle", "rep_a2", "redirects a rep to their own sheet of the cycle",
      check=lambda resp, records: resp.status_code == 302
      and not resp.headers["Location"].endswith(f"/appraisals/{records.objects['appraisal'].id}"))
# The team's public pool: its reps see and claim its customers (customers.access._in_pool_of, can_claim).
allow("customers.detail customers.pool_claim customers.claim", "rep_a2",
      "reps see and claim their team's public pool", kinds={"pool_customer"}, markers={"pool_customer"})
# The pipeline board's columns are the team's stages; a column's next cards show only the opportunities
# the rep may see (customers.views_opportunities.pipeline_more, record_scope).
allow("customers.pipeline_more", "rep_a2", "the board's stages are the whole team's; its cards are scoped",
      markers={"stage"})


class Sweep:
    def __init__(self, app, world):
        self.app = app
        self.world = world
        self.requests = 0
        self.pairs: set[tuple[str, str, str]] = set()
        self.failures: list[str] = []
        self.clients = {}
        for who in OUTSIDERS:
            client = app.test_client()
            if who != "anonymous":
                sign_in(client, getattr(world, who))
            self.clients[who] = client

    def request(self, who, method, url, data=None):
        self.requests += 1
        # director_b asks as htmx does, so the views' fragment branches are swept too.
        headers = {"HX-Request": "true"} if who == "director_b" else {}
        resp = self.clients[who].open(url, method=method, data=data, headers=headers)
        body = resp.get_data()
        resp.close()
        return resp, body


def body_text(data: bytes) -> bytes:
    """The bytes to search: an XLSX (a zip) is unzipped and its XML parts joined."""
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                return b"\n".join(z.read(n) for n in z.namelist() if n.endswith((".xml", ".rels")))
        except zipfile.BadZipFile:
            return data
    return data


def markers_in(data: bytes, extra: dict[str, list[str]]) -> set[str]:
    text = body_text(data).decode("utf-8", "replace")
    found = set()
    start = 0
    while (at := text.find(MARK, start)) >= 0:
        end = at + len(MARK)
        while end < len(text) and (text[end].isalnum() or text[end] in "_-"):
            end += 1
        if end > at + len(MARK):  # a bare prefix is a search box echoing the query, not a record
            found.add(text[at + len(MARK):end])
        start = end
    for kind, tells in extra.items():
        if any(t in text for t in tells):
            found.add(kind)
    return found


def _rules(app):
    return [r for r in app.url_map.iter_rules() if r.endpoint != "static"]


def _record_args(rule) -> list[str]:
    return sorted(a for a in rule.arguments if a not in NON_RECORD_ARGS)


def _values(records, world, rules) -> dict[str, list]:
    """Alternatives for each URL argument of ``rules``: the sweep's marked records first, else a
    samples_* factory. An argument with neither fails the sweep."""
    factories = sample_factories()
    out, missing = {}, set()
    for arg in sorted({a for rule in rules for a in rule.arguments}):
        if arg == "name":
            out[arg] = [("-", v) for v in _panel_names()]
        elif arg in NON_RECORD_ARGS:
            out[arg] = [("-", v) for v in NON_RECORD_ARGS[arg]]
        elif arg in records.values:
            out[arg] = records.values[arg]
        elif arg in factories:
            out[arg] = [(arg, factories[arg](world))]
        else:
            missing.add(arg)
    assert not missing, (
        f"URL arguments with no record factory: {sorted(missing)}. Add the record to tests/sweep_records.py "
        "(or a FACTORIES entry in tests/samples_<feature>.py) so the access sweep can try the route.")
    return out


def _form_for(obj) -> dict:
    data = dict(FORM)
    if obj is not None and hasattr(obj, "__table__"):
        for col in obj.__table__.columns:
            value = getattr(obj, col.key, None)
            if value is not None and col.key != "id" and not isinstance(value, (dict, list)):
                data[col.key] = str(value)
    return data


def _refused(who, resp) -> bool:
    if who == "anonymous":
        return resp.status_code == 302 and "/login" in resp.headers.get("Location", "")
    return resp.status_code in (403, 404)


def _allowance(endpoint, who, kinds):
    for rule in ALLOW.get(endpoint, ()):
        if who in rule["who"] and (rule["kinds"] is None or set(kinds) & set(rule["kinds"])):
            return rule
    return None


def sweep_record_routes(sweep, records, mixed_with=None):
    """Every route with a record argument, each method, each outsider. ``mixed_with``: a second set of
    records (team B's, which team B's people may open): on routes naming two records, each record
    argument in turn takes team A's value while the others take team B's (a parent of B with a child
    of A, and the reverse), so a view that checks only one of them is caught."""
    app, world = sweep.app, sweep.world
    extra = records.extra_markers
    every = _values(records, world, _rules(app))
    jobs, deferred, used = [], [], set()
    for rule in _rules(app):
        args = _record_args(rule)
        if not args:
            continue
        if mixed_with is not None and len(args) < 2:
            continue
        values = {arg: every[arg] for arg in rule.arguments}
        names = sorted(values)
        if mixed_with is None:
            combos = list(itertools.product(*(values[n] for n in names)))
        else:
            combos = []
            for ours in args:
                mixed = {n: (values[n] if n == ours or n not in args else mixed_with.values.get(n, values[n]))
                         for n in names}
                combos += list(itertools.product(*(mixed[n] for n in names)))
        for combo in combos:
            kinds = [k for k, _ in combo]
            params = {n: v for n, (_, v) in zip(names, combo, strict=True)}
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **params)
                pol = policy_for(rule.endpoint)
            first = records.objects.get(kinds[0]) if kinds else None
            for method in sorted(rule.methods & {"GET", "POST"}):
                data = _form_for(first) if method == "POST" else None
                for who in OUTSIDERS if mixed_with is None else ("rep_b", "director_b"):
                    allowed = None if mixed_with is not None else _allowance(rule.endpoint, who, kinds)
                    job = (rule, pol, url, method, who, data, allowed)
                    # Allowed requests may act (claim a pool customer, reply to a team thread): they run
                    # after every refusal was checked, so their effects cannot hide a hole.
                    (deferred if allowed is not None else jobs).append(job)
    for rule, pol, url, method, who, data, allowed in jobs + deferred:
        resp, body = sweep.request(who, method, url, data)
        sweep.pairs.add((rule.endpoint, method, who))
        where = f"{method} {url} [{rule.endpoint}] as {who}"
        if resp.status_code >= 500:
            sweep.failures.append(f"{where}: {resp.status_code}")
            continue
        leaked = markers_in(body, extra)
        if allowed is not None:
            used.add(id(allowed))
            bad = leaked - allowed["markers"]
            if bad:
                sweep.failures.append(f"{where}: allowed ({allowed['why']}) but shows {sorted(bad)}")
            if allowed["check"] is not None and not allowed["check"](resp, records):
                sweep.failures.append(f"{where}: allowed ({allowed['why']}) but answered {resp.status_code} "
                                      f"{resp.headers.get('Location', '')}")
            continue
        if not _refused(who, resp):
            role = getattr(getattr(world, who, None), "role", None)
            refused_by_policy = who != "anonymous" and not pol.public and role not in pol.roles
            sweep.failures.append(f"{where}: got {resp.status_code}"
                                  + (" (policy should refuse)" if refused_by_policy else "")
                                  + (f", shows {sorted(leaked)}" if leaked else ""))
        elif leaked:
            sweep.failures.append(f"{where}: refused but shows {sorted(leaked)}")
    if mixed_with is None:
        stale = [f"{e}: {r['why']}" for e, rules in ALLOW.items() for r in rules if id(r) not in used]
        sweep.failures += [f"allowlist entry never used (remove it): {s}" for s in stale]


def _report(name, sweep, started, kinds):
    took = time.perf_counter() - started
    print(f"\n[access sweep] {name}: {len(kinds)} record kinds, {len(sweep.pairs)} route×method×role, "
          f"{sweep.requests} requests, {took:.1f}s")


def test_record_routes_refuse_outsiders(app, world):
    started = time.perf_counter()
    records = build(world)
    sweep = Sweep(app, world)
    sweep_record_routes(sweep, records)
    _report("record routes", sweep, started, records.objects)
    assert sweep.failures == [], "\n".join(sweep.failures)


def test_nested_routes_check_the_child_belongs_to_the_parent(app, world):
    started = time.perf_counter()
    records = build(world, "a")
    theirs = build(world, "b")
    sweep = Sweep(app, world)
    sweep_record_routes(sweep, records, mixed_with=theirs)
    _report("nested routes", sweep, started, records.objects)
    assert sweep.failures == [], "\n".join(sweep.failures)


def test_the_owner_and_the_director_do_see_the_markers(app, world):
    """The control: the sweep's markers really show on the records' own pages for those who may see
    them, so their absence elsewhere means something."""
    records = build(world)
    every = _values(records, world, _rules(app))
    clients = {}
    for who in ("rep_a", "director_a"):
        clients[who] = app.test_client()
        sign_in(clients[who], getattr(world, who))
    seen: set[str] = set()
    for rule in _rules(app):
        if "GET" not in rule.methods:
            continue
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **{a: every[a][0][1] for a in rule.arguments})
        for who, client in clients.items():
            resp = client.get(url)
            seen |= markers_in(resp.get_data(), records.extra_markers)
            resp.close()
    expected = {k for k in records.objects if k not in UNRENDERED}
    assert expected - seen == set(), f"markers never shown to their own people: {sorted(expected - seen)}"


# Records whose marker no page renders as such (shown through another record, or never shown).
UNRENDERED = {"cycle", "assignment", "completion", "target", "robot_message", "attempt"}

# Company-wide lists with no team (the GM keeps them; every manager picks from them).
COMPANY_WIDE = {"budget_category", "seasonal_profile"}


# Query strings tried on every list: the team-A filters a curious team-B user might type.
def _list_queries(records, world):
    o = records.objects
    team_a, rep_a = world.team_a.id, world.rep_a.id
    filters = {"team_id": team_a, "team": team_a, "rep_id": rep_a, "rep": rep_a, "owner": rep_a,
               "customer_id": o["customer"].id, "contract_id": o["contract"].id, "q": MARK[:-1], "period": "",
               "parent_id": o["task"].id, "object_id": o["customer"].id, "actor": rep_a}
    return [
        {},
        {**filters, "scope": "team", "tab": "reports", "view": "all", "show": "all", "format": "xlsx",
         "state": "all", "status": "all"},
    ]


def test_lists_exports_and_panels_show_no_other_team_record(app, world):
    """Every page without a record argument (lists, search, exports, home panels, inbox, pipeline,
    calendars, evidence) as team-B users, plain and with team-A filters: no team-A marker."""
    started = time.perf_counter()
    records = build(world)
    every = _values(records, world, _rules(app))
    queries = _list_queries(records, world)
    clients = {}
    for who in ("rep_b", "director_b"):
        clients[who] = app.test_client()
        sign_in(clients[who], getattr(world, who))
    failures, n, routes = [], 0, 0
    for rule in _rules(app):
        if _record_args(rule) or "GET" not in rule.methods:
            continue
        routes += 1
        names = sorted(rule.arguments)
        source = inspect.getsource(app.view_functions[rule.endpoint])
        tried = queries if "args" in source else queries[:1]  # filters only where the view reads any
        if "scope" in source:
            tried = tried + [{**queries[1], "scope": "rep"}]
        for combo in itertools.product(*(every[a] for a in names)):
            for query in tried:
                with app.test_request_context():
                    from flask import url_for

                    url = url_for(rule.endpoint, **{a: v for a, (_, v) in zip(names, combo, strict=True)},
                                  **query)
                for who, client in clients.items():
                    resp = client.get(url)
                    n += 1
                    data = resp.get_data()
                    resp.close()
                    if resp.status_code >= 500:
                        failures.append(f"GET {url} as {who}: {resp.status_code}")
                    leaked = markers_in(data, records.extra_markers) - COMPANY_WIDE
                    if leaked:
                        failures.append(f"GET {url} as {who}: shows {sorted(leaked)}")
    print(f"\n[access sweep] lists: {routes} routes x 2 team-B roles, {n} requests, "
          f"{time.perf_counter() - started:.1f}s")
    assert failures == [], "\n".join(failures)


# Foreign ids in forms --------------------------------------------------------------------------------

def _form_cases(world, a, b, rep_b2):
    """(who, url, field values with the person's own ids, the same with a foreign id, model counted).
    ``a``: team A's records, ``b``: team B's (the poster's own when they are in team B)."""
    from datetime import timedelta

    from portal.appraisals.models import AppraisalCycle
    from portal.comms.models import Task, Thread
    from portal.contracts.models import Contract, Order, Payment
    from portal.core.periods import local_today
    from portal.customers.models import Activity, Customer, MarketInfo, Opportunity, ResourceRequest
    from portal.plans.models import BudgetLine, Expense, Plan
    from portal.robots.models import Robot
    from portal.training.models import Assignment, Course, CoursePrerequisite, QuizQuestion

    A, B = a.objects, b.objects
    day = local_today().isoformat()
    yesterday = (local_today() - timedelta(days=1)).isoformat()  # times of day in the past
    year = day[:4]
    cat = B["budget_category"].id
    contract = {"number": "N-1", "title": "t", "amount": "10.00", "currency": "CNY", "signed_on": day}
    order = {"ordered_on": day, "amount": "5.00", "contract_id": "0"}
    expense = {"category_id": cat, "spent_on": day, "amount": "1.00", "description": "taxi"}
    task = {"title": "t", "priority": "normal", "due_on": "2099-01-01"}
    thread = {"kind": "difficulty", "subject": "s", "body": "b"}
    plan = {"scope": "rep", "period": year, "title": "t"}
    cases = []

    serial = itertools.count(1)

    def case(who, url, own, foreign, model, note, landed=None, ok=None):
        """``landed``: the condition a row written with the foreign id would meet (default: in team A);
        ``ok``: the condition the control (own ids) meets once saved (default: one more row)."""
        if landed is None:
            landed = getattr(model, model.__team_column__) == world.team_a.id
        if "number" in own:
            own = {**own, "number": f"N-{next(serial)}"}
        cases.append((who, url, own, foreign, model, note, landed, ok))

    for who in ("rep_b", "director_b"):
        owner = world.rep_b.id
        case(who, "/contracts/new", {**contract, "customer_id": B["customer"].id, "owner_id": owner},
             {"customer_id": A["customer"].id}, Contract, "contract for team A's customer",
             Contract.customer_id == A["customer"].id)
        case(who, "/contracts/new", {**contract, "customer_id": B["customer"].id, "owner_id": owner},
             {"owner_id": world.rep_a.id}, Contract, "contract owned by team A's rep")
        case(who, "/contracts/orders/new", {**order, "customer_id": B["customer"].id, "owner_id": owner},
             {"customer_id": A["customer"].id}, Order, "order for team A's customer",
             Order.customer_id == A["customer"].id)
        case(who, "/contracts/orders/new", {**order, "customer_id": B["customer"].id, "owner_id": owner},
             {"contract_id": A["contract"].id}, Order, "order under team A's contract",
             Order.contract_id == A["contract"].id)
        case(who, "/contracts/orders/new", {**order, "customer_id": B["customer"].id, "owner_id": owner},
             {"owner_id": world.rep_a.id}, Order, "order owned by team A's rep")
        case(who, f"/contracts/{B['contract'].id}/payments", {"paid_on": day, "amount": "1.00"},
             {"instalment_id": A["instalment"].id}, Payment, "payment naming team A's instalment",
             Payment.instalment_id == A["instalment"].id)
        case(who, "/customers/market/new", {"kind": "trend", "title": "t", "body": "b"},
             {"customer_id": A["customer"].id}, MarketInfo, "market note on team A's customer",
             MarketInfo.customer_id == A["customer"].id)
        case(who, "/plans/expenses/new", {**expense, "owner_id": owner}, {"owner_id": world.rep_a.id}, Expense,
             "expense of team A's rep")
    case("rep_b", "/comms/threads/new", thread, {"customer_id": A["customer"].id}, Thread,
         "thread about team A's customer", Thread.customer_id == A["customer"].id)
    # Before the reassignments below take team B's customer from rep_b.
    case("rep_b", f"/customers/{B['customer'].id}/activities",
         {"kind": "visit", "occurred_at": f"{yesterday}T09:00", "summary": "s", "contact_ids": B["contact"].id},
         {"contact_ids": A["contact"].id}, Activity, "log entry meeting team A's contact",
         Activity.contacts.any(id=A["contact"].id))
    case("director_b", "/customers/new", {"name": "新客户", "kind": "customer", "status": "prospect",
                                          "owner_id": world.rep_b.id}, {"owner_id": world.rep_a.id}, Customer,
         "customer given to team A's rep")
    case("director_b", "/comms/tasks/new", {**task, "assignee_ids": world.rep_b.id},
         {"assignee_ids": world.rep_a.id}, Task, "task for team A's rep",
         Task.parts.any(assignee_id=world.rep_a.id))
    for kind, ident in (("customer", A["customer"].id), ("plan", A["plan"].id), ("course", A["course"].id)):
        case("director_b", "/comms/tasks/new", {**task, "assignee_ids": world.rep_b.id},
             {"link_type": kind, "link_id": ident}, Task, f"task linked to team A's {kind}",
             (Task.link_type == kind) & (Task.link_id == ident))
    case("director_b", "/plans/new", {**plan, "team_id": world.team_b.id, "owner_id": world.rep_b.id},
         {"team_id": world.team_a.id, "owner_id": world.rep_a.id}, Plan, "plan for team A's rep")
    case("director_b", "/plans/budgets/new", {"team_id": world.team_b.id, "period": f"{year}-01", "category_id": cat,
                                              "amount": "5.00"},
         {"team_id": world.team_a.id}, BudgetLine, "budget line of team A")
    case("director_b", f"/customers/{B['customer'].id}/requests/new",
         {"kind": "samples", "description": "d", "asked_at": f"{yesterday}T09:00", "assignee_id": world.rep_b.id},
         {"assignee_id": world.rep_a.id}, ResourceRequest, "request answered by team A's rep")
    case("director_b", "/training/courses/new", {"title": "c", "team_id": world.team_b.id},
         {"team_id": world.team_a.id}, Course, "course for team A",
         (Course.team_id == world.team_a.id) & (Course.title == "c"))
    case("director_b", f"/training/courses/{B['course'].id}/assign", {"user_ids": rep_b2.id, "team_id": "0"},
         {"user_ids": world.rep_a.id}, Assignment, "course assigned to team A's rep",
         Assignment.user_id == world.rep_a.id)
    case("director_b", f"/training/courses/{B['course'].id}/assign", {"team_id": world.team_b.id},
         {"team_id": world.team_a.id}, Assignment, "course assigned to team A",
         (Assignment.team_id == world.team_a.id) & Assignment.user_id.is_(None))
    case("director_b", "/robots/new", {"name": "r", "team_id": world.team_b.id, "platform": "wecom",
                                       "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=x",
                                       "active": "y", "events": "task_assigned_team"},
         {"team_id": world.team_a.id}, Robot, "robot of team A")
    bc, bpool = B["customer"].id, B["pool_customer"].id
    case("director_b", f"/customers/{bc}/reassign", {"owner_id": rep_b2.id}, {"owner_id": world.rep_a.id},
         Customer, "team B's customer given to team A's rep", Customer.owner_id == world.rep_a.id,
         ok=Customer.owner_id == rep_b2.id)
    case("director_b", f"/customers/pool/{bpool}/assign", {"rep_id": rep_b2.id}, {"rep_id": world.rep_a.id},
         Customer, "team B's pool customer given to team A's rep", Customer.owner_id == world.rep_a.id,
         ok=(Customer.id == bpool) & (Customer.owner_id == rep_b2.id))
    case("director_b", "/customers/reassign-all", {"from_rep_id": world.rep_b.id, "to_rep_id": rep_b2.id},
         {"from_rep_id": world.rep_a.id}, Customer, "team A's rep's customers moved to team B",
         Customer.team_id == world.team_b.id, ok=Customer.owner_id == rep_b2.id)
    case("director_b", f"/customers/{bc}/opportunities/new",
         {"title": "o", "amount": "100", "stage_id": B["stage"].id}, {"stage_id": A["stage"].id}, Opportunity,
         "opportunity in team A's stage", Opportunity.stage_id == A["stage"].id)
    case("director_b", "/appraisals/cycles", {"team_id": world.team_b.id, "period_kind": "month",
                                              "period_key": f"{int(year) - 1}-03"},
         {"team_id": world.team_a.id}, AppraisalCycle, "appraisal cycle of team A")
    case("director_b", "/training/courses/new", {"title": "p", "team_id": world.team_b.id,
                                                 "prerequisites": B["course"].id},
         {"prerequisites": A["course"].id}, CoursePrerequisite, "course requiring team A's course",
         CoursePrerequisite.required_id == A["course"].id)
    case("director_b", f"/training/courses/{B['course'].id}/quizzes/new",
         {"title": "q", "mode": "fixed", "question_ids": B["question"].id, "per_page": "5", "pass_mark": "60",
          "grading_method": "highest", "random_count": "0", "wait_minutes": "0", "random_category_id": "0"},
         {"question_ids": A["question"].id}, QuizQuestion, "quiz of team A's question",
         QuizQuestion.question_id == A["question"].id)
    case("director_b", f"/appraisals/{B['appraisal'].id}/assign-course", {"course_id": B["course"].id},
         {"course_id": A["course"].id}, Assignment, "team A's course assigned from a team-B sheet",
         Assignment.course_id == A["course"].id)
    # Reps cannot hand records to a colleague: rep_a2 naming rep_a as the owner.
    own = world.rep_a2.id
    case("rep_a2", "/contracts/new", {**contract, "customer_id": A["pool_customer"].id, "owner_id": own},
         {"owner_id": world.rep_a.id}, Contract, "contract put on a colleague",
         Contract.owner_id == world.rep_a.id)
    case("rep_a2", "/plans/expenses/new", {**expense, "category_id": A["budget_category"].id, "owner_id": own},
         {"owner_id": world.rep_a.id}, Expense, "expense put on a colleague", Expense.owner_id == world.rep_a.id)
    case("rep_a2", "/customers/new", {"name": "另一个客户", "kind": "customer", "status": "prospect",
                                      "owner_id": own}, {"owner_id": world.rep_a.id}, Customer,
         "customer put on a colleague", Customer.owner_id == world.rep_a.id)
    return cases


def test_foreign_ids_in_forms_are_refused(app, world, make_user):
    """Every create form that takes an owner, customer, team, contract, instalment, course or linked record:
    with the poster's own ids it saves (the control), with a team-A id it is refused and writes nothing."""
    from sqlalchemy import func, select

    from portal.core import settings
    from portal.core.db import db
    from portal.plans.services import REPS_ADD_EXPENSES

    a, b = build(world, "a"), build(world, "b")
    rep_b2 = make_user("rep", world.team_b, username="rep_b2")
    for team in (world.team_a, world.team_b):  # let reps record expenses, so their forms can be tried
        settings.put(REPS_ADD_EXPENSES, True, team_id=team.id)
    db.session.commit()
    clients = {}
    for who in ("rep_b", "director_b", "rep_a2"):
        clients[who] = app.test_client()
        sign_in(clients[who], getattr(world, who))
    failures, n, controlled, weak = [], 0, 0, []
    for who, url, own, foreign, model, note, landed, ok in _form_cases(world, a, b, rep_b2):
        def count(where=None, model=model):
            db.session.expire_all()
            stmt = select(func.count()).select_from(model)
            return db.session.scalar(stmt.where(where) if where is not None else stmt)

        before, total, saved = count(landed), count(), count(ok)
        resp = clients[who].post(url, data={**own, **foreign})
        n += 1
        where = f"POST {url} as {who} ({note})"
        if resp.status_code >= 500:
            failures.append(f"{where}: {resp.status_code}")
        elif count(landed) != before:
            failures.append(f"{where}: written with the foreign id, status {resp.status_code}")
        if ok is None and count() > total:  # the foreign id was ignored (a rep owns what they record)
            controlled += 1
            continue
        resp = clients[who].post(url, data=own)
        n += 1
        if count(ok) > saved:  # the control: the same form with the poster's own ids saves
            controlled += 1
        else:
            weak.append(where)
    print(f"\n[access sweep] forms: {len(weak) + controlled} foreign-id cases ({controlled} with a saving control), "
          f"{n} requests")
    # A case whose own-ids control does not save proves nothing (the refusal may come from a field the
    # body lacks): complete its form body.
    failures += [f"{w}: the control with the poster's own ids saved nothing; complete the case" for w in weak]
    assert failures == [], "\n".join(failures)


def test_team_b_pages_show_no_team_a_record(app, world):
    """Team B's own records, opened by their own people (every GET route with a record argument):
    pickers, suggestions and related panels on them must not offer team A's records."""
    started = time.perf_counter()
    a, b = build(world, "a"), build(world, "b")
    every = _values(b, world, _rules(app))
    clients = {}
    for who in ("rep_b", "director_b"):
        clients[who] = app.test_client()
        sign_in(clients[who], getattr(world, who))
    failures, n = [], 0
    for rule in _rules(app):
        if not _record_args(rule) or "GET" not in rule.methods:
            continue
        names = sorted(rule.arguments)
        for combo in itertools.product(*(every[x] for x in names)):
            with app.test_request_context():
                from flask import url_for

                url = url_for(rule.endpoint, **{x: v for x, (_, v) in zip(names, combo, strict=True)})
            for who, client in clients.items():
                resp = client.get(url)
                n += 1
                data = resp.get_data()
                resp.close()
                if resp.status_code >= 500:
                    failures.append(f"GET {url} as {who}: {resp.status_code}")
                leaked = markers_in(data, a.extra_markers) - COMPANY_WIDE
                if leaked:
                    failures.append(f"GET {url} [{rule.endpoint}] as {who}: shows team A's {sorted(leaked)}")
    print(f"\n[access sweep] team B's own pages: {n} requests, {time.perf_counter() - started:.1f}s")
    assert failures == [], "\n".join(failures)
