"""Every main page, for each role, passes axe-core's WCAG 2.1 A/AA rules with no serious or critical violation.

The demo company gives each page realistic rows (charts, tables, forms with values). axe-core is the released
npm package, vendored for the tests only (tests/vendor/axe-core-*/README); the portal never serves it. It is put
into each page with ``add_init_script``, which goes through the DevTools protocol, so the page's strict CSP (no
inline script) still holds for the page itself and is not bypassed.

``A11Y_REPORT=path`` writes every violation found (all impacts) as JSON, for the record.
"""
from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

from sqlalchemy import select, update

from portal.core.db import db
from portal.demo import DEMO_PASSWORD, seed_demo
from portal.people.models import User

AXE = Path(__file__).parents[1] / "vendor" / "axe-core-4.14.1" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
ROLES = {"rep": "li.na", "director": "zhao.director", "gm": "gm", "admin": "admin"}
# The error pages, as a signed-in person sees them: a 403 for each of these, a 404 for /no-such-page.
REFUSED = {("rep", "/admin/settings"): 403, ("director", "/audit/"): 403, ("admin", "/customers/"): 403}
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  const seen = new Set(), duplicates = new Set();
  document.querySelectorAll("[id]").forEach(el => { (seen.has(el.id) ? duplicates : seen).add(el.id); });
  return {lang: document.documentElement.lang, duplicates: [...duplicates], violations: result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html.slice(0, 160),
                           data: (n.any[0] || {}).data || null}))}))};
}"""


def _ids(ctx) -> dict:
    """The records the pages show: li.na's (rep of 华东区, under zhao.director) where a record has an owner."""
    from portal.appraisals.models import Appraisal, AppraisalCycle
    from portal.comms.models import SalesSummary, Task, TaskAssignment, Thread, WorkPlan, WorkReport
    from portal.contracts.models import Contract, InvoiceRequest
    from portal.customers.models import Customer, Opportunity
    from portal.plans.models import Plan
    from portal.training import services as training
    from portal.training.models import Attempt, Completion, Course, Lesson, Quiz

    users = ctx["users"]
    rep = users["li.na"]

    def first(stmt):
        return db.session.scalar(stmt.limit(1))

    quiz = first(select(Quiz).order_by(Quiz.id))
    finished = first(select(Attempt.id).where(Attempt.user_id == rep.id, Attempt.finished_at.is_not(None))
                     .order_by(Attempt.id))
    running = training.start_attempt(rep, quiz)  # an attempt in progress: the quiz form itself
    cycle = first(select(AppraisalCycle).where(AppraisalCycle.team_id == rep.team_id).order_by(AppraisalCycle.id))
    completion = first(select(Completion).where(Completion.user_id == rep.id))
    ids = {
        "rep": rep.id,
        "customer": first(select(Customer.id).where(Customer.owner_id == rep.id).order_by(Customer.id)),
        "opportunity": first(select(Opportunity.id).where(Opportunity.owner_id == rep.id).order_by(Opportunity.id)),
        "contract": first(select(Contract.id).where(Contract.owner_id == rep.id).order_by(Contract.id)),
        "invoice": first(select(InvoiceRequest.id).join(Contract, Contract.id == InvoiceRequest.contract_id)
                         .where(Contract.owner_id == rep.id).order_by(InvoiceRequest.id)),
        "plan": first(select(Plan.id).where(Plan.team_id == rep.team_id).order_by(Plan.id)),
        "task": first(select(Task.id).join(TaskAssignment, TaskAssignment.task_id == Task.id)
                      .where(TaskAssignment.assignee_id == rep.id).order_by(Task.id)),
        "thread": first(select(Thread.id).where(Thread.author_id == rep.id).order_by(Thread.id)),
        "work_plan": first(select(WorkPlan.id).where(WorkPlan.owner_id == rep.id).order_by(WorkPlan.id.desc())),
        "work_report": first(select(WorkReport.id).where(WorkReport.owner_id == rep.id)
                             .order_by(WorkReport.id.desc())),
        "summary": first(select(SalesSummary.id).where(SalesSummary.owner_id == rep.id).order_by(SalesSummary.id)),
        "course": first(select(Course.id).order_by(Course.id)),
        "lesson": first(select(Lesson.id).order_by(Lesson.id)),
        "quiz": quiz.id,
        "finished_attempt": finished,
        "running_attempt": running.id,
        "completion": completion.id if completion else None,
        "code": completion.code if completion else "",
        "cycle": cycle.id,
        "appraisal": first(select(Appraisal.id).where(Appraisal.cycle_id == cycle.id, Appraisal.rep_id == rep.id)),
    }
    missing = [k for k, v in ids.items() if v is None]
    assert not missing, f"the demo company has no record for {missing}"
    return ids


def _pages(i: dict) -> dict[str, list[str]]:
    """The main pages each role has (a 403 and a 404 page for each too)."""
    sales = [
        "/", "/customers/", f"/customers/{i['customer']}", "/customers/pipeline", "/customers/pool",
        "/customers/opportunities", f"/customers/opportunities/{i['opportunity']}",
        "/customers/requests", "/customers/market",
        "/contracts/", f"/contracts/{i['contract']}", "/contracts/orders", "/contracts/instalments",
        "/contracts/invoices", f"/contracts/invoices/{i['invoice']}",
        "/plans/status", "/plans/", f"/plans/{i['plan']}", "/plans/expenses", "/plans/expenses/new",
        "/approvals/mine",
        "/comms/", "/comms/tasks", f"/comms/tasks/{i['task']}", "/comms/threads", f"/comms/threads/{i['thread']}",
        "/comms/work", f"/comms/plans/{i['work_plan']}", f"/comms/reports/{i['work_report']}",
        "/comms/summaries", f"/comms/summaries/{i['summary']}",
        "/inbox/", "/training/", "/training/courses", f"/training/courses/{i['course']}",
        f"/training/lessons/{i['lesson']}", f"/training/quizzes/{i['quiz']}",
        "/appraisals/", f"/appraisals/cycles/{i['cycle']}", f"/appraisals/{i['appraisal']}", "/appraisals/help",
        f"/people/{i['rep']}", "/people/account", "/account/password",
    ]
    rep = sales + [
        "/customers/new", f"/customers/{i['customer']}/edit", "/contracts/new", f"/contracts/{i['contract']}/edit",
        "/contracts/orders/new", "/comms/threads/new", "/comms/plans/new", "/comms/reports/new",
        "/comms/summaries/new", "/training/my", f"/training/attempts/{i['running_attempt']}",
        f"/training/attempts/{i['finished_attempt']}", f"/training/certificates/{i['completion']}",
        "/admin/settings", "/no-such-page",
    ]
    director = sales + [
        "/customers/new", "/customers/pool/rules", "/customers/pool/keep-requests", "/customers/settings",
        "/contracts/new", "/approvals/", "/approvals/chains",
        "/plans/new", f"/plans/{i['plan']}/edit", "/plans/overview", "/plans/targets", "/plans/budgets",
        "/plans/budgets/new", "/comms/tasks/new", "/comms/director-reports", "/comms/director-reports/new",
        "/comms/team-rules", "/training/reports/matrix", f"/training/courses/{i['course']}/bank",
        "/training/courses/new", f"/training/quizzes/{i['quiz']}/report",
        "/people/", "/people/new", "/people/transfers", "/robots/", "/audit/",
    ]
    gm = sales + [
        "/approvals/", "/plans/overview", "/plans/targets", "/plans/budgets", "/plans/budgets/categories",
        "/comms/tasks/new", "/comms/director-reports", "/training/reports/matrix", "/appraisals/templates",
        "/people/", "/people/teams", "/people/transfers", "/audit/", "/robots/", "/customers/settings",
    ]
    admin = [
        "/", "/admin/settings", "/people/", "/people/new", "/people/teams", "/people/teams/new", "/audit/",
        "/robots/", "/robots/new", "/training/", "/training/courses", f"/training/courses/{i['course']}",
        f"/training/courses/{i['course']}/bank", f"/training/lessons/{i['lesson']}", "/approvals/chains",
        "/appraisals/templates", "/customers/settings", "/contracts/invoices", "/inbox/", "/people/account",
        "/customers/", "/no-such-page",
    ]
    return {"rep": rep, "director": director, "gm": gm, "admin": admin}


def _check(page, label: str, url: str, lang: str, found: list, blocking: list, expected: int | None = None) -> None:
    response = page.goto(url)
    status = response.status if response else 0
    expected = expected or REFUSED.get((label, url), 404 if url == "/no-such-page" else 200)
    if status != expected:
        blocking.append(f"{label} {url}: status {status}, expected {expected}")
        return
    result = page.evaluate(RUN_AXE, TAGS)
    if result["lang"] != lang:
        blocking.append(f"{label} {url}: <html lang={result['lang']!r}>, expected {lang!r}")
    if result["duplicates"]:  # axe 4.x no longer reports these; a label or aria reference would find the wrong one
        blocking.append(f"{label} {url}: duplicate ids {result['duplicates']}")
    for v in result["violations"]:
        found.append({"role": label, "url": url, "lang": lang, **v})
        if v["impact"] in BLOCKING:
            targets = "; ".join(n["target"] for n in v["nodes"][:6])
            blocking.append(f"{label} {url} [{lang}] {v['impact']} {v['id']} ({v['help']}): {targets}")


def _sign_in(page, username: str) -> None:
    # The previous page's htmx requests (home panels) refresh the session cookie when they answer:
    # let them finish before the cookies go, and try again if one still slipped in.
    page.wait_for_load_state("networkidle")
    for _attempt in range(3):
        page.context.clear_cookies()
        page.goto("/login")
        if page.locator("input[name=username]").count():
            break
        page.wait_for_load_state("networkidle")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert not page.url.endswith("/login"), f"{username} could not sign in"


def test_every_main_page_passes_axe(app, browser, live_server):
    ctx = seed_demo()
    db.session.commit()
    ids = _ids(ctx)
    db.session.commit()
    pages = _pages(ids)
    found: list[dict] = []
    blocking: list[str] = []
    problems: list[str] = []
    context = browser.new_context(base_url=live_server, locale="en-US")
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(15000)
    page.on("console", lambda msg: problems.append(f"{page.url}: {msg.text}")
            if msg.type == "error" and "status of 40" not in msg.text else None)
    page.on("pageerror", lambda exc: problems.append(f"{page.url}: page error {exc}"))
    checked = 0
    try:
        # Anonymous: the sign-in page and the certificate check, in both languages.
        page.goto("/login")
        for lang, locale in (("zh-CN", "zh_CN"), ("en", "en")):  # the browser asks for English first
            with page.expect_navigation():
                page.select_option("#lang-select", locale)
            for url in ("/login", "/training/verify", f"/training/verify?code={ids['code']}"):
                _check(page, "anonymous", url, lang, found, blocking)
                checked += 1
        for label, username in ROLES.items():
            # The home page in Chinese, then every page in English (the person's own language setting).
            for locale, lang, urls in (("zh_CN", "zh-CN", ["/"]), ("en", "en", pages[label])):
                db.session.execute(update(User).where(User.username == username).values(locale=locale))
                db.session.commit()
                _sign_in(page, username)
                for url in urls:
                    _check(page, label, url, lang, found, blocking)
                    checked += 1
    finally:
        context.close()
    if os.environ.get("A11Y_REPORT"):
        report = {"checked": checked, "found": found, "blocking": blocking, "problems": problems}
        Path(os.environ["A11Y_REPORT"]).write_text(json.dumps(report, ensure_ascii=False, indent=1))
    by_rule = Counter(f"{v['impact']} {v['id']}" for v in found)
    print(f"\naxe: {checked} page views checked; violations by rule: {dict(by_rule)}")
    assert not problems, "browser reported problems:\n" + "\n".join(problems)
    assert not blocking, f"{len(blocking)} serious/critical accessibility problems:\n" + "\n".join(blocking)


def test_database_down_page_passes_axe(make_app, browser):
    """The bare 503 page (no layout: the database cannot be reached) in both languages."""
    import threading

    from werkzeug.serving import make_server

    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/nothing",
                   SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"connect_timeout": 1}})
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    found: list[dict] = []
    blocking: list[str] = []
    try:
        for locale, lang in (("zh-CN", "zh-CN"), ("en-US", "en")):
            context = browser.new_context(base_url=f"http://127.0.0.1:{server.server_port}", locale=locale)
            context.add_init_script(path=str(AXE))
            page = context.new_page()
            try:
                _check(page, "anonymous", "/training/verify?code=X", lang, found, blocking, expected=503)
            finally:
                context.close()
    finally:
        server.shutdown()
        thread.join(5)
    assert not blocking, "\n".join(blocking)
