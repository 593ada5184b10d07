"""Importing customers from CSV and XLSX: encodings, line ends, blank lines, dates, thousands
separators, duplicates, rejected rows, the preview/confirm steps and all-or-nothing writing."""
from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from samples_customers import customer
from sqlalchemy import select

from portal.core.db import db
from portal.core.errors import ServiceError
from portal.customers import importer
from portal.customers.models import Contact, Customer

HEADER = "客户名称,类型,等级,地区,联系人,手机,年采购额,成为客户日期,状态"
ROWS = [
    "杭州精密机械有限公司,客户,A,杭州,王伟,13800000001,\"1,200,000.50\",2025/03/01,正式客户",
    "",
    "宁波恒信电子科技有限公司,经销商,b,宁波,李娜,13800000002,\"30,000\",2025年4月2日,",
    "   ,,,,,,,,",
    "苏州嘉禾食品有限公司,partner,C,苏州,,,,20250105,潜在客户",
]


def csv_bytes(lines, encoding="utf-8", newline="\n", bom=False) -> bytes:
    text = newline.join(lines) + newline
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


@pytest.fixture
def import_dir(app, tmp_path):
    app.config["CUSTOMER_IMPORT_FOLDER"] = str(tmp_path / "imports")
    return tmp_path / "imports"


@pytest.mark.parametrize("variant", ["utf8", "bom", "gbk", "crlf", "bom_crlf_gbk_like"])
def test_read_table_encodings_and_line_ends(variant):
    lines = [HEADER, *ROWS]
    data = {
        "utf8": csv_bytes(lines),
        "bom": csv_bytes(lines, bom=True),
        "gbk": csv_bytes(lines, encoding="gbk"),
        "crlf": csv_bytes(lines, newline="\r\n"),
        "bom_crlf_gbk_like": csv_bytes(lines, encoding="gb18030", newline="\r\n"),
    }[variant]
    headers, rows = importer.read_table(data, "客户.csv")
    assert headers[0] == "客户名称" and headers[-1] == "状态"
    assert [n for n, _ in rows] == [2, 4, 6]  # blank lines left out, numbers are the file's own
    assert rows[0][1][0] == "杭州精密机械有限公司" and rows[0][1][6] == "1,200,000.50"


def test_read_table_refuses_bad_files():
    with pytest.raises(ServiceError):
        importer.read_table(b"", "a.csv")
    with pytest.raises(ServiceError):
        importer.read_table(b"\n\n\r\n", "a.csv")
    with pytest.raises(ServiceError):
        importer.read_table(b"name\nx", "a.txt")
    with pytest.raises(ServiceError):
        importer.read_table(b"not a zip", "a.xlsx")
    with pytest.raises(ServiceError):
        importer.read_table(b"PK\x03\x04broken", "a.xlsx")
    with pytest.raises(ServiceError):
        importer.read_table(b"\x81\xff\xfe\x80" * 10, "a.csv")


@pytest.mark.parametrize("text,expected", [
    ("2025-03-01", date(2025, 3, 1)), ("2025/3/1", date(2025, 3, 1)), ("2025.03.01", date(2025, 3, 1)),
    ("20250301", date(2025, 3, 1)), ("01/03/2025", date(2025, 3, 1)), ("2025年3月1日", date(2025, 3, 1)),
    ("2025-03-01 10:20:00", date(2025, 3, 1)),
])
def test_parse_date(text, expected):
    assert importer.parse_date(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("1,200,000.50", Decimal("1200000.50")), ("1，200", Decimal("1200.00")), ("¥ 3,000", Decimal("3000.00")),
    ("12.5万", Decimal("125000.00")), ("800元", Decimal("800.00")),
])
def test_parse_amount(text, expected):
    assert importer.parse_amount(text) == expected


def test_guess_mapping_in_both_languages():
    assert importer.guess_mapping(["客户名称", "联系人", "手机", "备注"]) == {
        0: "name", 1: "contact_name", 2: "contact_phone", 3: "notes"}
    assert importer.guess_mapping(["Name", "Tier", "E-mail", "whatever"]) == {0: "name", 1: "tier", 2: "contact_email"}


def test_check_rows_reports_each_row(app, world):
    customer(world.rep_b, name="ＡＣＭＥ 有限公司")
    rows = [(2, ["好客户", "A", "2025-01-01", "1,000"]), (3, ["acme 有限公司", "B", "", ""]),
            (4, ["好客户 ", "C", "", ""]), (5, ["", "A", "", ""]), (6, ["坏等级", "Z", "", ""]),
            (7, ["坏日期", "A", "2025-13-45", ""]), (8, ["坏金额", "A", "", "一千"])]
    mapping = {0: "name", 1: "tier", 2: "customer_since", 3: "annual_value"}
    with app.test_request_context():
        results = importer.check_rows(rows, mapping, set())
    by = {r.number: (r.status, " ".join(r.reasons)) for r in results}
    assert by[2][0] == "new"
    assert by[3] == ("duplicate", "已有同名客户。")  # ignoring case and full-/half-width
    assert by[4] == ("duplicate", "与第 2 行同名。")
    assert by[5][0] == "rejected" and "名称为空" in by[5][1]
    assert by[6][0] == "rejected" and "Z" in by[6][1]
    assert by[7][0] == "rejected" and "2025-13-45" in by[7][1]
    assert by[8][0] == "rejected" and "一千" in by[8][1]


def _upload(client, data: bytes, name: str):
    return client.post("/customers/import", data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def _mapping_form(headers: list[str]) -> dict:
    return {f"col{i}": f for i, f in importer.guess_mapping(headers).items()}


def test_preview_then_confirm_imports_valid_rows_only(client, world, login_as, import_dir):
    customer(world.rep_b, name="苏州嘉禾食品有限公司")  # exists in another team: still a duplicate
    login_as(user=world.rep_a)
    data = csv_bytes([HEADER, *ROWS, "坏的行,客户,Q,,,,,,", "杭州精密机械有限公司,,,,,,,,"], encoding="gbk",
                     newline="\r\n")
    resp = _upload(client, data, "客户清单.csv")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/customers/import/preview")
    with client.session_transaction() as sess:
        token = sess["customers_import"]
    assert len(token) >= 20 and (Path(import_dir) / f"{token}.bin").read_bytes() == data  # the file, not the cookie
    preview = client.get("/customers/import/preview")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "导入 2 个客户" in html and "与第 2 行同名" in html
    assert db.session.query(Customer).count() == 1  # nothing written by the preview
    form = _mapping_form(HEADER.split(","))
    resp = client.post("/customers/import/confirm", data=form)
    assert resp.status_code == 200
    report = resp.get_data(as_text=True)
    assert "新增：2 · 重复：2 · 拒绝：1" in report
    imported = {c.name: c for c in db.session.scalars(select(Customer).where(Customer.owner_id == world.rep_a.id))}
    assert set(imported) == {"杭州精密机械有限公司", "宁波恒信电子科技有限公司"}
    hz = imported["杭州精密机械有限公司"]
    assert hz.annual_value == Decimal("1200000.50") and hz.status == "active" and hz.tier == "A"
    assert hz.activated_at.astimezone().date() in (date(2025, 2, 28), date(2025, 3, 1))
    nb = imported["宁波恒信电子科技有限公司"]
    assert nb.kind == "distributor" and nb.tier == "B" and nb.status == "active"  # a start date makes it active
    assert {c.name for c in db.session.scalars(select(Contact))} == {"王伟", "李娜"}
    assert not list(Path(import_dir).glob("*.bin"))  # the stashed file is gone
    assert client.post("/customers/import/confirm", data=form).status_code == 302  # nothing left to confirm


def test_xlsx_with_dates_and_numbers(client, world, login_as, import_dir):
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Tier", "Customer since", "Annual value", "Contact", "Mobile"])
    ws.append(["Zhejiang Precision Ltd", "A", datetime(2025, 6, 1), 1500000, "Tom", 13900000000])
    ws.append([None, None, None, None, None, None])
    ws.append(["Jiangsu Trading", "c", "2025/07/08", "2,500.75", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    login_as(user=world.director_a)
    assert _upload(client, buf.getvalue(), "list.xlsx").status_code == 302
    headers = ["Name", "Tier", "Customer since", "Annual value", "Contact", "Mobile"]
    resp = client.post("/customers/import/confirm", data=_mapping_form(headers))
    assert resp.status_code == 200
    rows = {c.name: c for c in db.session.scalars(select(Customer))}
    assert rows["Zhejiang Precision Ltd"].annual_value == Decimal("1500000.00")
    assert rows["Jiangsu Trading"].annual_value == Decimal("2500.75") and rows["Jiangsu Trading"].tier == "C"
    # A director's imports go to the team's public pool.
    assert all(c.owner_id is None and c.team_id == world.team_a.id for c in rows.values())
    assert db.session.scalars(select(Contact.phone)).one() == "13900000000"


def test_column_mapping_is_chosen_by_the_user(client, world, login_as, import_dir):
    login_as(user=world.rep_a)
    _upload(client, csv_bytes(["company title,who", "甲公司,张三"]), "x.csv")
    html = client.get("/customers/import/preview").get_data(as_text=True)
    assert "请指定哪一列是客户名称" in html
    resp = client.post("/customers/import/preview", data={"col0": "name", "col1": "contact_name"})
    assert "导入 1 个客户" in resp.get_data(as_text=True)
    resp = client.post("/customers/import/confirm", data={"col0": "name", "col1": "contact_name"})
    assert resp.status_code == 200
    assert db.session.scalars(select(Contact.name)).one() == "张三"


def test_all_or_nothing_when_a_write_fails(client, world, login_as, import_dir, monkeypatch):
    login_as(user=world.rep_a)
    _upload(client, csv_bytes(["名称,联系人", "甲,张三", "乙,李四", "丙,王五"]), "x.csv")
    import portal.customers.models as models

    real, calls = models.Contact, []

    def failing_contact(**kw):
        calls.append(kw)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(**kw)

    monkeypatch.setattr(models, "Contact", failing_contact)
    resp = client.post("/customers/import/confirm", data={"col0": "name", "col1": "contact_name"})
    assert resp.status_code == 500 and len(calls) == 2  # the first row was already flushed when the second failed
    db.session.rollback()
    assert db.session.query(Customer).count() == 0 and db.session.query(real).count() == 0


def test_stash_belongs_to_its_uploader(client, world, login_as, import_dir, make_user):
    login_as(user=world.rep_a)
    _upload(client, csv_bytes(["名称", "甲"]), "x.csv")
    with client.session_transaction() as sess:
        token = sess["customers_import"]
    login_as(user=world.rep_a2)
    with client.session_transaction() as sess:
        sess["customers_import"] = token
    resp = client.get("/customers/import/preview")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/customers/import")
    with client.session_transaction() as sess:
        sess["customers_import"] = "../../etc/passwd"
    assert client.get("/customers/import/preview").status_code == 302


def test_upload_errors_stay_on_the_form(client, world, login_as, import_dir):
    login_as(user=world.rep_a)
    resp = _upload(client, b"\x00\x01", "x.pdf")
    assert resp.status_code == 200 and "请上传 .csv 或 .xlsx 文件" in resp.get_data(as_text=True)
    resp = client.post("/customers/import", data={}, content_type="multipart/form-data")
    assert resp.status_code == 200
    login_as(user=world.gm)
    assert client.get("/customers/import").status_code == 403
