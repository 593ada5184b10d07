"""Two people editing one record: the second save is refused with the first one's version, never lost.

A record that can be edited by several people carries a ``version`` column, declared to SQLAlchemy
as its ``version_id_col`` (``__mapper_args__ = concurrency.mapper_args(version)``). The number goes
up by one whenever a column the audit log follows changes (bookkeeping columns in
``__audit_exclude__``, such as a customer's last-contact time, do not count), and every UPDATE says
``WHERE version = <the one loaded>``.

The edit form carries the version it was drawn from in a hidden field. A view saves inside
``with concurrency.form_guard(form, record):`` which

1. compares the posted version with the record's before anything is changed, and
2. flushes at the end, turning SQLAlchemy's ``StaleDataError`` (another save slipped in between
   the check and the UPDATE) into the same outcome;

either way it raises :class:`Conflict`: the view re-renders the form (status 409) with the user's
values still in it, the message "changed by X at T" (X and T from the audit log) and
``macros/conflict.html``'s box with the saved values beside the user's. The form's hidden version
is moved on to the saved one, so sending the form again (after reading the box) goes through.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.exc import StaleDataError

from .db import db

_SKIPPED_FIELDS = {"HiddenField", "CSRFTokenField", "SubmitField", "FileField", "MultipleFileField"}


def mapper_args(version_column) -> dict:
    """``__mapper_args__`` for a record with optimistic locking on ``version_column``."""
    return {"version_id_col": version_column, "version_id_generator": False}


def _counted_change(obj) -> bool:
    state = inspect(obj)
    version_key = state.mapper.get_property_by_column(state.mapper.version_id_col).key
    skip = set(getattr(obj, "__audit_exclude__", ())) | {version_key}
    for attr in state.mapper.column_attrs:
        if attr.key in skip:
            continue
        hist = state.attrs[attr.key].history
        if hist.added and (not hist.deleted or hist.deleted[0] != hist.added[0]):
            return True
    return False


@event.listens_for(Session, "before_flush")
def _bump_versions(session, _ctx, _instances):
    for obj in session.dirty:
        mapper = inspect(obj).mapper
        if mapper.version_id_col is None or mapper.version_id_generator is not False:
            continue
        if session.is_modified(obj, include_collections=False) and _counted_change(obj):
            key = mapper.get_property_by_column(mapper.version_id_col).key
            if not inspect(obj).attrs[key].history.added:  # not moved on already
                setattr(obj, key, (getattr(obj, key) or 0) + 1)


def last_change(object_type: str, object_ids: Iterable) -> tuple[str | None, datetime | None]:
    """Who last changed one of these records, and when (from the audit log)."""
    from ..audit.models import AuditEntry

    ids = [str(i) for i in object_ids]
    if not ids:
        return None, None
    entry = db.session.scalar(
        select(AuditEntry).options(joinedload(AuditEntry.actor))
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id.in_(ids))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(1))
    if entry is None:
        return None, None
    who = entry.actor.display_name if entry.actor else (entry.actor_name or None)
    return who, entry.at


class Conflict(Exception):
    """Someone else saved the record after this form was drawn.

    ``rows`` are ``(label, saved value, your value, differs)`` for the box beside the form.
    """

    def __init__(self, who: str | None, when: datetime | None, rows: list[tuple[str, str, str, bool]]):
        super().__init__("conflict")
        self.who, self.when, self.rows = who, when, rows

    @property
    def message(self) -> str:
        if self.who is None or self.when is None:
            return _("Someone else changed this record while you were editing it. Their version is shown "
                     "below; your input is kept in the form — check it and save again.")
        from ..i18n import fmt_datetime

        return _("Changed by %(who)s at %(when)s while you were editing. Their version is shown below; your "
                 "input is kept in the form — check it and save again.", who=self.who,
                 when=fmt_datetime(self.when))


def shown(value, choices=None) -> str:
    """A value as the box shows it: the choice's label, a date, a number; '—' for nothing."""
    if choices:
        labels = {str(k): str(v) for k, v in choices}
        if str(value) in labels:
            return labels[str(value)]
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, datetime):
        from ..i18n import fmt_datetime

        return fmt_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def same(a, b) -> bool:
    """Equal as the user would judge it: blank is blank, 100 is 100.00."""
    if a in (None, "") and b in (None, ""):
        return True
    if str(a) == str(b):
        return True
    try:
        return Decimal(str(a).replace(",", "")) == Decimal(str(b).replace(",", ""))
    except ArithmeticError:
        return False


def form_rows(form, record, fields: Iterable[str] | None = None) -> list[tuple[str, str, str, bool]]:
    """One row per field of the form that the record has: its label, the saved value, the posted one."""
    rows = []
    for f in form:
        if f.type in _SKIPPED_FIELDS or (fields is not None and f.name not in fields):
            continue
        if not hasattr(record, f.name):
            continue
        theirs, yours = getattr(record, f.name), f.data
        choices = getattr(f, "choices", None)
        choices = [(c[0], c[1]) for c in choices] if choices else None
        rows.append((str(f.label.text), shown(theirs, choices), shown(yours, choices), not same(theirs, yours)))
    return rows


def is_stale(posted, current) -> bool:
    """The posted version is not the record's (an empty one counts as stale)."""
    return str(posted).strip() != str(current)


@contextmanager
def guard(posted, current: Callable[[], object], describe: Callable[[], Conflict]):
    """Check ``posted`` against ``current()`` before the body changes anything, then flush.

    ``describe()`` builds the :class:`Conflict` (after a rollback when the flush found the row
    changed, so it reads the saved version). ``posted`` is None when the request carried no version
    at all (a script, not one of our forms, which always send it): only the flush is checked then.
    """
    if posted is not None and is_stale(posted, current()):
        raise describe()
    try:
        yield
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise describe() from None


def form_guard(form, record, fields: Iterable[str] | None = None, version_field: str = "version",
               more_rows: Callable[[], list] | None = None):
    """``guard`` for a WTForms form with a hidden version field editing one record.

    ``fields`` limits the box to those fields; ``more_rows()`` adds rows for inputs outside the form
    class (an appraisal sheet's per-item scores).
    """
    def describe() -> Conflict:
        rows = form_rows(form, record, fields) + (more_rows() if more_rows else [])
        who, when = last_change(type(record).__tablename__, [record.id])
        getattr(form, version_field).data = record.version  # the next save is made against what they saw
        return Conflict(who, when, rows)

    field = getattr(form, version_field)
    posted = field.data if field.raw_data else None
    return guard(posted, lambda: record.version, describe)
