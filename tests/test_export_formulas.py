"""Exports built by core.exports.export_response (contract list, target status) do not carry formulas.

Found while adding the outside scan (SECURITY.md): the customer export already neutralised text that a
spreadsheet would run as a formula (CSV injection); the shared contract/status writer did not.
"""
from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

from conftest import sign_in
from openpyxl import load_workbook
from samples_contracts import make_customer

from portal.contracts.models import Contract
from portal.core.db import db
from portal.core.exports import csv_cell as _cell

FORMULA = '=HYPERLINK("http://evil.example/","open")'


def test_cell_neutralises_formula_text_but_not_numbers():
    assert _cell(FORMULA) == "'" + FORMULA
    for text in ("+1+cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx"):
        assert _cell(text) == "'" + text
    for kept in ("plain", "-12.50", "+3", "-5.0%", "1,200.00", Decimal("-3.50"), 7, None):
        assert _cell(kept) == ("" if kept is None else kept)


def test_contract_export_writes_formula_text_as_text(client, world):
    customer = make_customer(world.rep_a, "@无锡华光机电有限公司")
    db.session.add(Contract(number="HT-F1", customer_id=customer.id, title=FORMULA, amount=Decimal("-1.00"),
                            owner_id=world.rep_a.id, team_id=world.team_a.id, status="signed",
                            signed_on=date(2026, 5, 6)))
    db.session.commit()
    sign_in(client, world.rep_a)
    rows = list(csv.reader(io.StringIO(client.get("/contracts/export.csv").get_data(as_text=True).lstrip("\ufeff"))))
    row = next(r for r in rows if r[0] == "HT-F1")
    assert row[1] == "'@无锡华光机电有限公司" and row[2] == "'" + FORMULA and row[3] == "-1.00"
    ws = load_workbook(io.BytesIO(client.get("/contracts/export.xlsx").data)).active
    cells = {ws.cell(r, 1).value: r for r in range(2, ws.max_row + 1)}
    r = cells["HT-F1"]
    assert ws.cell(r, 3).value == "'" + FORMULA and ws.cell(r, 3).data_type == "s"
    assert Decimal(str(ws.cell(r, 4).value)) == Decimal("-1")


def test_every_export_names_its_file_and_customers_quote_formulas_too(app, client, world):
    """One writer for every export: the download's name (quoted, with filename* outside ASCII), the BOM of
    the CSV, and the customer export's text guarded like the contracts'."""
    from portal.core.exports import export_response

    with app.test_request_context():
        response = export_response("csv", "目标-2026", "t", ["a"], [[FORMULA]])
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "filename*=UTF-8''%E7%9B%AE%E6%A0%87-2026.csv" in response.headers["Content-Disposition"]
        assert response.get_data().startswith("\ufeff".encode()) and b"'=HYPERLINK" in response.get_data()
    make_customer(world.rep_a, FORMULA)
    sign_in(client, world.rep_a)
    response = client.get("/customers/export.csv")
    assert response.headers["Content-Disposition"].endswith(".csv") and "customers-" in response.headers[
        "Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert ["'" + FORMULA] == [r[0] for r in rows if r[0].endswith('"open")')]
    ws = load_workbook(io.BytesIO(client.get("/customers/export.xlsx").data)).active
    assert "'" + FORMULA in [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)]
