"""The performance archive (业绩档案) on a rep's profile: appraisals over time and personnel notes."""
from __future__ import annotations

from collections import defaultdict

from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, case, func, select, type_coerce
from sqlalchemy.orm import joinedload

from ..core.db import db
from ..people.profile import ProfileSection, register_profile_section
from . import labels, services
from .forms import NoteForm
from .models import Appraisal, AppraisalCycle, AppraisalItem, PersonnelNote

HISTORY = 24  # appraisals shown in the archive's table and chart


def archive_context(viewer, person):
    if person.role != "rep":
        return None
    visible = services.visible_appraisals(viewer).where(Appraisal.rep_id == person.id)
    appraisals = db.session.scalars(
        visible.options(joinedload(Appraisal.cycle)).join(AppraisalCycle)
        .order_by(AppraisalCycle.start.desc()).limit(HISTORY)).all()
    appraisals = list(reversed(appraisals))
    items = _item_figures([a.id for a in appraisals])
    # each sheet's items by metric, the first of a metric winning as on the sheet (a lookup per cell)
    first = {aid: {} for aid in items}
    for aid, rows in items.items():
        for row in rows:
            first[aid].setdefault(row.metric, row)
    chart = None
    if appraisals:
        metrics = [(i.metric, labels.item_name(i)) for i in items[appraisals[-1].id] if i.weighted]
        chart = {
            "tooltip": {"trigger": "axis"},
            "legend": {"type": "scroll", "bottom": 0},
            "grid": {"left": 40, "right": 20, "top": 20, "bottom": 60},
            "xAxis": {"type": "category", "data": [a.cycle.period_key for a in appraisals]},
            "yAxis": {"type": "value", "min": 0, "max": 5},
            "series": [{"name": str(_l("Total")), "type": "line", "data": [_f(a.total) for a in appraisals],
                        "lineStyle": {"width": 3}}]
            + [{"name": name, "type": "line", "data": [_score(first.get(a.id), metric) for a in appraisals]}
               for metric, name in metrics],
        }
    completion = []
    for a in appraisals:
        sales = first.get(a.id, {}).get("actual_sales")
        target, actual = (sales.target, sales.actual) if sales is not None else (None, None)
        completion.append((a, target, actual, (actual * 100 / target).quantize(1) if target and actual is not None
                           else None))
    notes = []
    can_notes = services.can_read_notes(viewer, person)
    if can_notes:
        notes = db.session.scalars(select(PersonnelNote).options(joinedload(PersonnelNote.author))
                                   .where(PersonnelNote.rep_id == person.id)
                                   .order_by(PersonnelNote.on.desc()).limit(50)).all()
    return {"appraisals": list(reversed(appraisals)), "chart": chart, "completion": list(reversed(completion)),
            "notes": notes, "can_notes": can_notes, "note_form": NoteForm() if can_notes else None,
            "labels": labels}


def _item_figures(appraisal_ids) -> dict[int, list]:
    """{appraisal id: its items in sheet order} as plain rows of what the archive shows: the chart's
    score (a float) and the sales target and actual of the completion column. Two dozen sheets of a
    dozen items would otherwise build ~300 ORM objects and a thousand Decimals per view."""
    out: dict[int, list] = defaultdict(list)
    if not appraisal_ids:
        return out
    sales = AppraisalItem.metric == "actual_sales"
    rows = db.session.execute(
        select(AppraisalItem.appraisal_id, AppraisalItem.metric, AppraisalItem.name_zh, AppraisalItem.name_en,
               (AppraisalItem.weight > 0).label("weighted"), type_coerce(AppraisalItem.score, Float).label("score"),
               case((sales, AppraisalItem.target)).label("target"),
               case((sales, func.coalesce(AppraisalItem.adjusted, AppraisalItem.computed))).label("actual"))
        .where(AppraisalItem.appraisal_id.in_(appraisal_ids))
        .order_by(AppraisalItem.appraisal_id, AppraisalItem.position))
    for row in rows:
        out[row.appraisal_id].append(row)
    return out


def _score(by_metric, metric):
    row = by_metric.get(metric) if by_metric else None
    return None if row is None or row.score is None else float(row.score)  # chart coordinates only


def _f(value):
    return None if value is None else float(value)  # chart coordinates only


register_profile_section(ProfileSection("appraisals", _l("Appraisals and target completion"),
                                        "appraisals/_archive.html", archive_context, order=10))
