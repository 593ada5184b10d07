"""Home-page panels: company (GM), team (director) and own (rep) target completion, and contract status."""
from flask_babel import lazy_gettext as _l

from ..core.periods import Period, local_today
from ..people.profile import ProfileSection, register_profile_section
from ..ui import Panel, register_panel
from . import queries
from .forms import MEASURE_LABELS, TIER_LABELS

HEADLINE = ("sales", "contracts", "payments")


def _rows(scope, team_id, rep_id, periods, today) -> list:
    """[(period, {measure: status})] for one scope, every period from one set of queries."""
    restrict = {} if scope == "company" else ({"team_ids": [team_id]} if scope == "team" else {"rep_ids": [rep_id]})
    cube = queries.StatusCube(periods, today=today, levels=(scope,), **restrict)
    return [(p, cube.scope(p, scope, team_id, rep_id)) for p in periods]


def _headline(user):
    today = local_today()
    if user.role == "gm":
        scope, team_id, rep_id = "company", None, None
    elif user.role == "director":
        scope, team_id, rep_id = "team", user.team_id, None
    else:
        scope, team_id, rep_id = "rep", user.team_id, user.id
    if scope != "company" and not team_id:
        return {"rows": [], "measures": MEASURE_LABELS, "show": HEADLINE, "args": {}}
    rows = _rows(scope, team_id, rep_id, (Period.current("month"), Period.current("quarter"),
                                         Period.current("year")), today)
    args = {"scope": scope, "team_id": team_id, "rep_id": rep_id}
    show = HEADLINE if user.role != "rep" else ("sales", "contracts", "payments", "new_customers", "orders")
    return {"rows": rows, "measures": MEASURE_LABELS, "tiers": TIER_LABELS, "show": show, "args": args}


def _profile_targets(viewer, person):
    """A rep's targets and completion on their profile (the performance archive), for those who may see them."""
    from .services import can_see_scope

    if person.role != "rep" or not person.team_id or not can_see_scope(viewer, "rep", person.team_id, person.id):
        return None
    today = local_today()
    rows = _rows("rep", person.team_id, person.id, (Period.current("month"), Period.current("quarter"),
                                                    Period.current("year"), Period.current("year").previous()), today)
    return {"rows": rows, "measures": MEASURE_LABELS, "tiers": TIER_LABELS,
            "show": ("sales", "contracts", "payments", "new_customers", "orders"),
            "args": {"scope": "rep", "team_id": person.team_id, "rep_id": person.id}}


def _contracts(user):
    from ..contracts.queries import contract_summary

    period = Period.current("month")
    teams = None if user.role == "gm" else [user.team_id]
    return {"summary": contract_summary(period, local_today(), team_ids=teams), "period": period}


register_profile_section(ProfileSection("plans.targets", _l("Targets and completion"),
                                        "plans/_panel_completion.html", _profile_targets, order=20))
register_panel(Panel("plans.completion", _l("Target completion"), frozenset({"gm", "director"}),
                     "plans/_panel_completion.html", _headline, order=10, width=8))
register_panel(Panel("plans.mine", _l("My targets"), frozenset({"rep"}), "plans/_panel_completion.html",
                     _headline, order=10, width=8))
register_panel(Panel("plans.contracts", _l("Contracts"), frozenset({"gm", "director"}),
                     "contracts/_panel_contracts.html", _contracts, order=11, width=4))
