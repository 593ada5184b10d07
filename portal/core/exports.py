"""A list exported as a file: CSV (UTF-8 with a BOM, so Excel reads the Chinese) or XLSX (numbers kept as
numbers, see ``core.xlsx``). Every feature's export answers through ``export_response``, so the two
formats, their safety against formulas and the download's name are decided once."""
from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from urllib.parse import quote

from flask import Response

from . import xlsx
from .text import spreadsheet_safe

FORMATS = ("csv", "xlsx")


def csv_cell(value):
    """A CSV field: nothing for None, text a spreadsheet would run as a formula quoted."""
    return "" if value is None else spreadsheet_safe(value)


def _csv(header: list, rows: Iterable[list]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)  # rows end in CRLF, as RFC 4180 and Excel expect
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def export_response(fmt: str, name: str, title: str, header: list, rows: Iterable[list]) -> Response:
    """The rows as a download named ``name``.``fmt``; ``title`` names the XLSX sheet."""
    if fmt == "csv":
        response = Response(_csv(header, rows), mimetype="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = Response(xlsx.workbook(title, header, rows), mimetype=xlsx.MIME)
    else:
        raise ValueError(f"unknown export format {fmt!r}")
    filename = f"{name}.{fmt}"
    # A header is Latin-1: a name outside ASCII goes as RFC 6266's filename* (UTF-8, percent-quoted), with
    # its ASCII letters as the plain filename for an old client.
    plain = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    extra = {} if plain == filename else {"filename*": "UTF-8''" + quote(filename, safe="")}
    response.headers.set("Content-Disposition", "attachment", filename=plain, **extra)
    return response
