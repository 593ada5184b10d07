"""Home panels: a rep's latest appraisal; a manager's open cycles and disagreements to look at."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ..core.db import db
from ..ui import Panel, register_panel
from . import labels, services
from .models import Appraisal, AppraisalCycle


def _rep_panel(user):
    latest = db.session.scalars(select(Appraisal).options(joinedload(Appraisal.cycle)).join(AppraisalCycle)
                                .where(Appraisal.rep_id == user.id).order_by(AppraisalCycle.start.desc())
                                .limit(3)).all()
    return {"latest": latest, "labels": labels}


def _manager_panel(user):
    counts = dict(db.session.execute(services.visible_appraisals(user).with_only_columns(
        Appraisal.state, func.count()).group_by(Appraisal.state)).all())
    disputed = db.session.scalars(services.visible_appraisals(user).options(
        joinedload(Appraisal.rep), joinedload(Appraisal.cycle)).where(Appraisal.state == "disputed").limit(5)).all()
    return {"counts": counts, "disputed": disputed, "labels": labels}


register_panel(Panel("appraisals.rep", _l("My appraisals"), frozenset({"rep"}), "appraisals/_panel_rep.html",
                     _rep_panel, order=60, width=4))
register_panel(Panel("appraisals.manager", _l("Appraisals"), frozenset({"director", "gm"}),
                     "appraisals/_panel_manager.html", _manager_panel, order=60, width=4))
