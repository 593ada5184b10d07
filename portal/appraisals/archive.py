"""The performance archive (业绩档案) on a rep's profile: appraisals over time and personnel notes."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..core.db import db
from ..people.profile import ProfileSection, register_profile_section
from . import labels, services
from .forms import NoteForm
from .models import Appraisal, AppraisalCycle, PersonnelNote

HISTORY = 24  # appraisals shown in the archive's table and chart


def archive_context(viewer, person):
    if person.role != "rep":
        return None
    visible = services.visible_appraisals(viewer).where(Appraisal.rep_id == person.id)
    appraisals = db.session.scalars(
        visible.options(selectinload(Appraisal.items), joinedload(Appraisal.cycle)).join(AppraisalCycle)
        .order_by(AppraisalCycle.start.desc()).limit(HISTORY)).all()
    appraisals = list(reversed(appraisals))
    chart = None
    if appraisals:
        metrics = [(i.metric, labels.item_name(i)) for i in appraisals[-1].items if i.weight > 0]
        chart = {
            "tooltip": {"trigger": "axis"},
            "legend": {"type": "scroll", "bottom": 0},
            "grid": {"left": 40, "right": 20, "top": 20, "bottom": 60},
            "xAxis": {"type": "category", "data": [a.cycle.period_key for a in appraisals]},
            "yAxis": {"type": "value", "min": 0, "max": 5},
            "series": [{"name": str(_l("Total")), "type": "line", "data": [_f(a.total) for a in appraisals],
                        "lineStyle": {"width": 3}}]
            + [{"name": name, "type": "line", "data": [_f(_score(a, metric)) for a in appraisals]}
               for metric, name in metrics],
        }
    completion = []
    for a in appraisals:
        target = next((i.target for i in a.items if i.metric == "actual_sales"), None)
        actual = next((i.actual for i in a.items if i.metric == "actual_sales"), None)
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


def _score(appraisal, metric):
    return next((i.score for i in appraisal.items if i.metric == metric), None)


def _f(value):
    return None if value is None else float(value)  # chart coordinates only


register_profile_section(ProfileSection("appraisals", _l("Appraisals and target completion"),
                                        "appraisals/_archive.html", archive_context, order=10))
