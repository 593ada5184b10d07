"""The contract list: what each row shows, the owner and team menus, and a cost that does not grow with rows."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from conftest import sign_in
from samples_contracts import make_contract
from samples_plans import speak_english

from portal.approvals.models import ApprovalRequest
from portal.contracts.models import Payment
from portal.core.db import db
from portal.core.periods import local_today


@pytest.fixture(autouse=True)
def _english(world):
    speak_english(world)


def _rows(html: str) -> dict[str, str]:
    """The list's rows by contract number."""
    body = html.split('id="contract-table"', 1)[1].split("</tbody>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        number = re.search(r'<a href="/contracts/\d+">([^<]+)</a>', row)
        if number:
            rows[number.group(1)] = row
    return rows


def _menu(html: str, select_id: str) -> list[str] | None:
    """The labels of a filter menu's choices (None when the page has no such menu)."""
    found = re.search(rf'<select[^>]*id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    if found is None:
        return None
    return re.findall(r'<option[^>]* value="\d+"[^>]*>([^<]*)</option>', found.group(1))


def _pay(contract, amount: str) -> None:
    db.session.add(Payment(contract_id=contract.id, paid_on=date(2026, 2, 1), amount=Decimal(amount),
                           owner_id=contract.owner_id, team_id=contract.team_id))


def _approval(contract, status="pending", record_type="contract") -> None:
    db.session.add(ApprovalRequest(kind="contract", record_type=record_type, record_id=contract.id,
                                   team_id=contract.team_id, requester_id=contract.owner_id, title="t",
                                   status=status, current_role="director" if status == "pending" else None))


def test_each_row_shows_its_payments_approval_and_overdue(client, world):
    today = local_today()
    paid_twice = make_contract(world.rep_a, amount="1000.00", number="HT-PAID")
    _pay(paid_twice, "100.00")
    _pay(paid_twice, "250.50")
    waiting = make_contract(world.rep_a, amount="2000.00", status="draft", number="HT-WAIT")
    _approval(waiting)
    decided = make_contract(world.rep_a, amount="3000.00", number="HT-DONE")
    _approval(decided, status="approved")
    _approval(decided, record_type="plan")  # another kind of record with the same id
    late = make_contract(world.rep_a, amount="4000.00", status="in_fulfilment", number="HT-LATE")
    late.end_on = today - timedelta(days=1)
    db.session.commit()

    sign_in(client, world.director_a)
    rows = _rows(client.get("/contracts/").get_data(as_text=True))
    assert set(rows) == {"HT-PAID", "HT-WAIT", "HT-DONE", "HT-LATE"}
    assert "¥350.50" in rows["HT-PAID"] and "¥0.00" in rows["HT-WAIT"]
    assert [n for n, row in rows.items() if "Awaiting approval" in row] == ["HT-WAIT"]
    assert [n for n, row in rows.items() if "Overdue" in row] == ["HT-LATE"]
    assert all(world.rep_a.display_name in row for row in rows.values())
    assert f'href="/contracts/{late.id}"' in rows["HT-LATE"]


def test_owner_and_team_menus_by_role(client, world, make_team, make_user):
    make_user("rep", world.team_a, display_name="Gone Rep", active=False)
    sign_in(client, world.director_a)
    html = client.get("/contracts/").get_data(as_text=True)
    # The director's team: the reps by name, then the director (role, descending); nobody of team B, nobody
    # inactive.
    assert _menu(html, "f-rep") == sorted([world.rep_a.display_name, world.rep_a2.display_name]) + [
        world.director_a.display_name]
    assert _menu(html, "f-team") is None  # one team: nothing to choose
    # A sub-team of team A: the director now chooses between two teams, and sees its reps too.
    sub = make_team("Team A-1", parent_id=world.team_a.id)
    sub_rep = make_user("rep", sub, display_name="Sub Rep")
    html = client.get("/contracts/").get_data(as_text=True)
    assert _menu(html, "f-team") == ["Team A", "Team A-1"]
    assert sub_rep.display_name in _menu(html, "f-rep")
    # A rep: only themself, so no menus at all.
    sign_in(client, world.rep_a)
    html = client.get("/contracts/").get_data(as_text=True)
    assert _menu(html, "f-rep") is None and _menu(html, "f-team") is None
    # The GM: every team, every active rep and director.
    sign_in(client, world.gm)
    html = client.get("/contracts/").get_data(as_text=True)
    assert _menu(html, "f-team") == ["Team A", "Team A-1", "Team B"]
    assert set(_menu(html, "f-rep")) == {world.director_a.display_name, world.rep_a.display_name,
                                         world.rep_a2.display_name, world.director_b.display_name,
                                         world.rep_b.display_name, sub_rep.display_name}
    # The orders list offers the same menus.
    sign_in(client, world.director_a)
    html = client.get("/contracts/orders").get_data(as_text=True)
    assert _menu(html, "f-team") == ["Team A", "Team A-1"] and "Sub Rep" in _menu(html, "f-rep")


def test_forms_offer_the_same_owners(client, world):
    sign_in(client, world.director_a)
    for url in ("/contracts/new", "/contracts/orders/new"):
        html = client.get(url).get_data(as_text=True)
        assert _menu(html, "owner_id") == sorted([world.rep_a.display_name, world.rep_a2.display_name]) + [
            world.director_a.display_name], url
    sign_in(client, world.rep_a)
    for url in ("/contracts/new", "/contracts/orders/new"):
        assert _menu(client.get(url).get_data(as_text=True), "owner_id") == [world.rep_a.display_name], url


def test_the_list_costs_the_same_queries_for_3_or_40_contracts(client, world, count_queries):
    def contracts(n: int, start: int) -> None:
        for i in range(start, start + n):
            c = make_contract(world.rep_a if i % 2 else world.rep_a2, amount=f"{1000 + i}.00", number=f"HT-{i}")
            _pay(c, "10.00")
            if i % 3 == 0:
                _approval(c)
        db.session.commit()

    def cost(url: str) -> int:
        client.get(url)  # per-process caches filled first
        with count_queries() as q:
            assert client.get(url).status_code == 200
        return q.n

    sign_in(client, world.director_a)
    contracts(3, 0)
    few = {url: cost(url) for url in ("/contracts/", "/contracts/?status=signed")}
    contracts(37, 3)
    many = {url: cost(url) for url in ("/contracts/", "/contracts/?status=signed", "/contracts/?page=2")}
    assert many["/contracts/"] == few["/contracts/"] == many["/contracts/?page=2"]
    assert many["/contracts/?status=signed"] == few["/contracts/?status=signed"]
    second = client.get("/contracts/?page=2").get_data(as_text=True)
    assert len(_rows(second)) == 15 and "40 in all" in second
