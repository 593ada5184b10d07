"""Targets: one scope's grid of measures × tiers, a team's (or the company's) overview with the checks
that things add up, and splitting a year into months."""
from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from ...authz import MANAGERS, policy
from ...core import concurrency
from ...core.db import db
from ...core.errors import ServiceError
from ...core.periods import Period
from ...people.models import Team, User
from .. import bp, queries, services
from ..forms import KIND_LABELS, MEASURE_LABELS, SCOPE_LABELS, TIER_LABELS
from ..models import MEASURES, TIERS, SeasonalProfile
from .common import period_arg, team_reps, visible_teams


def _scope_args() -> tuple[str, int | None, int | None]:
    """(scope, team id, rep id) from the query string, defaulting to what the viewer manages."""
    scope = request.args.get("scope")
    team_id = request.args.get("team_id", type=int)
    rep_id = request.args.get("rep_id", type=int)
    if scope not in ("company", "team", "rep"):
        scope = "rep" if rep_id else ("team" if team_id or current_user.role == "director" else "company")
    if scope == "team":
        team_id = team_id or current_user.team_id
        if not team_id or db.session.get(Team, team_id) is None:
            abort(404)
    if scope == "rep":
        rep = db.session.get(User, rep_id) if rep_id else None
        if rep is None or rep.role != "rep":
            abort(404)
        team_id = rep.team_id
    return scope, team_id, rep_id


def _scope_label(scope: str, team_id, rep_id) -> str:
    if scope == "company":
        return _("Company")
    if scope == "team":
        team = db.session.get(Team, team_id)
        return team.name if team else "—"
    rep = db.session.get(User, rep_id)
    return rep.display_name if rep else "—"


@bp.route("/targets/edit", methods=["GET", "POST"])
@policy(MANAGERS)
def targets_edit():
    """Set one scope's targets for a period: base, sprint and challenge for each measure."""
    scope, team_id, rep_id = _scope_args()
    period = period_arg("year")
    if not services.can_edit_targets(current_user, scope, team_id, rep_id):
        abort(404)
    lock = services.target_lock(scope, team_id, rep_id, period)
    pending = services.pending_plan(scope, team_id, rep_id, period)
    errors: dict[str, list[str]] = {}
    raw: dict[str, str] = {}
    version, conflict = request.form.get("version"), None
    if request.method == "POST":
        values = {}
        for measure in MEASURES:
            tiers = []
            for tier in TIERS:
                name = f"{measure}-{tier}"
                raw[name] = request.form.get(name, "")
                try:
                    tiers.append(services.parse_target(measure, raw[name]))
                except ServiceError as err:
                    errors.setdefault(measure, []).append(str(err.message))
                    tiers.append(None)
            values[measure] = tuple(tiers)
        if not errors:
            def stamp() -> str:
                return services.targets_stamp(scope, team_id, rep_id, period)[0]

            def describe() -> concurrency.Conflict:
                nonlocal version
                version, rows = services.targets_stamp(scope, team_id, rep_id, period)
                return concurrency.Conflict(*concurrency.last_change("target", [t.id for t in rows]),
                                            _conflict_rows(rows, raw))
            try:
                with concurrency.guard(version, stamp, describe):
                    services.set_targets(current_user, scope=scope, period=period, team_id=team_id,
                                         owner_id=rep_id, values=values)
            except concurrency.Conflict as found:
                conflict = found
            except ServiceError as err:
                errors.setdefault(err.field or "_form", []).append(str(err.message))
            except Forbidden:
                abort(404)
            else:
                flash(_("Targets saved."), "success")
                parent = {"team_id": team_id} if scope != "company" else {"scope": "company"}
                return redirect(url_for("plans.targets", period=period.key, **parent))
    else:
        version = _stamp_or_404(scope, team_id, rep_id, period)
        current = queries.target_totals(period, scope, None if scope == "company" else
                                        [team_id if scope == "team" else rep_id])
        slots = current.get(None if scope == "company" else (team_id if scope == "team" else rep_id), {})
        for measure, tiers in slots.items():
            for tier, value in zip(TIERS, tiers, strict=True):
                raw[f"{measure}-{tier}"] = "" if value is None else _plain(measure, value)
    return render_template("plans/targets_edit.html", scope=scope, team_id=team_id, rep_id=rep_id,
                           period=period, label=_scope_label(scope, team_id, rep_id), raw=raw, errors=errors,
                           measures=MEASURE_LABELS, tiers=TIER_LABELS, lock=lock, pending=pending,
                           kinds=KIND_LABELS, version=version, conflict=conflict), 409 if conflict else 200


def _stamp_or_404(scope, team_id, rep_id, period) -> str:
    try:
        return services.targets_stamp(scope, team_id, rep_id, period)[0]
    except ServiceError:
        abort(404)


def _conflict_rows(rows, raw: dict[str, str]) -> list:
    """The grid's cells for the conflict box: saved beside posted."""
    saved = {t.measure: t for t in rows}
    out = []
    for measure, label in MEASURE_LABELS.items():
        for tier, tier_label in TIER_LABELS.items():
            row = saved.get(measure)
            theirs = getattr(row, tier) if row is not None else None
            theirs = "" if theirs is None else _plain(measure, theirs)
            yours = raw.get(f"{measure}-{tier}", "").strip()
            if theirs or yours:
                out.append((f"{label} · {tier_label}", theirs or "—", yours or "—",
                            not concurrency.same(theirs, yours)))
    return out


def _plain(measure: str, value: Decimal) -> str:
    return str(value) if measure in ("sales", "contracts", "payments", "gross_profit") else str(int(value))


@bp.route("/targets")
@policy(MANAGERS)
def targets():
    """A team's (or the company's) targets beside its reps' (or teams'), and its months: do they add up?"""
    period = period_arg("year")
    team_id = request.args.get("team_id", type=int)
    teams = visible_teams()
    if request.args.get("scope") == "company" and current_user.role == "gm":
        scope, ident = "company", None
    else:
        scope = "team"
        fallback = current_user.team_id if current_user.role == "director" else (teams[0].id if teams else None)
        ident = team_id or fallback
        if ident is None or not services.manages_team(current_user, ident):
            abort(404)
    parent = queries.target_totals(period, scope, None if ident is None else [ident]).get(ident, {})
    if scope == "company":
        children = [(t.id, t.name, {"team_id": t.id}) for t in teams]
        child_targets = queries.target_totals(period, "team", [t.id for t in teams])
    else:
        reps = team_reps([ident])
        children = [(r.id, r.display_name, {"rep_id": r.id}) for r in reps]
        child_targets = queries.target_totals(period, "rep", [r.id for r in reps])
    sums = {m: sum((child_targets.get(c[0], {}).get(m, (None,))[0] or Decimal(0)) for c in children)
            for m in MEASURES}
    breakdown_kind = "month" if period.kind in ("quarter", "year") else None
    breakdown = []
    if breakdown_kind:
        for child in period.children(breakdown_kind):
            row = queries.target_totals(child, scope, None if ident is None else [ident]).get(ident, {})
            breakdown.append((child, row))
    profiles = list(db.session.scalars(select(SeasonalProfile).order_by(SeasonalProfile.name)))
    return render_template(
        "plans/targets.html", period=period, scope=scope, ident=ident, teams=teams, parent=parent,
        children=children, child_targets=child_targets, sums=sums, breakdown=breakdown,
        warnings=queries.sum_warnings(scope, ident, period),
        month_warnings=queries.children_warnings(scope, ident, None, period),
        measures=MEASURE_LABELS, kinds=KIND_LABELS, scopes=SCOPE_LABELS, profiles=profiles,
        label=_scope_label(scope, ident, None), locked=services.target_lock(scope, ident, None, period),
        pending=services.pending_plan(scope, ident, None, period))


@bp.route("/targets/split", methods=["POST"])
@policy(MANAGERS)
def targets_split():
    """Write a year's monthly and quarterly targets from its annual ones, evenly or by a seasonal profile."""
    scope, _sep, ident = (request.form.get("who") or "").partition(":")
    ident = int(ident) if ident.isdigit() else None
    team_id = ident if scope == "team" else None
    rep_id = ident if scope == "rep" else None
    if scope not in ("company", "team", "rep"):
        abort(404)
    year = request.form.get("year", type=int) or Period.current("year").start.year
    if not 2000 <= year <= 2100:
        abort(404)
    if scope == "rep":
        rep = db.session.get(User, rep_id) if rep_id else None
        team_id = rep.team_id if rep else None
    if not services.can_edit_targets(current_user, scope, team_id, rep_id):
        abort(404)
    weights = None
    profile_id = request.form.get("profile_id", type=int)
    if profile_id:
        profile = db.get_or_404(SeasonalProfile, profile_id)
        weights = [Decimal(w) for w in profile.weights]
    try:
        n = services.split_year(current_user, scope=scope, year=year, team_id=team_id, owner_id=rep_id,
                                weights=weights)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(_("%(n)s targets split into quarters and months.", n=n), "success")
    back = {"scope": "company"} if scope == "company" else {"team_id": team_id}
    return redirect(url_for("plans.targets", period=str(year), **back))
