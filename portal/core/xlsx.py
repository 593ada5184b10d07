"""Exports as XLSX files, written directly: one sheet of rows, numbers kept as numbers, money formatted.

A list export can run to 20,000 rows. openpyxl builds a cell object per value and serialises each
through an XML tree: about half a millisecond a row on our machine, 6.7 s for 10,000 contracts (its
write-only mode included). An export needs none of what it offers beyond the cells, so the sheet's XML
is written here as text, the format's minimum (ECMA-376 SpreadsheetML: a workbook, one worksheet with
inline strings, one number format), about 25 µs a row. openpyxl still reads uploaded files and writes
the styled appraisal sheets.
"""
from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from .text import spreadsheet_safe

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# XML 1.0 has no way to write these characters, even escaped: a pasted control character would make the
# file unreadable, so it is left out.
_NOT_XML_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"
_NOT_XML = re.compile(f"[{_NOT_XML_CHARS}]")
_SHEET_NAME_BAN = re.compile(r"[\[\]:*?/\\]")

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>")
_ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>')
# Style 0: as typed; 1: money (#,##0.00); 2: a date (yyyy-mm-dd, Excel's built-in format 14 is the
# reader's locale, which a shared file should not depend on).
_STYLES = (
    _HEAD + f'<styleSheet xmlns="{_NS}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="#,##0.00"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>")
_EXCEL_EPOCH = date(1899, 12, 30)


# What needs escaping or leaving out.
_SPECIAL = re.compile(f"[<>&{_NOT_XML_CHARS}]")


def _text(value: str) -> str:
    # Most text needs neither escaping nor cleaning: one search decides (half the cost of doing both).
    return escape(_NOT_XML.sub("", value)) if _SPECIAL.search(value) else value


def _string(value: str) -> str:
    if not value:
        return "<c/>"
    text = _text(spreadsheet_safe(value))
    space = ' xml:space="preserve"' if text[0].isspace() or text[-1].isspace() else ""
    return f'<c t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _decimal(value: Decimal) -> str:
    return f'<c s="1"><v>{value}</v></c>' if value.is_finite() else _string(str(value))


def _number(value) -> str:
    return f"<c><v>{value!r}</v></c>" if math.isfinite(value) else _string(str(value))


def _date(value: date) -> str:
    return f'<c s="2"><v>{(value - _EXCEL_EPOCH).days}</v></c>'


# By exact type, the cheapest test for 300,000 cells; anything else goes through _cell's checks.
_BY_TYPE = {str: _string, Decimal: _decimal, int: _number, float: _number, date: _date,
            datetime: lambda value: _date(value.date()), bool: lambda value: f'<c t="b"><v>{int(value)}</v></c>',
            type(None): lambda _value: "<c/>"}


def _cell(value) -> str:
    """One cell: numbers as numbers (money formatted), dates as dates, the rest as text, made safe from
    running as a formula."""
    write = _BY_TYPE.get(type(value))
    if write is not None:
        return write(value)
    for kind in (bool, Decimal, int, float, datetime, date):  # subclasses (a str subclass falls through)
        if isinstance(value, kind):
            return _BY_TYPE[kind](value)
    return _string(str(value))


def sheet_name(title: str) -> str:
    """What Excel accepts as a sheet's name: at most 31 characters, none of []:*?/\\."""
    return _SHEET_NAME_BAN.sub(" ", title).strip()[:31] or "Sheet1"


def workbook(title: str, header: list, rows: Iterable[list]) -> bytes:
    """An XLSX file of one sheet named ``title``: the header in bold, frozen above the rows."""
    head = "".join(f'<c t="inlineStr" s="3"><is><t>{_text(str(h))}</t></is></c>' for h in header)
    parts = [_HEAD, f'<worksheet xmlns="{_NS}"><sheetViews><sheetView workbookViewId="0">'
             '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
             f"<sheetData><row>{head}</row>"]
    parts += ["<row>" + "".join([_cell(v) for v in row]) + "</row>" for row in rows]
    parts.append("</sheetData></worksheet>")
    book = (_HEAD + f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name="{escape(sheet_name(title), {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>")
    out = io.BytesIO()
    # Level 1: the sheet's XML repeats itself so much that more effort saves little and costs time.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", book)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr("xl/worksheets/sheet1.xml", "".join(parts))
    return out.getvalue()
