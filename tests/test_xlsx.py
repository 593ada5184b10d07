"""The exports' XLSX writer (portal/core/xlsx.py): what a spreadsheet program reads back from its files."""
from __future__ import annotations

import io
import time
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from portal.core import xlsx


def _read(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_values_come_back_as_typed_and_money_as_money():
    ws = _read(xlsx.workbook("合同", ["编号", "金额", "数量", "日期", "空", "备注"], [
        ["HT-1", Decimal("120000.50"), 3, date(2026, 3, 1), None, "  两端有空格  "],
        ["<b>&amp;</b>", Decimal("-5.25"), 0, datetime(2026, 3, 2, 9, tzinfo=UTC), "", "一\x07二"],
    ]))
    assert ws.title == "合同"
    assert [c.value for c in ws[1]] == ["编号", "金额", "数量", "日期", "空", "备注"]
    assert ws["A1"].font.b and ws.freeze_panes == "A2"
    assert ws["A2"].value == "HT-1" and ws["A2"].number_format == "General"
    assert Decimal(str(ws["B2"].value)) == Decimal("120000.50") and ws["B2"].number_format == "#,##0.00"
    assert ws["C2"].value == 3 and ws["D2"].value == datetime(2026, 3, 1) and ws["D2"].number_format == "yyyy-mm-dd"
    assert ws["E2"].value is None and ws["F2"].value == "  两端有空格  "
    assert ws["A3"].value == "<b>&amp;</b>" and Decimal(str(ws["B3"].value)) == Decimal("-5.25")
    assert ws["C3"].value == 0 and ws["D3"].value == datetime(2026, 3, 2)
    assert ws["F3"].value == "一二"  # a control character has no place in XML: left out, the file stays readable


def test_text_that_would_run_as_a_formula_is_written_as_typed():
    ws = _read(xlsx.workbook("x", ["a"], [["=HYPERLINK(\"http://evil\")"], ["+1+2"], ["-3"], ["@SUM(A1)"]]))
    assert [ws.cell(r, 1).value for r in range(2, 6)] == ["'=HYPERLINK(\"http://evil\")", "'+1+2", "-3", "'@SUM(A1)"]
    assert all(ws.cell(r, 1).data_type == "s" for r in range(2, 6))


def test_a_sheet_name_excel_accepts():
    assert xlsx.sheet_name("Q3/Q4: [East] *") == "Q3 Q4   East"
    assert xlsx.sheet_name("很长" * 20) == ("很长" * 20)[:31]
    assert xlsx.sheet_name("///") == "Sheet1"
    assert _read(xlsx.workbook('a "quoted" & <name>', ["h"], [])).title == 'a "quoted" & <name>'


def test_the_package_holds_the_parts_a_reader_needs():
    names = set(zipfile.ZipFile(io.BytesIO(xlsx.workbook("t", ["h"], [[1]]))).namelist())
    assert names == {"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
                     "xl/styles.xml", "xl/worksheets/sheet1.xml"}


def test_each_row_costs_the_same_however_many_came_before():
    """openpyxl's ws[ws.max_row] made each row cost more than the one before: the time per row of a long
    export must stay that of a short one (a ratio, so a slow machine does not fail it)."""
    row = ["HT-00001", "杭州精密机械有限公司", "产线改造", Decimal("1200.50"), 40, date(2026, 3, 1)] * 3

    def per_row(n: int) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            xlsx.workbook("t", ["h"] * len(row), [row] * n)
            best = min(best, (time.perf_counter() - start) / n)
        return best

    assert per_row(8000) < 3 * per_row(1000)
