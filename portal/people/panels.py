"""Home-page panels about people: the director's team and the admin's accounts overview."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..core.db import db
from ..ui import Panel, register_panel
from .models import Team, TransferRequest, User


def _team_roster(user):
    members = list(db.session.scalars(
        select(User).where(User.team_id == user.team_id, User.role == "rep", User.active.is_(True))
        .order_by(User.display_name).limit(50)))
    return {"members": members}


def _accounts_overview(user):
    by_role = dict(db.session.execute(
        select(User.role, func.count(User.id)).where(User.active.is_(True)).group_by(User.role)).all())
    inactive = db.session.scalar(select(func.count(User.id)).where(User.active.is_(False)))
    teams = db.session.scalar(select(func.count(Team.id)))
    pending = db.session.scalar(select(func.count(TransferRequest.id)).where(TransferRequest.status == "pending"))
    return {"by_role": by_role, "inactive": inactive, "teams": teams, "pending": pending}


register_panel(Panel("people.team", _l("My team"), frozenset({"director"}), "people/_panel_team.html",
                     _team_roster, order=90, width=4))
register_panel(Panel("people.accounts", _l("Accounts"), frozenset({"admin", "gm"}),
                     "people/_panel_accounts.html", _accounts_overview, order=90, width=4))
