"""Exports: the contract list and the target-status table as CSV and XLSX, with the page's figures."""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from conftest import sign_in
from openpyxl import load_workbook
from samples_contracts import make_customer

from portal.contracts.models import Contract, Order, Payment
from portal.core.db import db
from portal.core.periods import Period
from portal.plans.models import Target


def _data(world):
    customer = make_customer(world.rep_a, "无锡华光机电有限公司")
    c = Contract(number="HT-E1", customer_id=customer.id, title="export me", amount=Decimal("120000.00"),
                 owner_id=world.rep_a.id, team_id=world.team_a.id, status="signed", signed_on=date(2026, 5, 6))
    db.session.add(c)
    db.session.flush()
    db.session.add(Payment(contract_id=c.id, paid_on=date(2026, 5, 20), amount=Decimal("20000.50"),
                           owner_id=world.rep_a.id, team_id=world.team_a.id))
    db.session.add(Order(ordered_on=date(2026, 5, 8), customer_id=customer.id, amount=Decimal("30000.00"),
                         owner_id=world.rep_a.id, team_id=world.team_a.id))
    t = Target(scope="rep", team_id=world.team_a.id, owner_id=world.rep_a.id, measure="sales",
               base=Decimal("40000.00"), sprint=Decimal("50000.00"))
    t.set_period(Period.parse("2026-05"))
    db.session.add(t)
    db.session.commit()


def test_contract_export_csv_and_xlsx(client, world):
    _data(world)
    sign_in(client, world.director_a)
    resp = client.get("/contracts/export.csv?status=signed")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1][0] == "HT-E1" and rows[1][3] == "120000.00" and rows[1][12] == "20000.50"
    assert rows[1][13] == "99999.50"
    resp = client.get("/contracts/export.xlsx?status=signed")
    ws = load_workbook(io.BytesIO(resp.data)).active
    assert ws.cell(2, 1).value == "HT-E1" and Decimal(str(ws.cell(2, 4).value)) == Decimal("120000")
    assert Decimal(str(ws.cell(2, 14).value)) == Decimal("99999.5")
    assert ws.title == "合同" and ws.cell(1, 1).value == "合同编号"
    assert ws.cell(2, 4).number_format == ws.cell(2, 14).number_format == "#,##0.00"  # money as money
    assert ws.cell(2, 1).number_format == "General"
    assert client.get("/contracts/export.pdf").status_code == 404
    sign_in(client, world.director_b)
    rows = list(csv.reader(io.StringIO(client.get("/contracts/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 1  # the header only: team A's contracts are not theirs


def test_status_export_matches_the_page(client, world):
    _data(world)
    sign_in(client, world.rep_a)
    page = client.get("/plans/status?period=2026-05").get_data(as_text=True)
    assert "¥30,000.00" in page and "75.0%" in page
    resp = client.get("/plans/status/export.csv?period=2026-05")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True).lstrip("\ufeff"))))
    sales = rows[1]
    assert sales[1:6] == ["40000.00", "50000.00", "", "30000.00", "75.0"]
    assert sales[7] == "10000.00"
    contracts = rows[2]
    assert contracts[4] == "120000.00"
    ws = load_workbook(io.BytesIO(client.get("/plans/status/export.xlsx?period=2026-05").data)).active
    assert [ws.cell(2, i).value for i in (2, 5)] == [40000, 30000]
    assert Decimal(str(ws.cell(2, 6).value)) == Decimal("75.0")
    sign_in(client, world.rep_b)
    assert client.get(f"/plans/status/export.csv?scope=rep&rep_id={world.rep_a.id}").status_code == 404
