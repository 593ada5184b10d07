"""Issue #9 fixes, one by one: NUL characters, numbers too large for the database, unknown filter values."""
from __future__ import annotations

from samples_customers import customer


def test_a_nul_character_is_a_bad_request_not_a_database_error(client, world, login_as):
    login_as(user=world.rep_a)
    resp = client.get("/customers/", query_string={"q": "a\x00b"})
    assert resp.status_code == 400 and "<main" in resp.get_data(as_text=True)
    resp = client.post("/customers/new", data={"name": "Nul\x00 Co."})
    assert resp.status_code == 400
    assert client.get("/customers/", query_string={"q": "张伟 ' OR '1'='1 %_\\\\"}).status_code == 200


def test_a_number_too_large_for_the_database_is_a_bad_request(client, world, login_as):
    customer(world.rep_a, name="大数测试有限公司")
    login_as(user=world.director_a)
    huge = "9" * 23
    assert client.get("/customers/", query_string={"page": huge}).status_code == 200  # a page past the end
    assert client.get("/contracts/", query_string={"customer_id": huge}).status_code == 400
    assert client.get("/customers/", query_string={"owner": huge}).status_code in (200, 400)
    assert client.get("/customers/").status_code == 200  # the session is usable again


def test_an_unknown_expense_approval_filter_lists_everything(client, world, login_as):
    login_as(user=world.director_a)
    resp = client.get("/plans/expenses", query_string={"approval": "' OR '1'='1"})
    assert resp.status_code == 200


def test_exports_carry_no_spreadsheet_formula(client, world, login_as):
    """Text a spreadsheet would run (=HYPERLINK…, +, -, @) leaves the portal with a leading quote."""
    from io import BytesIO

    from openpyxl import load_workbook

    from portal.core.db import db
    from portal.core.text import spreadsheet_safe

    assert spreadsheet_safe("=1+1") == "'=1+1" and spreadsheet_safe("@SUM(A1)") == "'@SUM(A1)"
    assert spreadsheet_safe("Plain") == "Plain" and spreadsheet_safe(-5) == -5
    from samples_contracts import make_contract, make_customer

    make_contract(world.rep_a, make_customer(world.rep_a, '=HYPERLINK("http://evil.example","XSS")'))
    db.session.commit()
    login_as(user=world.director_a)
    csv = client.get("/contracts/export.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in csv and '=HYPERLINK' not in csv.replace("'=HYPERLINK", "")
    resp = client.get("/contracts/export.xlsx")
    values = [c.value for row in load_workbook(BytesIO(resp.data)).active.iter_rows() for c in row]
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
