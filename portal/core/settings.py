"""Company and team settings: a small key/value table with defaults declared by each feature."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from .cache import VersionedCache, invalidate_on_write
from .db import db
from .memo import request_memo

# key -> default; features add theirs with ``declare``.
DEFAULTS: dict[str, Any] = {
    "company_name": "示例销售有限公司",
    "default_locale": "zh_CN",
}


class Setting(db.Model):
    __tablename__ = "setting"
    __audited__ = True

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)  # "company" or "team:<id>"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def declare(key: str, default: Any) -> None:
    DEFAULTS.setdefault(key, default)


def _scope(team_id: int | None) -> str:
    return f"team:{team_id}" if team_id else "company"


# Every page asks for several settings (language, company name, data scopes, schedules) and the table
# holds a few rows per team: 120 rows at 20 teams, read on every request until they were kept by each
# worker until a setting is written (core/cache.py; its token is read instead, one row).
invalidate_on_write("settings", Setting)
_ALL = VersionedCache("settings", size=1)


def _read_all() -> dict[tuple[str, str], str]:
    return {(s.scope, s.key): s.value for s in db.session.execute(select(Setting.scope, Setting.key, Setting.value))}


def _stored() -> dict[tuple[str, str], str]:
    """Every stored value (treat it as read-only: it is shared by the worker's requests)."""
    memo = request_memo()
    if "settings" not in memo:
        memo["settings"] = _ALL.get("all", _read_all)
    return memo["settings"]


def get(key: str, team_id: int | None = None) -> Any:
    """A team's value, else the company's, else the declared default."""
    stored = _stored()
    for scope in ([_scope(team_id), "company"] if team_id else ["company"]):
        if (scope, key) in stored:
            return json.loads(stored[(scope, key)])
    return DEFAULTS.get(key)


def put(key: str, value: Any, team_id: int | None = None) -> None:
    scope = _scope(team_id)
    row = db.session.get(Setting, (scope, key))
    if row is None:
        db.session.add(Setting(scope=scope, key=key, value=json.dumps(value)))
    else:
        row.value = json.dumps(value)
    db.session.flush()
    request_memo().pop("settings", None)
