"""Importing customers with a contact each from CSV or XLSX: read, map columns, check every row,
then write all valid rows in the request's one transaction (or none, if anything fails).

The uploaded file waits between the preview and the confirmation in the instance folder
(``instance/customer_imports/<token>``); the session holds only the random token.
"""
from __future__ import annotations

import csv
import io
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from flask import current_app, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.errors import ServiceError
from ..core.periods import local_midnight
from .models import CUSTOMER_KINDS, TIERS, Customer, name_key

SESSION_KEY = "customers_import"
MAX_ROWS = 5000
MAX_AGE_SECONDS = 24 * 3600

# Field -> (label, header aliases in both languages)
FIELDS: dict[str, tuple] = {
    "name": (_l("Name"), ("name", "customer", "customer name", "company", "客户名称", "客户", "公司名称", "名称",
                          "单位名称")),
    "kind": (_l("Kind"), ("kind", "type", "类型", "客户类型")),
    "industry": (_l("Industry"), ("industry", "行业")),
    "region": (_l("Region"), ("region", "area", "地区", "区域", "省份", "城市")),
    "tier": (_l("Tier"), ("tier", "level", "grade", "等级", "客户等级", "级别")),
    "phone": (_l("Phone"), ("phone", "telephone", "电话", "公司电话", "座机")),
    "address": (_l("Address"), ("address", "地址")),
    "status": (_l("Status"), ("status", "状态", "客户状态")),
    "annual_value": (_l("Expected yearly purchases (CNY)"),
                     ("annual value", "yearly purchases", "expected yearly purchases", "年采购额", "预计年采购额")),
    "customer_since": (_l("Customer since"), ("customer since", "activated on", "成为客户日期", "合作开始日期",
                                              "签约日期")),
    "notes": (_l("Notes"), ("notes", "remark", "remarks", "备注")),
    "contact_name": (_l("Contact name"), ("contact", "contact name", "联系人", "联系人姓名")),
    "contact_title": (_l("Contact job title"), ("title", "job title", "position", "职务", "职位")),
    "contact_phone": (_l("Contact phone"), ("mobile", "contact phone", "手机", "联系人电话", "手机号")),
    "contact_email": (_l("Contact e-mail"), ("email", "e-mail", "邮箱", "电子邮件")),
    "contact_wechat": (_l("Contact WeChat ID"), ("wechat", "微信", "微信号")),
}
KIND_WORDS = {"customer": "customer", "客户": "customer", "partner": "partner", "合作伙伴": "partner",
              "distributor": "distributor", "经销商": "distributor", "代理商": "distributor"}
STATUS_WORDS = {"prospect": "prospect", "潜在客户": "prospect", "意向客户": "prospect", "潜在": "prospect",
                "active": "active", "正式客户": "active", "合作中": "active", "成交客户": "active"}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%d/%m/%Y", "%Y年%m月%d日", "%Y-%m-%d %H:%M:%S",
                "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")


@dataclass
class RowResult:
    number: int  # the row's number in the file (the header is row 1)
    status: str  # new, duplicate, rejected
    name: str
    reasons: list = field(default_factory=list)
    values: dict = field(default_factory=dict)


# Reading ------------------------------------------------------------------------------------

def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ServiceError(_("The file's text encoding is not UTF-8 or GBK."), "file")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_table(data: bytes, filename: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(headers, [(row number, cells)]) with blank rows left out; row numbers are the file's own."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext == "xlsx":
        if not data.startswith(b"PK"):
            raise ServiceError(_("The file's content does not match its extension."), "file")
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the user's file, not a 500
            raise ServiceError(_("This Excel file cannot be read."), "file") from exc
        ws = wb.worksheets[0]
        raw = [[_cell(v) for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
    elif ext == "csv":
        text = _decode(data)
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        raw = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""), dialect)]
    else:
        raise ServiceError(_("Upload a .csv or .xlsx file."), "file")
    numbered = [(i + 1, row) for i, row in enumerate(raw) if any(c for c in row)]
    if not numbered:
        raise ServiceError(_("The file is empty."), "file")
    (_n, headers), rows = numbered[0], numbered[1:]
    if len(rows) > MAX_ROWS:
        raise ServiceError(_("At most %(n)s rows at a time.", n=MAX_ROWS), "file")
    return [h.strip() for h in headers], rows


def guess_mapping(headers: list[str]) -> dict[int, str]:
    """Column index -> field, from the header names (English or Chinese)."""
    mapping: dict[int, str] = {}
    taken = set()
    for i, header in enumerate(headers):
        key = header.strip().casefold().replace("_", " ")
        for field_name, (_label, aliases) in FIELDS.items():
            if field_name not in taken and (key == field_name.replace("_", " ") or key in aliases):
                mapping[i] = field_name
                taken.add(field_name)
                break
    return mapping


# Parsing values -----------------------------------------------------------------------------

def parse_date(text: str) -> date:
    text = text.strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_amount(text: str) -> Decimal:
    cleaned = re.sub(r"[,，\s¥￥元]", "", text)
    if cleaned.endswith("万"):
        return (Decimal(cleaned[:-1]) * 10000).quantize(Decimal("0.01"))
    value = Decimal(cleaned)
    if value < 0:
        raise InvalidOperation
    return value.quantize(Decimal("0.01"))


def _normalise(values: dict) -> list:
    """Turn one row's texts into field values in place; return what is wrong with them."""
    reasons = []
    name = values.get("name", "")
    if not name_key(name):
        reasons.append(_("The name is empty."))
    elif len(name) > 200:
        reasons.append(_("The name is longer than 200 characters."))
    if values.get("kind"):
        kind = values["kind"]
        values["kind"] = KIND_WORDS.get(kind.casefold())
        if values["kind"] not in CUSTOMER_KINDS:
            reasons.append(_("Unknown kind: %(v)s", v=kind))
    if values.get("tier"):
        if values["tier"].upper() not in TIERS:
            reasons.append(_("The tier is A, B or C, not %(v)s", v=values["tier"]))
        values["tier"] = values["tier"].upper()
    if values.get("status"):
        status = values["status"]
        values["status"] = STATUS_WORDS.get(status.casefold())
        if values["status"] is None:
            reasons.append(_("Unknown status: %(v)s", v=status))
    if values.get("annual_value"):
        try:
            values["annual_value"] = parse_amount(values["annual_value"])
        except (InvalidOperation, ValueError):
            reasons.append(_("Not an amount: %(v)s", v=values["annual_value"]))
    if values.get("customer_since"):
        try:
            values["customer_since"] = parse_date(values["customer_since"])
        except ValueError:
            reasons.append(_("Not a date: %(v)s", v=values["customer_since"]))
    if values.get("contact_email") and "@" not in values["contact_email"]:
        reasons.append(_("Not an e-mail address: %(v)s", v=values["contact_email"]))
    return reasons


def check_rows(rows, mapping: dict[int, str], existing_keys: set[str]) -> list[RowResult]:
    """Every row's fate: new (to import), duplicate (name already known or earlier in the file), rejected.
    Names already in the database are looked up in one query."""
    from sqlalchemy import select

    from ..core.db import db

    parsed = [(number, {f: (cells[i] if i < len(cells) else "").strip() for i, f in mapping.items()})
              for number, cells in rows]
    keys = [name_key(values.get("name", "")) for _n, values in parsed]
    known = set(db.session.scalars(select(Customer.name_key).where(Customer.name_key.in_({k for k in keys if k}))))
    known |= existing_keys
    seen: dict[str, int] = {}
    results = []
    for (number, values), key in zip(parsed, keys, strict=True):
        res = RowResult(number, "new", values.get("name", ""), values=values)
        res.reasons = _normalise(values)
        if res.reasons:
            res.status = "rejected"
        elif key in known:
            res.status = "duplicate"
            res.reasons.append(_("A customer with this name already exists."))
        elif key in seen:
            res.status = "duplicate"
            res.reasons.append(_("Same name as row %(n)s.", n=seen[key]))
        else:
            seen[key] = number
        results.append(res)
    return results


def import_rows(actor, results: list[RowResult]) -> int:
    """Write every "new" row: a customer owned by the actor (a rep) or put in the director's pool."""
    from ..core.db import db
    from .models import Contact, CustomerEvent

    count = 0
    for res in results:
        if res.status != "new":
            continue
        v = res.values
        customer = Customer(name=v["name"], team_id=actor.team_id, owner_id=actor.id if actor.role == "rep" else None,
                            created_by_id=actor.id, kind=v.get("kind") or "customer", status="prospect")
        for key in ("industry", "region", "tier", "phone", "address", "notes", "annual_value"):
            if v.get(key):
                setattr(customer, key, v[key])
        if v.get("status") == "active" or v.get("customer_since"):
            customer.status = "active"
            since = v.get("customer_since")
            customer.activated_at = local_midnight(since) if since else None
            customer.activated_by_id = customer.owner_id
        db.session.add(customer)
        db.session.flush()
        if customer.status == "active" and customer.activated_at is None:
            customer.activated_at = customer.created_at
        if v.get("contact_name"):
            db.session.add(Contact(customer_id=customer.id, name=v["contact_name"][:80],
                                   title=(v.get("contact_title") or None), phone=(v.get("contact_phone") or None),
                                   email=(v.get("contact_email") or None), wechat=(v.get("contact_wechat") or None)))
        db.session.add(CustomerEvent(customer_id=customer.id, team_id=customer.team_id, kind="created",
                                     actor_id=actor.id, note=_("Imported")))
        count += 1
    db.session.flush()
    return count


# The file between the two steps ---------------------------------------------------------------

def _folder() -> Path:
    configured = current_app.config.get("CUSTOMER_IMPORT_FOLDER")
    path = Path(configured) if configured else Path(current_app.instance_path) / "customer_imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _clean_old(folder: Path) -> None:
    cutoff = time.time() - MAX_AGE_SECONDS
    for path in folder.iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def stash(actor, data: bytes, filename: str) -> str:
    folder = _folder()
    _clean_old(folder)
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.bin").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"user_id": actor.id, "filename": filename[-200:]}))
    session[SESSION_KEY] = token
    return token


def load_stash(actor) -> tuple[bytes, str] | None:
    token = session.get(SESSION_KEY)
    if not token or not re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token):
        return None
    folder = _folder()
    meta_path, data_path = folder / f"{token}.json", folder / f"{token}.bin"
    if not meta_path.is_file() or not data_path.is_file():
        return None
    meta = json.loads(meta_path.read_text())
    if meta.get("user_id") != actor.id:
        return None
    return data_path.read_bytes(), meta["filename"]


def drop_stash() -> None:
    token = session.pop(SESSION_KEY, None)
    if token and re.fullmatch(r"[A-Za-z0-9_-]{20,64}", token):
        folder = _folder()
        (folder / f"{token}.bin").unlink(missing_ok=True)
        (folder / f"{token}.json").unlink(missing_ok=True)
