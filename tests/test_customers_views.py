"""The customer log's pages for each role: who sees what, forms that keep input, htmx fragments,
the pipeline board, requests, market information, settings, exports and the home panels."""
from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from conftest import home_html
from samples_customers import customer, stage
from sqlalchemy import select

from portal.audit.models import AuditEntry
from portal.core.db import db
from portal.core.periods import local_today
from portal.customers.models import Activity, Contact, Customer, MarketInfo, Opportunity, ResourceRequest


@pytest.fixture
def three(world):
    """rep_a's customer, rep_a2's customer (same team), rep_b's customer, and one in team A's pool."""
    return {
        "a": customer(world.rep_a, name="杭州精密机械有限公司", status="active", region="杭州"),
        "a2": customer(world.rep_a2, name="宁波恒信电子科技有限公司", region="宁波"),
        "b": customer(world.rep_b, name="北京远大环保科技有限公司", region="北京"),
        "pool": customer(team=world.team_a, name="苏州嘉禾食品有限公司"),
    }


def _names(resp):
    html = resp.get_data(as_text=True)
    return {n for n in ("杭州精密", "宁波恒信", "北京远大", "苏州嘉禾") if n in html}


def test_list_per_role(client, world, three, login_as):
    login_as(user=world.rep_a)
    assert _names(client.get("/customers/")) == {"杭州精密", "苏州嘉禾"}
    login_as(user=world.director_a)
    assert _names(client.get("/customers/")) == {"杭州精密", "宁波恒信", "苏州嘉禾"}
    login_as(user=world.gm)
    assert _names(client.get("/customers/")) == {"杭州精密", "宁波恒信", "北京远大", "苏州嘉禾"}
    login_as(user=world.admin)
    assert client.get("/customers/").status_code == 403
    assert client.get(f"/customers/{three['a'].id}").status_code == 403


def test_detail_foreign_ids_are_404(client, world, three, login_as):
    url = f"/customers/{three['a'].id}"
    for who, status in ((world.rep_a, 200), (world.rep_a2, 404), (world.rep_b, 404), (world.director_b, 404),
                        (world.director_a, 200), (world.gm, 200)):
        login_as(user=who)
        assert client.get(url).status_code == status, who.username
    login_as(user=world.rep_a)
    assert client.get("/customers/999999").status_code == 404
    assert client.get(f"/customers/{three['b'].id}/edit").status_code == 404
    assert client.post(f"/customers/{three['b'].id}/activities", data={"kind": "visit"}).status_code == 404


def test_gm_reads_but_cannot_write(client, world, three, login_as):
    login_as(user=world.gm)
    assert client.get(f"/customers/{three['a'].id}").status_code == 200
    assert client.get(f"/customers/{three['a'].id}/edit").status_code == 403
    assert client.post(f"/customers/{three['a'].id}/activities", data={}).status_code == 403


def test_search_by_pinyin_contact_and_phone(client, world, three, login_as):
    db.session.add(Contact(customer_id=three["a2"].id, name="周晓梅", phone="13912345678"))
    db.session.commit()
    login_as(user=world.director_a)
    for q in ("hzjm", "hangzhou", "HangZhou", "杭州", "ｈｚｊｍ"):
        assert _names(client.get("/customers/", query_string={"q": q})) == {"杭州精密"}, q
    assert _names(client.get("/customers/", query_string={"q": "周晓梅"})) == {"宁波恒信"}
    assert _names(client.get("/customers/", query_string={"q": "1391234"})) == {"宁波恒信"}
    assert _names(client.get("/customers/", query_string={"q": "%"})) == set()


def test_filters_and_stale(client, world, three, login_as):
    three["a"].last_contact_at = datetime.now(UTC) - timedelta(days=2)
    three["a2"].last_contact_at = datetime.now(UTC) - timedelta(days=40)
    three["a"].tier = "A"
    db.session.commit()
    login_as(user=world.director_a)
    assert _names(client.get("/customers/?stale=30")) == {"宁波恒信", "苏州嘉禾"}
    assert _names(client.get("/customers/?tier=A")) == {"杭州精密"}
    assert _names(client.get("/customers/?status=active")) == {"杭州精密"}
    assert _names(client.get("/customers/?region=宁波")) == {"宁波恒信"}
    assert _names(client.get("/customers/?owner=pool")) == {"苏州嘉禾"}
    assert _names(client.get(f"/customers/?owner={world.rep_a2.id}")) == {"宁波恒信"}
    assert client.get("/customers/?stale=abc&tier=Z&sort=evil&page=-3").status_code == 200


def test_create_keeps_input_on_duplicate(client, world, three, login_as):
    login_as(user=world.rep_a)
    resp = client.post("/customers/new", data={"name": "杭州精密机械有限公司 ", "kind": "customer", "industry": "机床",
                                               "status": "prospect"})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "已有同名客户" in html and 'value="机床"' in html
    resp = client.post("/customers/new", data={"name": "温州正泰包装制品有限公司", "kind": "partner", "tier": "B",
                                               "annual_value": "1,200,000.50", "status": "active"})
    assert resp.status_code == 302
    c = db.session.scalars(select(Customer).where(Customer.name == "温州正泰包装制品有限公司")).one()
    assert c.owner_id == world.rep_a.id and c.status == "active" and c.annual_value == Decimal("1200000.50")
    resp = client.post("/customers/new", data={"name": "", "annual_value": "abc", "kind": "nope"})
    assert resp.status_code == 200


def test_htmx_log_entry_appears_in_timeline(client, world, three, login_as):
    login_as(user=world.rep_a)
    c = three["a"]
    today = local_today()
    from portal.core.periods import company_tz

    when = (datetime.now(company_tz()) - timedelta(hours=2)).replace(second=0, microsecond=0)
    data = {"kind": "visit", "occurred_at": when.strftime("%Y-%m-%dT%H:%M"), "summary": "看了新产线",
            "next_step": "发送报价", "follow_up_on": today.isoformat()}
    resp = client.post(f"/customers/{c.id}/activities", data=data, headers={"HX-Request": "true"})
    assert resp.status_code == 200 and "HX-Request" in resp.headers.get("Vary", "")
    html = resp.get_data(as_text=True)
    assert "<html" not in html and 'id="log"' in html and "看了新产线" in html and 'id="timeline"' in html
    a = db.session.scalars(select(Activity)).one()
    assert a.owner_id == world.rep_a.id and a.follow_up_on == today
    assert a.occurred_at == when.astimezone(UTC)  # typed in Shanghai time, stored in UTC
    # Bad input stays in the form, beside the field, with status 200 and nothing written.
    resp = client.post(f"/customers/{c.id}/activities", headers={"HX-Request": "true"},
                       data={**data, "summary": "", "next_step": "保留我"})
    assert resp.status_code == 200 and "保留我" in resp.get_data(as_text=True)
    assert db.session.query(Activity).count() == 1
    # Without htmx: a redirect back to the page.
    resp = client.post(f"/customers/{c.id}/activities", data={**data, "summary": "电话"})
    assert resp.status_code == 302
    page = client.get(f"/customers/{c.id}").get_data(as_text=True)
    assert "看了新产线" in page and "电话" in page


def test_status_change_needs_reason(client, world, three, login_as):
    login_as(user=world.rep_a)
    c = three["a"]
    resp = client.post(f"/customers/{c.id}/status", data={"status": "lost", "note": "keep me"})
    assert resp.status_code == 200 and "请选择客户丢失的原因" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Customer, c.id).status == "active"
    from portal.customers.models import LostReason

    reason = db.session.scalars(select(LostReason)).first()
    resp = client.post(f"/customers/{c.id}/status", data={"status": "lost", "lost_reason_id": reason.id})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, c.id).status == "lost"


def test_claim_and_reassign_pages(client, world, three, login_as):
    login_as(user=world.rep_b)
    assert client.post(f"/customers/{three['pool'].id}/claim").status_code == 404
    login_as(user=world.rep_a)
    assert client.post(f"/customers/{three['pool'].id}/claim").status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, three["pool"].id).owner_id == world.rep_a.id
    assert client.get(f"/customers/{three['a'].id}/reassign").status_code == 403
    login_as(user=world.director_b)
    assert client.get(f"/customers/{three['a'].id}/reassign").status_code == 404
    login_as(user=world.director_a)
    assert client.get(f"/customers/{three['a'].id}/reassign").status_code == 200
    resp = client.post(f"/customers/{three['a'].id}/reassign", data={"owner_id": world.rep_b.id})
    assert resp.status_code == 200  # not a choice: the form refuses it
    resp = client.post(f"/customers/{three['a'].id}/reassign", data={"owner_id": world.rep_a2.id, "note": "休假"})
    assert resp.status_code == 302
    resp = client.post("/customers/reassign-all", data={"from_rep_id": world.rep_a2.id, "to_rep_id": 0})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, three["a"].id).owner_id is None
    assert db.session.get(Customer, three["a2"].id).owner_id is None
    assert db.session.get(Customer, three["b"].id).owner_id == world.rep_b.id
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions.count("reassign") == 3 and actions.count("reassign_all") == 1


def test_team_setting_lets_reps_read_team_customers(client, world, three, login_as):
    login_as(user=world.rep_a)
    assert client.get(f"/customers/{three['a2'].id}").status_code == 404
    assert client.get("/customers/settings").status_code == 403
    login_as(user=world.director_a)
    assert client.post("/customers/settings", data={"team-reps_read_team": "y"}).status_code == 302
    login_as(user=world.rep_a)
    resp = client.get(f"/customers/{three['a2'].id}")
    assert resp.status_code == 200 and "记录跟进" not in resp.get_data(as_text=True)  # read only
    assert client.get(f"/customers/{three['a2'].id}/edit").status_code == 403
    login_as(user=world.rep_b)
    assert client.get(f"/customers/{three['a2'].id}").status_code == 404


def test_settings_lists_by_role(client, world, login_as):
    login_as(user=world.admin)
    assert client.get("/customers/settings").status_code == 200
    assert client.post("/customers/settings/reasons", data={"name": "海外转移", "active": "y"}).status_code == 302
    assert client.post("/customers/settings", data={"co-window_hours": "16", "co-stale_days": "20"}).status_code == 302
    from portal.core import settings

    assert settings.get("customers.request_window_hours") == 16
    login_as(user=world.director_a)
    assert client.post("/customers/settings/stages", data={"name": "试用", "probability": "35", "active": "y"}
                       ).status_code == 302
    from portal.customers.models import LostReason, OpportunityStage

    own = db.session.scalars(select(OpportunityStage).where(OpportunityStage.name == "试用")).one()
    assert own.team_id == world.team_a.id and own.probability == 35
    company = db.session.scalars(select(LostReason).where(LostReason.name == "海外转移")).one()
    assert client.post(f"/customers/settings/reasons/{company.id}", data={"name": "x"}).status_code == 404
    login_as(user=world.director_b)
    assert client.post(f"/customers/settings/stages/{own.id}", data={"name": "x", "probability": 1}
                       ).status_code == 404
    assert client.post("/customers/settings/nonsense", data={"name": "x"}).status_code == 404


def test_pipeline_board_moves_cards(client, world, three, login_as):
    s1, s2 = stage("Lead", 10), stage("Deal", 60)
    opp = Opportunity(title="二号线改造", customer_id=three["a"].id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                      stage_id=s1.id, amount=Decimal("250000.00"), probability=10)
    db.session.add(opp)
    db.session.commit()
    login_as(user=world.rep_a)
    html = client.get("/customers/pipeline").get_data(as_text=True)
    assert "二号线改造" in html and 'name="stage_id"' in html and "hx-post" in html
    resp = client.post(f"/customers/opportunities/{opp.id}/stage", data={"stage_id": s2.id},
                       headers={"HX-Request": "true"})
    assert resp.status_code == 200 and 'id="board"' in resp.get_data(as_text=True)
    assert "<html" not in resp.get_data(as_text=True)
    db.session.expire_all()
    moved = db.session.get(Opportunity, opp.id)
    assert (moved.stage_id, moved.probability) == (s2.id, 60)
    resp = client.post(f"/customers/opportunities/{opp.id}/stage", data={"stage_id": s1.id})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/customers/pipeline")
    assert client.post(f"/customers/opportunities/{opp.id}/stage", data={"stage_id": "x"}).status_code == 302
    login_as(user=world.rep_b)
    assert client.post(f"/customers/opportunities/{opp.id}/stage", data={"stage_id": s2.id}).status_code == 404
    assert "二号线改造" not in client.get("/customers/pipeline").get_data(as_text=True)
    login_as(user=world.gm)
    assert "二号线改造" in client.get("/customers/pipeline").get_data(as_text=True)
    assert client.post(f"/customers/opportunities/{opp.id}/stage", data={"stage_id": s2.id}).status_code == 403


def test_opportunity_create_and_close(client, world, three, login_as):
    login_as(user=world.rep_a)
    c = three["a2"]
    assert client.get(f"/customers/{c.id}/opportunities/new").status_code == 404
    c = three["a"]
    page = client.get(f"/customers/{c.id}/opportunities/new")
    assert page.status_code == 200
    from portal.customers.models import OpportunityStage

    first = db.session.scalars(select(OpportunityStage).order_by(OpportunityStage.position)).first()
    resp = client.post(f"/customers/{c.id}/opportunities/new", data={"title": "年度框架", "stage_id": first.id,
                                                                     "amount": "1,000,000.00"})
    assert resp.status_code == 302
    opp = db.session.scalars(select(Opportunity)).one()
    assert opp.amount == Decimal("1000000.00") and opp.probability == first.probability
    resp = client.post(f"/customers/opportunities/{opp.id}/close", data={"outcome": "lost"})
    assert resp.status_code == 200 and "请选择输单原因" in resp.get_data(as_text=True)
    resp = client.post(f"/customers/opportunities/{opp.id}/close", data={"outcome": "won"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(Opportunity, opp.id).status == "won"
    assert client.get("/customers/opportunities?status=won").get_data(as_text=True).count("年度框架") == 1


def test_requests_flow(client, world, three, login_as):
    login_as(user=world.rep_a)
    c = three["a"]
    resp = client.post(f"/customers/{c.id}/requests/new", data={
        "kind": "samples", "description": "三套样品", "asked_at": "2026-11-20T17:00", "assignee_id": world.rep_a2.id})
    assert resp.status_code == 302
    req = db.session.scalars(select(ResourceRequest)).one()
    assert req.due_at == datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    # The request is rep_a2's to answer: it is on their list and in the director's, not on rep_a's.
    assert "三套样品" not in client.get("/customers/requests").get_data(as_text=True)
    login_as(user=world.director_a)
    assert "三套样品" in client.get("/customers/requests").get_data(as_text=True)
    login_as(user=world.rep_a2)
    assert "三套样品" in client.get("/customers/requests").get_data(as_text=True)
    assert client.post(f"/customers/requests/{req.id}/answer", data={"answer": ""}).status_code == 200
    resp = client.post(f"/customers/requests/{req.id}/answer", data={"answer": "已寄出"})
    assert resp.status_code == 302
    db.session.expire_all()
    assert db.session.get(ResourceRequest, req.id).answered_at is not None
    login_as(user=world.rep_b)
    assert client.get(f"/customers/requests/{req.id}/answer").status_code == 404


def test_market_information(client, world, three, login_as):
    login_as(user=world.rep_a)
    resp = client.post(f"/customers/market/new?customer_id={three['a'].id}",
                       data={"kind": "competitor", "title": "竞品降价", "body": "**8%** 降价", "customer_id": "1"})
    assert resp.status_code == 302
    info = db.session.scalars(select(MarketInfo)).one()
    assert info.customer_id == three["a"].id and info.team_id == world.team_a.id
    assert client.get(f"/customers/market/new?customer_id={three['b'].id}").status_code == 404
    login_as(user=world.rep_a2)  # shared with the team
    assert "竞品降价" in client.get("/customers/market").get_data(as_text=True)
    assert "<strong>8%</strong>" in client.get(f"/customers/market/{info.id}").get_data(as_text=True)
    login_as(user=world.director_b)
    assert "竞品降价" not in client.get("/customers/market").get_data(as_text=True)
    assert client.get(f"/customers/market/{info.id}").status_code == 404
    login_as(user=world.gm)
    assert "竞品降价" in client.get("/customers/market?kind=competitor").get_data(as_text=True)
    assert "竞品降价" not in client.get("/customers/market?kind=trend").get_data(as_text=True)


def test_exports_follow_filters_and_scope(client, world, three, login_as):
    three["b"].phone = "=cmd|'/c calc'!A1"
    db.session.commit()
    login_as(user=world.rep_a)
    resp = client.get("/customers/export.csv")
    text = resp.data.decode("utf-8")
    assert text.startswith("\ufeff") and "杭州精密机械有限公司" in text and "北京远大" not in text
    assert "\r\n" in text
    resp = client.get("/customers/export.csv?q=hzjm")
    assert "苏州嘉禾" not in resp.data.decode("utf-8")
    from openpyxl import load_workbook

    resp = client.get("/customers/export.xlsx")
    wb = load_workbook(io.BytesIO(resp.data))
    names = [row[0] for row in wb.active.iter_rows(min_row=2, values_only=True)]
    assert sorted(names) == sorted(["杭州精密机械有限公司", "苏州嘉禾食品有限公司"])
    login_as(user=world.gm)
    text = client.get("/customers/export.csv").data.decode("utf-8")
    assert "'=cmd" in text  # a formula is neutralised


def test_home_panels(client, world, three, login_as):
    today = local_today()
    db.session.add_all([
        Activity(kind="call", customer_id=three["a"].id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                 occurred_at=datetime.now(UTC) - timedelta(days=3), summary="s", next_step="回访报价单",
                 follow_up_on=today - timedelta(days=1)),
        Activity(kind="call", customer_id=three["a"].id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                 occurred_at=datetime.now(UTC) - timedelta(days=3), summary="s", next_step="下周的事",
                 follow_up_on=today + timedelta(days=7)),
    ])
    now = datetime.now(UTC)
    db.session.add(ResourceRequest(customer_id=three["a"].id, kind="quotation", description="报价请求",
                                   asked_at=now - timedelta(days=5), due_at=now - timedelta(days=3),
                                   assignee_id=world.rep_a.id, team_id=world.team_a.id))
    db.session.commit()
    login_as(user=world.rep_a)
    html = home_html(client)
    assert "我的今天" in html and "回访报价单" in html and "下周的事" not in html and "报价请求" in html
    assert "杭州精密机械有限公司" in html  # never contacted: stale
    login_as(user=world.director_a)
    html = home_html(client)
    assert "团队逾期跟进" in html and "回访报价单" in html and "报价请求" in html
    login_as(user=world.director_b)
    html = home_html(client)
    assert "回访报价单" not in html


def test_follow_up_done_from_home(client, world, three, login_as):
    a = Activity(kind="visit", customer_id=three["a"].id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                 occurred_at=datetime.now(UTC), summary="s", follow_up_on=local_today())
    db.session.add(a)
    db.session.commit()
    login_as(user=world.rep_a2)
    assert client.post(f"/customers/activities/{a.id}/done").status_code == 404
    login_as(user=world.rep_a)
    resp = client.post(f"/customers/activities/{a.id}/done", data={"next": "home"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/")
    db.session.expire_all()
    assert db.session.get(Activity, a.id).follow_up_done


def test_contacts_crud(client, world, three, login_as):
    login_as(user=world.rep_a)
    c = three["a"]
    resp = client.post(f"/customers/{c.id}/contacts/new", data={"name": "王芳", "email": "not-mail"})
    assert resp.status_code == 200
    resp = client.post(f"/customers/{c.id}/contacts/new", data={"name": "王芳", "title": "采购经理",
                                                                "wechat": "wf_88", "phone": "13800000000"})
    assert resp.status_code == 302
    contact = db.session.scalars(select(Contact)).one()
    other = three["a2"]
    assert client.get(f"/customers/{other.id}/contacts/{contact.id}").status_code == 404
    assert client.post(f"/customers/{c.id}/contacts/{contact.id}", data={"name": "王芳芳"}).status_code == 302
    assert client.post(f"/customers/{c.id}/contacts/{contact.id}/delete").status_code == 302
    assert db.session.query(Contact).count() == 0


def test_timeline_takes_items_from_other_features(client, world, three, login_as):
    from portal.customers.timeline import SOURCES, TimelineItem, register_timeline_source

    seen = []

    def fill(item):
        item.title, item.summary, item.url, item.badge = "合同 HT-2026-001", "¥500,000.00", "/contracts/1", "合同"

    def contracts(customer, viewer, limit):
        seen.append((customer.id, viewer.id, limit))
        return [TimelineItem(at=datetime(2026, 1, 5, 2, 0, tzinfo=UTC), kind="contract", title="", fill=fill)], 1

    register_timeline_source("test_contracts", contracts)
    try:
        login_as(user=world.rep_a)
        html = client.get(f"/customers/{three['a'].id}").get_data(as_text=True)
        assert "合同 HT-2026-001" in html and 'href="/contracts/1"' in html
        assert seen == [(three["a"].id, world.rep_a.id, 20)]
    finally:
        SOURCES.pop("test_contracts", None)


def test_every_page_renders_with_the_demo_data(client, app):
    from portal.customers.demo import seed_customers
    from portal.people.demo import seed_people
    from portal.people.models import User

    ctx: dict = {}
    seed_people(ctx)
    seed_customers(ctx)
    db.session.commit()
    from conftest import sign_in

    for username in ("li.na", "zhao.director", "gm"):
        user = db.session.scalars(select(User).where(User.username == username)).one()
        sign_in(client, user)
        visible = db.session.scalars(select(Customer).where(Customer.team_id == user.team_id)
                                     if user.team_id else select(Customer)).all()
        mine = next(c for c in visible if c.owner_id in (user.id, None) or user.role != "rep")
        ids = [c.id for c in visible]
        opp = db.session.scalars(select(Opportunity).where(Opportunity.customer_id.in_(ids))).first()
        req = db.session.scalars(select(ResourceRequest).where(ResourceRequest.team_id == mine.team_id)).first()
        info = db.session.scalars(select(MarketInfo).where(MarketInfo.team_id == mine.team_id)).first()
        urls = ["/", "/customers/", "/customers/?q=hz&stale=30", f"/customers/{mine.id}", "/customers/pipeline",
                "/customers/opportunities", "/customers/opportunities?status=all", "/customers/requests",
                "/customers/requests?state=answered", "/customers/requests?state=overdue", "/customers/market",
                f"/customers/market/{info.id}", "/customers/export.xlsx"]
        if user.role != "rep" or opp.owner_id == user.id:
            urls.append(f"/customers/opportunities/{opp.id}")
        if user.role != "rep" or req.assignee_id == user.id:
            urls.append(f"/customers/requests/{req.id}/answer")
        if user.role != "rep":
            urls.append("/customers/settings")
        if user.role != "gm":
            urls += ["/customers/new", "/customers/import", f"/customers/{mine.id}/requests/new",
                     "/customers/market/new"]
        for url in urls:
            assert client.get(url).status_code == 200, (username, url)


def test_edit_release_and_delete_entry(client, world, three, login_as):
    login_as(user=world.rep_a)
    c = three["a"]
    resp = client.post(f"/customers/{c.id}/edit", data={"name": "宁波恒信电子科技有限公司", "kind": "customer"})
    assert resp.status_code == 200 and "已有同名客户" in resp.get_data(as_text=True)
    resp = client.post(f"/customers/{c.id}/edit", data={"name": "杭州精密机械股份有限公司", "kind": "customer",
                                                        "tier": "A", "annual_value": "¥2,000,000"})
    assert resp.status_code == 302
    db.session.expire_all()
    edited = db.session.get(Customer, c.id)
    assert (edited.name, edited.tier, edited.annual_value) == ("杭州精密机械股份有限公司", "A", Decimal("2000000.00"))
    assert edited.pinyin_initials.startswith("hzjmjx")
    a = Activity(kind="email", customer_id=c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                 occurred_at=datetime.now(UTC), summary="s")
    db.session.add(a)
    db.session.commit()
    login_as(user=world.rep_a2)
    assert client.post(f"/customers/activities/{a.id}/delete").status_code == 404
    login_as(user=world.rep_a)
    assert client.post(f"/customers/activities/{a.id}/delete").status_code == 302
    assert db.session.query(Activity).count() == 0
    assert client.post(f"/customers/{c.id}/release").status_code == 302
    db.session.expire_all()
    assert db.session.get(Customer, c.id).owner_id is None
    assert client.get(f"/customers/{c.id}").status_code == 200  # still visible: it is in the team's pool
    assert client.get(f"/customers/{c.id}/edit").status_code == 403  # but the pool is the director's to edit


def test_edit_opportunity_and_notify_assignee(client, world, three, login_as):
    s1 = stage("Lead", 10)
    opp = Opportunity(title="旧标题", customer_id=three["a"].id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                      stage_id=s1.id, amount=Decimal("1.00"), probability=10)
    db.session.add(opp)
    db.session.commit()
    login_as(user=world.gm)
    assert client.get(f"/customers/opportunities/{opp.id}").status_code == 200
    assert client.get(f"/customers/opportunities/{opp.id}/edit").status_code == 403
    login_as(user=world.rep_a)
    resp = client.post(f"/customers/opportunities/{opp.id}/edit", data={
        "title": "新标题", "stage_id": s1.id, "amount": "3,500", "probability": "40", "expected_close": "2026-12-31"})
    assert resp.status_code == 302
    db.session.expire_all()
    got = db.session.get(Opportunity, opp.id)
    assert (got.title, got.amount, got.probability, str(got.expected_close)) == ("新标题", Decimal("3500.00"), 40,
                                                                                 "2026-12-31")
    resp = client.post(f"/customers/opportunities/{opp.id}/edit", data={"title": "x", "stage_id": s1.id,
                                                                        "amount": "-5", "probability": "400"})
    assert resp.status_code == 200
    from portal.notifications.models import Notification

    client.post(f"/customers/{three['a'].id}/requests/new", data={
        "kind": "support", "description": "远程支持", "asked_at": "2026-11-20T10:00", "assignee_id": world.rep_a2.id})
    note = db.session.scalars(select(Notification)).one()
    assert note.user_id == world.rep_a2.id and "/customers/requests/" in note.link


def test_pipeline_board_loads_more_cards_per_stage(client, world, three, login_as, count_queries):
    from portal.customers.views_opportunities import BOARD_FIRST_CARDS, BOARD_MORE_CARDS

    lead = stage("Lead", 10)
    n = BOARD_FIRST_CARDS + BOARD_MORE_CARDS + 3
    db.session.add_all([Opportunity(title=f"商机{i:02d}", customer_id=three["a"].id, owner_id=world.rep_a.id,
                                    team_id=world.team_a.id, stage_id=lead.id, amount=Decimal("1000.00"),
                                    probability=10) for i in range(n)])
    db.session.commit()
    login_as(user=world.rep_a)
    html = client.get("/customers/pipeline").get_data(as_text=True)
    assert html.count('class="card mb-2 pipeline-card"') == BOARD_FIRST_CARDS
    assert html.count('id="move-') == BOARD_FIRST_CARDS  # every card keeps its keyboard move form
    more = f"/customers/pipeline/stages/{lead.id}?start={BOARD_FIRST_CARDS}"
    assert f'hx-get="{more}"' in html.replace("&amp;", "&")
    with count_queries() as q:
        part = client.get(more, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert q.n <= 6 and "<html" not in part
    assert part.count("pipeline-card") == BOARD_MORE_CARDS and "商机10" in part and "商机09" not in part
    start = BOARD_FIRST_CARDS + BOARD_MORE_CARDS
    assert f"start={start}" in part
    last = client.get(f"/customers/pipeline/stages/{lead.id}?start={start}").get_data(as_text=True)
    assert last.count("pipeline-card") == 3 and "board-more" not in last
    assert client.get("/customers/pipeline/stages/999999").status_code == 404
    login_as(user=world.rep_b)  # another team's rep sees none of rep_a's cards
    assert "pipeline-card" not in client.get(more).get_data(as_text=True)
