"""The customer list's and timeline's cheaper paths (issue 8): a search's page and count in one query,
row links built once, labels translated once, and the timeline's per-source limits and totals."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask import url_for
from samples_customers import customer, stage

from portal.core.db import db
from portal.core.links import id_paths
from portal.customers.models import Activity, Contact, CustomerEvent, Opportunity, ResourceRequest


def test_id_paths_builds_what_url_for_builds(app):
    with app.test_request_context():
        detail = id_paths("customers.detail", "customer_id")
        for ident in (1, 42, 1234567):
            assert detail(ident) == url_for("customers.detail", customer_id=ident)
        contact = id_paths("customers.edit_contact", "contact_id", customer_id=7)
        assert contact(9) == url_for("customers.edit_contact", customer_id=7, contact_id=9)


def test_a_search_counts_its_matches_with_the_page(client, world, login_as, count_queries):
    for n in range(27):
        customer(world.rep_a, name=f"温州远航{n:02d}贸易有限公司")
    customer(world.rep_a, name="杭州精密机械有限公司")
    login_as(user=world.rep_a)
    client.get("/customers/?q=远航")
    with count_queries() as searched:
        html = client.get("/customers/?q=远航").get_data(as_text=True)
    with count_queries() as listed:
        client.get("/customers/")
    assert html.count("温州远航") == 25 and "杭州精密" not in html
    assert "共 27 条，第 1 / 2 页" in html
    assert searched.n == listed.n - 1  # no separate count query for a search
    html = client.get("/customers/?q=远航&page=2").get_data(as_text=True)
    assert html.count("温州远航") == 2 and "共 27 条，第 2 / 2 页" in html
    # Past the last page: no row carries the count, which is still right.
    html = client.get("/customers/?q=远航&page=5").get_data(as_text=True)
    assert "温州远航" not in html and "共 27 条" in html
    html = client.get("/customers/?q=不存在的名字").get_data(as_text=True)
    assert "没有符合筛选条件的客户" in html


def test_a_search_still_finds_contacts_and_links_each_row(client, world, login_as):
    found = customer(world.rep_a, name="宁波恒信电子科技有限公司")
    db.session.add(Contact(customer_id=found.id, name="周晓梅", phone="13912345678"))
    db.session.commit()
    login_as(user=world.rep_a)
    html = client.get("/customers/?q=周晓梅").get_data(as_text=True)
    assert f'href="/customers/{found.id}"' in html and "共 1 条" in html


def test_labels_are_translated_strings(client, world, login_as):
    from portal.customers.views import labels

    user = login_as(user=world.rep_a)
    customer(world.rep_a, name="杭州精密机械有限公司", status="active")
    user.locale = "zh_CN"
    db.session.commit()
    html = client.get("/customers/").get_data(as_text=True)
    assert ">正式客户</span>" in html  # the status badge, in the user's language
    with client.application.test_request_context():
        assert all(type(word) is str for words in labels().values() for word in words.values())


def test_timeline_pages_count_every_entry(client, world, login_as):
    c = customer(world.rep_a, name="杭州精密机械有限公司")
    start = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    db.session.add_all([Activity(kind="visit", customer_id=c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                                 occurred_at=start + timedelta(days=n), summary=f"第{n:02d}次拜访")
                        for n in range(25)])
    db.session.commit()
    login_as(user=world.rep_a)
    first = client.get(f"/customers/{c.id}").get_data(as_text=True)
    assert "第24次拜访" in first and "第05次拜访" in first and "第04次拜访" not in first
    assert "1 / 2" in first
    second = client.get(f"/customers/{c.id}?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "第04次拜访" in second and "第00次拜访" in second and "第05次拜访" not in second
    assert "<html" not in second and "2 / 2" in second
    # The writer may delete each of their entries; a teammate's page view has no such buttons.
    assert first.count("/delete") >= 20
    # Status changes between the entries: each source keeps its newest rows, the page merges them in order.
    db.session.add_all([CustomerEvent(customer_id=c.id, team_id=world.team_a.id, kind="claimed",
                                      actor_id=world.rep_a.id, note=f"第{n:02d}天领取",
                                      occurred_at=start + timedelta(days=n, hours=1)) for n in (3, 22)])
    db.session.commit()
    first = client.get(f"/customers/{c.id}").get_data(as_text=True)
    assert "第22天领取" in first and "第03天领取" not in first and "第06次拜访" in first
    assert "第05次拜访" not in first  # 20 entries: 24…6 and the event of day 22
    second = client.get(f"/customers/{c.id}?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "第03天领取" in second and "第05次拜访" in second and "第00次拜访" in second


def test_timeline_entries_from_plain_rows_show_what_the_objects_showed(client, world, login_as, count_queries):
    """The timeline reads plain columns (names joined in, the contacts as one string) and its words are
    translated once per language: every kind still shows its people, contacts, stage, answer and
    follow-up, the values escaped, and each entry's delete button follows can_edit_activity."""
    c = customer(world.rep_a, name="杭州精密机械有限公司")
    wang, li = Contact(customer_id=c.id, name="王芳"), Contact(customer_id=c.id, name="李强")
    db.session.add_all([wang, li])
    db.session.flush()
    at = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    call = Activity(kind="call", customer_id=c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                    occurred_at=at, duration_minutes=15, direction="outgoing", summary="电话沟通",
                    outcome="<b>报价</b>", next_step="寄样品", follow_up_on=date(2026, 3, 9), contacts=[wang, li])
    visit = Activity(kind="visit", customer_id=c.id, owner_id=world.rep_a2.id, team_id=world.team_a.id,
                     occurred_at=at - timedelta(days=1), summary="同事拜访")
    db.session.add_all([call, visit])
    db.session.add(Opportunity(title="二期产线", customer_id=c.id, owner_id=world.rep_a.id, team_id=world.team_a.id,
                               stage_id=stage("初步接洽").id, amount=Decimal("1000.00"), probability=30,
                               created_at=at - timedelta(days=2)))
    db.session.add_all([
        ResourceRequest(customer_id=c.id, kind="samples", description="要样品", asked_at=at - timedelta(days=3),
                        due_at=at - timedelta(days=2), answered_at=at - timedelta(days=1),
                        assignee_id=world.rep_a.id, team_id=world.team_a.id),
        ResourceRequest(customer_id=c.id, kind="samples", description="再要样品", asked_at=at - timedelta(days=4),
                        due_at=at + timedelta(days=30), assignee_id=world.rep_a2.id, team_id=world.team_a.id),
        CustomerEvent(customer_id=c.id, team_id=world.team_a.id, kind="claimed", actor_id=world.rep_a.id,
                      note="从公海领取", occurred_at=at - timedelta(days=5))])
    db.session.commit()
    login_as(user=world.rep_a)
    html = client.get(f"/customers/{c.id}").get_data(as_text=True)
    assert "(6)" in html  # two entries, an opportunity, two requests and an event
    assert "15 分钟" in html and "联系人 王芳, 李强" in html and "&lt;b&gt;报价&lt;/b&gt;" in html
    assert "寄样品" in html and "2026-03-09 跟进" in html and "标记完成" in html
    assert "初步接洽 (30%)" in html and "¥1,000.00" in html and "二期产线" in html
    assert f"{world.rep_a.display_name} 于 " in html and "超时" in html
    assert f"等待 {world.rep_a2.display_name} 回复" in html and "从公海领取" in html
    # The rep deletes their own entry only; their director deletes both.
    assert f"/activities/{call.id}/delete" in html and f"/activities/{visit.id}/delete" not in html
    login_as(user=world.director_a)
    html = client.get(f"/customers/{c.id}").get_data(as_text=True)
    assert f"/activities/{call.id}/delete" in html and f"/activities/{visit.id}/delete" in html
    # The fragment htmx asks for is the same timeline.
    part = client.get(f"/customers/{c.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in part and "联系人 王芳, 李强" in part
    with client.application.test_request_context():
        from portal.customers.timeline import timeline_words

        assert timeline_words() is timeline_words()  # translated once per language
        from portal.customers.timeline import build_timeline

        assert c.id  # loaded before counting
        build_timeline(c, world.rep_a)  # the settings and cache tokens the scope reads, once per request
        client.application.extensions["portal.cache"].pop("customer_timeline")  # the rows the worker keeps
        with count_queries() as q:
            page = build_timeline(c, world.rep_a)
        assert q.n == 1, q.statements  # every kind, the contracts' too, in one UNION ALL
        with count_queries() as q:
            assert build_timeline(c, world.rep_a).items == page.items
        assert q.n == 0  # kept until the customer's history changes (test_customers_timeline_cache.py)
        items, total = page.items, page.total
        assert total == 6 and [i.kind for i in items].count("request") == 2
        assert {i.kind for i in items} == {"activity", "opportunity", "request", "event"}


def test_narrow_pages_are_the_pages_a_plain_offset_gives(app, world):
    """paginate_narrow picks the page's ids in a subquery: every page, every sort, same rows and order."""
    from portal.core.pagination import paginate, paginate_narrow
    from portal.customers.models import Customer
    from portal.customers.views import SORTS

    for n in range(60):
        customer(world.rep_a, name=f"分页客户{n:02d}", tier="ABC"[n % 3],
                 last_contact_at=None if n % 7 == 0 else datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n % 11))
    columns = db.select(Customer.id, Customer.name)
    for sort, order in SORTS.items():
        stmt = db.select(Customer).order_by(*order)
        for page in (1, 2, 3, 4):
            with app.test_request_context(f"/customers/?page={page}"):
                plain, narrow = paginate(stmt), paginate_narrow(stmt, Customer)
                rows = paginate_narrow(stmt, Customer, rows=columns)
                assert [c.id for c in narrow.items] == [c.id for c in plain.items] == [r.id for r in rows.items], \
                    (sort, page)
                assert narrow.total == plain.total == rows.total == 60


def test_searched_pages_are_the_pages_a_plain_offset_gives(app, world):
    """A search's pages with their count in one query (paginate_counted fenced: on
    PostgreSQL the matches are counted apart, then sorted): every sort, every page, the same rows and
    order, and the same total, as a plain OFFSET and a count."""
    from portal.core.pagination import paginate, paginate_counted
    from portal.customers.models import Customer
    from portal.customers.views import SORTS

    for n in range(60):
        customer(world.rep_a, name=f"搜索客户{n:02d}" if n % 4 else f"其他客户{n:02d}", tier=[None, "A", "B"][n % 3],
                 last_contact_at=None if n % 7 == 0 else datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n % 11))
    found = Customer.name.contains("搜索")
    columns = db.select(Customer.id, Customer.name).where(found)
    for sort, order in SORTS.items():
        for page in (1, 2, 3):
            with app.test_request_context(f"/customers/?page={page}"):
                plain = paginate(db.select(Customer).where(found).order_by(*order, Customer.id))
                counted = paginate_counted(columns.order_by(*order, Customer.id), fence=True)
                assert [r.id for r in counted.items] == [c.id for c in plain.items], (sort, page)
                assert counted.total == plain.total == 45


def test_a_page_past_the_end_only_counts(app, world, count_queries):
    """Past the last page the rows are not looked for (the database would walk every row to find none)."""
    from portal.core.pagination import paginate_narrow
    from portal.customers.models import Customer

    for n in range(30):
        customer(world.rep_a, name=f"末页客户{n:02d}")
    stmt = db.select(Customer).order_by(Customer.name_key, Customer.id)
    for page, shown in ((2, 5), (3, 0), (500, 0)):
        with app.test_request_context(f"/customers/?page={page}"), count_queries() as q:
            result = paginate_narrow(stmt, Customer)
        assert (len(result.items), result.total, q.n) == (shown, 30, 2 if shown else 1), page


def test_the_search_column_follows_every_change_of_names_phones_and_contacts(client, world, login_as):
    """customers.search keeps one column current in the flush: the list's search reads only it."""
    from sqlalchemy import select as sa_select

    from portal.customers.models import Customer
    from portal.customers.search import compose, refresh_all

    def found(q):
        return client.get(f"/customers/?q={q}").get_data(as_text=True)

    c = customer(world.rep_a, name="宁波恒信电子科技有限公司", phone="0574-8888")
    other = customer(world.rep_a, name="温州远航贸易有限公司")
    login_as(user=world.rep_a)
    assert "宁波恒信" in found("hengxin") and "宁波恒信" in found("0574")  # pinyin and phone
    person = Contact(customer_id=c.id, name="Zhou Xiaomei", phone="13912345678")
    db.session.add(person)
    db.session.commit()
    assert "宁波恒信" in found("ZHOU") and "宁波恒信" in found("1391234")  # folded like names
    person.name, person.phone = "王丽", "13700000000"
    db.session.commit()
    assert "宁波恒信" not in found("zhou") and "宁波恒信" in found("王丽")
    person.customer_id = other.id  # moved to another customer: found there, no longer here
    db.session.commit()
    html = found("王丽")
    assert "温州远航" in html and "宁波恒信" not in html
    db.session.delete(person)
    c.name, c.phone = "宁波新恒信科技有限公司", None
    db.session.commit()
    assert "温州远航" not in found("王丽") and "宁波" in found("xinhengxin") and "宁波" not in found("0574")
    # Parts never run together: the end of one contact's name and the start of the next are not one match.
    db.session.add_all([Contact(customer_id=other.id, name="陈", phone=None), Contact(customer_id=other.id, name="明")])
    db.session.commit()
    assert "温州远航" in found("陈") and "温州远航" not in found("陈明")
    # What the flush wrote is what a full recompute (migration, bulk loads) writes.
    kept = dict(db.session.execute(sa_select(Customer.id, Customer.search_text)).all())
    refresh_all(db.session.connection())
    assert dict(db.session.execute(sa_select(Customer.id, Customer.search_text)).all()) == kept
    assert kept[c.id] == compose(c.name_key, None, c.pinyin_full, c.pinyin_initials, [])


def test_the_region_menu_and_the_count_are_those_of_what_the_user_sees(app, world):
    """region_menu and visible_count union one select per visibility term: the same answers as one
    select over the OR of the terms."""
    from portal.customers.access import visible_customers
    from portal.customers.models import Customer
    from portal.customers.views import region_menu, visible_count

    customer(world.rep_a, name="甲一", region="杭州")
    customer(world.rep_a2, name="甲二", region="宁波")
    customer(team=world.team_a, name="甲池", region="绍兴")  # the team's pool
    customer(world.rep_b, name="乙一", region="北京")
    customer(team=world.team_b, name="公司池", region="上海", company_pool=True)
    customer(world.rep_a, name="甲无区")
    seen = {}
    for who in ("rep_a", "rep_a2", "director_a", "rep_b", "director_b", "gm", "admin"):
        user = getattr(world, who)
        with app.test_request_context():
            plain = sorted(db.session.scalars(visible_customers(user).with_only_columns(Customer.region)
                                              .where(Customer.region.is_not(None)).distinct()))
            seen[who] = region_menu(user)
            assert seen[who] == plain, who
            # The list's count, one id set per term joined by UNION: a customer in two terms counts once.
            for conds in ([], [Customer.region == "杭州"], [Customer.owner_id.is_(None)]):
                expected = len(db.session.scalars(visible_customers(user).where(*conds)).all())
                assert db.session.scalar(visible_count(user, conds)) == expected, (who, conds)
    assert seen["rep_a"] == ["上海", "杭州", "绍兴"] and "北京" not in seen["director_a"]
    assert seen["gm"] == ["上海", "北京", "宁波", "杭州", "绍兴"] and seen["admin"] == []


def test_the_list_holds_exactly_the_customers_each_role_may_open(app, world):
    """The list's terms (a term inside another left out) against the per-record rule, for every data scope
    and with the team setting that lets reps read the team's customers."""
    from sqlalchemy import select as sa_select

    from portal.core import settings
    from portal.customers.access import TEAM_READ_KEY, can_see_customer, visible_customers
    from portal.customers.models import Customer

    customer(world.rep_a, name="甲一")
    customer(world.rep_a2, name="甲二")
    customer(world.director_a, name="甲总")
    customer(team=world.team_a, name="甲池")
    customer(world.rep_b, name="乙一")
    customer(team=world.team_b, name="乙池")
    customer(team=world.team_b, name="公司池", company_pool=True)
    everyone = ("rep_a", "rep_a2", "director_a", "rep_b", "director_b", "gm", "admin")
    for director_scope, rep_scope, team_read in (("dept_and_sub", "self", False), ("dept", "dept", False),
                                                 ("self_and_reports", "self", True), ("self", "dept_and_sub", True)):
        settings.put("data_scope.director", director_scope)
        settings.put("data_scope.rep", rep_scope)
        settings.put(TEAM_READ_KEY, team_read, team_id=world.team_a.id)
        db.session.commit()
        for who in everyone:
            user = getattr(world, who)
            with app.test_request_context():
                listed = set(db.session.scalars(visible_customers(user).with_only_columns(Customer.id)))
                allowed = {c.id for c in db.session.scalars(sa_select(Customer)) if can_see_customer(user, c)}
                assert listed == allowed, (who, director_scope, rep_scope, team_read)


def test_a_list_read_per_visibility_term_pages_as_the_whole_or(app, world, count_queries):
    """A director's or rep's list picks its page from each visibility term's first rows (core.pagination's
    branches): every sort, filter and page holds the rows and order a plain OFFSET over the OR gives,
    in the same number of queries."""
    from portal.core import settings
    from portal.core.pagination import paginate, paginate_narrow
    from portal.customers.access import visible_customers
    from portal.customers.models import Customer
    from portal.customers.views import SORTS, visible_branches

    owners = [world.rep_a, world.rep_a2, world.director_a, None, world.rep_b]
    for n in range(48):
        owner = owners[n % len(owners)]
        customer(owner, team=None if owner else (world.team_a if n % 2 else world.team_b),
                 name=f"分支客户{(n * 7) % 48:02d}", tier=[None, "A", "B"][n % 3], status=("prospect", "active")[n % 2],
                 company_pool=owner is None and n % 4 == 1,
                 last_contact_at=None if n % 5 == 0 else datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=n % 9))
    columns = db.select(Customer.id, Customer.name)
    for director_scope in ("dept_and_sub", "self_and_reports"):
        settings.put("data_scope.director", director_scope)
        db.session.commit()
        for who in ("director_a", "rep_a"):
            user = getattr(world, who)
            for conds in ([], [Customer.status == "active"]):
                for sort, order in SORTS.items():
                    for page in (1, 2, 3, 4):
                        with app.test_request_context(f"/customers/?page={page}"):
                            stmt = visible_customers(user).where(*conds).order_by(*order)
                            branches = visible_branches(user, conds, order)
                            assert branches and len(branches) > 1, who
                            plain = paginate(stmt, per_page=5)
                            with count_queries() as q:
                                picked = paginate_narrow(stmt, Customer, rows=columns, per_page=5, branches=branches)
                                ids = [r.id for r in picked.items]
                                assert picked.total == plain.total
                            assert ids == [c.id for c in plain.items], (who, director_scope, conds, sort, page)
                            assert q.n == (2 if ids else 1)
