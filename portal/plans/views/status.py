"""Target status for any period and scope, its exports, and the general manager's (or director's) view."""
from __future__ import annotations

from decimal import Decimal

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...authz import MANAGERS, SALES, policy
from ...core.db import db
from ...core.exports import FORMATS, export_response
from ...core.pagination import paginate_list
from ...core.periods import Period, local_today
from ...people.models import Team, User
from .. import bp, queries, services
from ..forms import KIND_LABELS, MEASURE_LABELS, SCOPE_LABELS, TIER_LABELS
from ..models import MEASURES
from .common import period_arg, team_reps, visible_teams, wants_fragment

_COLOUR_LABELS = {"success": _l("Reached"), "primary": _l("On track"), "warning": _l("A little behind"),
                  "danger": _l("Behind"), "secondary": _l("No target")}


def colour_label(colour: str) -> str:
    return str(_COLOUR_LABELS[colour])  # one translation looked up, not five (called once per figure)


def _scope_from_args() -> tuple[str, int | None, int | None]:
    """The scope asked for, defaulting to the viewer's own (company for the GM, team, or self)."""
    scope = request.args.get("scope")
    team_id = request.args.get("team_id", type=int)
    rep_id = request.args.get("rep_id", type=int)
    if scope not in ("company", "team", "rep"):
        scope = {"gm": "company", "director": "team"}.get(current_user.role, "rep")
    if scope == "team":
        team_id = team_id or current_user.team_id
    if scope == "rep":
        rep_id = rep_id or (current_user.id if current_user.role == "rep" else None)
        rep = db.session.get(User, rep_id) if rep_id else None
        if rep is None or rep.role != "rep":
            abort(404)
        team_id = rep.team_id
    if scope == "team" and (not team_id or db.session.get(Team, team_id) is None):
        abort(404)
    if not services.can_see_scope(current_user, scope, team_id, rep_id):
        abort(404)
    return scope, team_id, rep_id


def _title(scope, team_id, rep_id) -> str:
    if scope == "company":
        return _("Company")
    if scope == "team":
        team = db.session.get(Team, team_id)
        return team.name if team else "—"
    rep = db.session.get(User, rep_id)
    return rep.display_name if rep else "—"


def ranked(period: Period, group: str, members: list, cube, measure: str = "sales") -> list[dict]:
    """Teams or reps with their status from the page's ``StatusCube``, best completion first."""
    table = cube.table(period, group, [m.id for m in members])
    rows = []
    for m in members:
        status = table.get(m.id, {})
        rows.append({"member": m, "status": status, "key": status[measure].completion if status else None})
    rows.sort(key=lambda r: (r["key"] is None, -(r["key"] or Decimal(0)), str(r["member"])))
    return rows


def completion_chart(status: dict) -> dict:
    """ECharts option: completion per measure against where it should be by now."""
    names = [str(MEASURE_LABELS[m]) for m in MEASURES]
    values = [float(status[m].completion) if status[m].completion is not None else None for m in MEASURES]
    expected = float(next(iter(status.values())).expected_pct) if status else 0.0
    colours = {"success": "#198754", "primary": "#0d6efd", "warning": "#ffc107", "danger": "#dc3545",
               "secondary": "#6c757d"}
    return {
        "tooltip": {"trigger": "axis"},
        "grid": {"left": 120, "right": 30, "top": 20, "bottom": 30},
        # Keep 100% and the "expected by now" line in sight whatever the figures.
        "xAxis": {"type": "value", "axisLabel": {"formatter": "{value}%"},
                  "max": max([100.0, expected] + [v for v in values if v is not None])},
        "yAxis": {"type": "category", "data": names, "inverse": True},
        "series": [{
            "type": "bar", "name": _("Completion"),
            "data": [{"value": v, "itemStyle": {"color": colours[status[m].colour]}}
                     for v, m in zip(values, MEASURES, strict=True)],
            "markLine": {"symbol": "none", "data": [{"xAxis": expected, "name": _("Expected by now")}],
                         "label": {"formatter": _("Expected by now")}},
        }],
    }


def ranking_chart(rows: list[dict], measure: str = "sales") -> dict:
    names = [str(r["member"]) for r in rows]
    actual = [float(r["status"][measure].actual) if r["status"] else 0 for r in rows]
    target = [float(r["status"][measure].base) if r["status"] and r["status"][measure].base is not None else None
              for r in rows]
    return {
        "tooltip": {"trigger": "axis"},
        "legend": {"data": [_("Target"), _("Actual")]},
        "grid": {"left": 60, "right": 20, "top": 40, "bottom": 60},
        "xAxis": {"type": "category", "data": names, "axisLabel": {"rotate": 30}},
        "yAxis": {"type": "value"},
        "series": [{"type": "bar", "name": _("Target"), "data": target},
                   {"type": "bar", "name": _("Actual"), "data": actual}],
    }


@bp.route("/status")
@policy(SALES)
def status():
    """Target vs actual for a period and a scope, with the level below it to drill into."""
    scope, team_id, rep_id = _scope_from_args()
    period = period_arg("month")
    children, child_group = [], None
    if scope == "company":
        child_group = "team"
        cube = queries.StatusCube([period], levels=("company", "team"))
        children = ranked(period, "team", list(db.session.scalars(select(Team).order_by(Team.name))), cube=cube)
    elif scope == "team":
        child_group = "rep"
        reps = team_reps([team_id], active_only=False)
        cube = queries.StatusCube([period], team_ids=[team_id], rep_ids=[r.id for r in reps], levels=("team", "rep"))
        children = ranked(period, "rep", reps, cube=cube)
    else:
        cube = queries.StatusCube([period], rep_ids=[rep_id], levels=("rep",))
    mine = cube.scope(period, scope, team_id, rep_id)
    contracts = orders = []
    if scope == "rep":
        from ...contracts.queries import contracts_signed_in, orders_in

        contracts = contracts_signed_in(period, owner_id=rep_id, limit=50)
        orders = orders_in(period, owner_id=rep_id, limit=50)
    args = {"scope": scope, "team_id": team_id, "rep_id": rep_id}
    template = "plans/_status_body.html" if wants_fragment() else "plans/status.html"
    return render_template(
        template, fragment=wants_fragment(), drill=drill_links(period, scope, team_id, rep_id), period=period,
        scope=scope,
        team_id=team_id, rep_id=rep_id, args=args,
        title=_title(scope, team_id, rep_id), status=mine, children=children, child_group=child_group,
        contracts=contracts, orders=orders, chart=completion_chart(mine),
        child_chart=ranking_chart(children) if children else None, measures=MEASURE_LABELS, tiers=TIER_LABELS,
        kinds=KIND_LABELS, scopes=SCOPE_LABELS, colour_label=colour_label, today=local_today(),
        team=db.session.get(Team, team_id) if team_id else None)


def drill_links(period: Period, scope: str, team_id: int | None, rep_id: int | None) -> dict:
    """Where each actual figure comes from: the orders or contracts behind it."""
    from flask import url_for

    who = {"rep_id": rep_id} if scope == "rep" else ({"team_id": team_id} if scope == "team" else {})
    orders = url_for("contracts.orders", period=period.key, **who)
    return {"sales": orders, "orders": orders, "gross_profit": orders,
            "contracts": url_for("contracts.index", period=period.key, **who)}


def status_rows(status: dict) -> list[list]:
    """The status table as plain values, the same figures as the page."""
    rows = []
    for m in MEASURES:
        s = status[m]
        rows.append([str(MEASURE_LABELS[m]), s.base, s.sprint, s.challenge, s.actual,
                     s.completion, str(TIER_LABELS[s.tier]) if s.tier else "", s.gap, s.run_rate, s.forecast,
                     colour_label(s.colour)])
    return rows


def status_header() -> list[str]:
    return [_("Measure"), _("Base"), _("Sprint"), _("Challenge"), _("Actual"), _("Completion %"),
            _("Tier reached"), _("Gap"), _("Needed per working day"), _("Forecast"), _("Status")]


@bp.route("/status/export.<fmt>")
@policy(SALES)
def status_export(fmt: str):
    """The target-status table as CSV or XLSX."""
    if fmt not in FORMATS:
        abort(404)
    scope, team_id, rep_id = _scope_from_args()
    period = period_arg("month")
    rows = status_rows(queries.scope_status(period, scope, team_id, rep_id))
    name = f"target-status-{scope}-{team_id or rep_id or 'all'}-{period.key}"
    title = f"{_title(scope, team_id, rep_id)} {period.key}"
    return export_response(fmt, name, title, status_header(), rows)


def _collections(period: Period, today, team_ids, known_people=()) -> dict:
    """Collection plans (回款计划) for the overview: planned vs collected per month of the period and by
    team and rep, and the overdue total; four queries whatever the number of instalments."""
    from ...contracts.queries import collection_by, collection_by_period

    by_rep = collection_by(period, today, "team_rep", team_ids)
    by_team: dict = {}  # the team rows are the sums of their reps' rows: no second query
    for (team_id, _rep), row in by_rep.items():
        slot = by_team.setdefault(team_id, {"planned": Decimal("0.00"), "collected": Decimal("0.00"),
                                            "overdue": Decimal("0.00"), "overdue_count": 0})
        for k in slot:
            slot[k] += row[k]
    total = {k: sum((row[k] for row in by_team.values()), Decimal("0.00"))
             for k in ("planned", "collected", "overdue")}
    total["overdue_count"] = sum(row["overdue_count"] for row in by_team.values())
    names = {u.id: u.display_name for u in known_people}
    missing = {rep for _team, rep in by_rep if rep not in names}
    if missing:  # people who left the team or the company still show under their name
        names.update(db.session.execute(select(User.id, User.display_name).where(User.id.in_(missing))).all())
    reps: dict = {}  # {team id: [(rep id, figures)]}, most overdue first
    for (team_id, rep_id), row in sorted(by_rep.items(), key=lambda kv: (-kv[1]["overdue"], names.get(kv[0][1], ""))):
        reps.setdefault(team_id, []).append((rep_id, row))
    return {"periods": collection_by_period(period, team_ids), "teams": by_team, "reps": reps, "total": total,
            "names": names}


@bp.route("/overview")
@policy(MANAGERS)
def overview():
    """The GM's view of the whole company (a director's of their team): completion, rankings,
    contracts, payments and budget, each figure leading to the records behind it."""
    from ...contracts.queries import contract_summary

    period = period_arg("quarter")
    today = local_today()
    if current_user.role == "gm":
        scope, team_ids, ident = "company", None, None
        teams = list(db.session.scalars(select(Team).options(joinedload(Team.director)).order_by(Team.name)))
    else:
        teams = visible_teams()
        team_ids = [t.id for t in teams]
        scope = "team"
        ident = current_user.team_id if current_user.team_id in team_ids else (team_ids[0] if team_ids else None)
        if ident is None:
            abort(404)
    reps = team_reps([t.id for t in teams] if scope == "company" else [ident])
    periods = [Period.current(kind) for kind in ("month", "quarter", "year")]
    restrict = {} if scope == "company" else {"team_ids": [ident], "rep_ids": [r.id for r in reps]}
    # The headline needs every period for the page's own scope; the rankings only the chosen one.
    levels = {"company": None, "team": [period], "rep": [period]} if scope == "company" else \
        {"team": None, "rep": [period]}
    cube = queries.StatusCube(periods + [period], today=today, levels=levels, **restrict)
    headline = [(p, cube.scope(p, scope, ident)) for p in periods]
    current = cube.scope(period, scope, ident)
    team_rows = ranked(period, "team", teams, cube=cube) if scope == "company" else []
    rep_rows = ranked(period, "rep", reps, cube=cube)
    # Every rep is ranked, a page of them shown (a company has hundreds): ?page= moves through them.
    rep_page = paginate_list(rep_rows)
    contracts = contract_summary(period, today, team_ids=None if scope == "company" else [ident])
    collections = _collections(period, today, None if scope == "company" else [ident], reps)
    budget = queries.budget_by_team(period, None if scope == "company" else [ident])
    team_names = {t.id: t.name for t in (teams if scope == "company" else
                                         db.session.scalars(select(Team).options(joinedload(Team.director))))}
    return render_template(
        "plans/overview.html", period=period, scope=scope, ident=ident, headline=headline, current=current,
        team_rows=team_rows, rep_rows=rep_page.items, rep_page=rep_page, contracts=contracts, budget=budget,
        team_names=team_names,
        collections=collections,
        measures=MEASURE_LABELS, tiers=TIER_LABELS, kinds=KIND_LABELS, colour_label=colour_label, today=today,
        chart=ranking_chart(team_rows if scope == "company" else rep_page.items))
