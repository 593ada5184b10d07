"""Appraisal rules: templates, opening a cycle, filling and scoring sheets, the review workflow."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, insert, inspect, select
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.exceptions import Forbidden

from ..audit.services import record
from ..authz import managed_team_ids
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from ..core.links import path_for
from ..core.periods import Period
from ..notifications.services import notify
from ..people.models import User
from . import scoring, sources
from .defaults import MONTHLY_COUNT_METRICS, RULES, SEED_ITEMS
from .models import Appraisal, AppraisalCycle, AppraisalItem, AppraisalTemplate, PersonnelNote, TemplateItem

# Who may do what --------------------------------------------------------------------------------


def can_manage_team(user, team_id: int) -> bool:
    """Directors run their own teams' cycles; the GM runs any."""
    if user.role == "gm":
        return True
    return user.role == "director" and team_id in (managed_team_ids(user) or set())


def can_view_appraisal(user, appraisal: Appraisal) -> bool:
    if not user.is_authenticated:
        return False
    if user.id == appraisal.rep_id:
        return True
    return user.role == "gm" or can_manage_team(user, appraisal.team_id)


def can_edit_templates(user) -> bool:
    return user.role in ("admin", "gm")


def can_read_notes(user, rep: User) -> bool:
    """The director's private personnel notes: the rep's director and the GM, never the rep."""
    if user.id == rep.id:
        return False
    return user.role == "gm" or (user.role == "director" and rep.team_id in (managed_team_ids(user) or set()))


def visible_appraisals(user):
    stmt = select(Appraisal)
    if user.role == "gm":
        return stmt
    if user.role == "director":
        return stmt.where(Appraisal.team_id.in_(managed_team_ids(user) or {-1}))
    return stmt.where(Appraisal.rep_id == user.id)


def visible_cycles(user):
    stmt = select(AppraisalCycle)
    if user.role == "gm":
        return stmt
    if user.role == "director":
        return stmt.where(AppraisalCycle.team_id.in_(managed_team_ids(user) or {-1}))
    return stmt.where(AppraisalCycle.id.in_(select(Appraisal.cycle_id).where(Appraisal.rep_id == user.id)))


# Templates ------------------------------------------------------------------------------------------


def default_template() -> AppraisalTemplate:
    """The company-wide template of the seed's 12 items, created on first use."""
    tpl = db.session.scalar(select(AppraisalTemplate).where(AppraisalTemplate.team_id.is_(None),
                                                            AppraisalTemplate.period_kind.is_(None)))
    if tpl is None:
        tpl = AppraisalTemplate(name="绩效考核表 / Appraisal sheet")
        for pos, (metric, zh, en, weight, rule, target, floor) in enumerate(SEED_ITEMS, start=1):
            tpl.items.append(TemplateItem(position=pos, metric=metric, name_zh=zh, name_en=en, weight=weight,
                                          rule=rule, target=target, floor=floor))
        db.session.add(tpl)
        db.session.flush()
    return tpl


def template_for(team_id: int, period_kind: str) -> AppraisalTemplate:
    """The most specific template: team and period kind, team, period kind, then the default."""
    candidates = db.session.scalars(select(AppraisalTemplate).where(
        AppraisalTemplate.team_id.in_([team_id]) | AppraisalTemplate.team_id.is_(None))).all()

    def rank(t):
        return (t.team_id == team_id) * 2 + (t.period_kind == period_kind)

    fitting = [t for t in candidates if t.period_kind in (None, period_kind)]
    return max(fitting, key=rank) if fitting else default_template()


def save_template(actor, tpl: AppraisalTemplate | None, *, name: str, team_id: int | None,
                  period_kind: str | None, items: list[dict], bands: list) -> AppraisalTemplate:
    """Create or change a template; weights must add up to exactly 100."""
    if not can_edit_templates(actor):
        raise Forbidden()
    total = sum((Decimal(i["weight"]) for i in items), Decimal(0))
    if total != 100:
        raise ServiceError(_("The weights add up to %(total)s; they must add up to 100.", total=total), "items")
    for i in items:
        if i["rule"] not in RULES:
            raise ServiceError(_("Unknown scoring rule."), "items")
        if i["rule"] == "none" and Decimal(i["weight"]) != 0:
            raise ServiceError(_("An item shown for reference only must have weight 0."), "items")
    minimums = [Decimal(str(m)) for _g, m in bands]
    if minimums != sorted(minimums, reverse=True):
        raise ServiceError(_("Grade bands must go from the highest minimum to the lowest."), "bands")
    if tpl is None:
        tpl = AppraisalTemplate(name=name)
        db.session.add(tpl)
    tpl.name, tpl.team_id, tpl.period_kind, tpl.bands = name, team_id or None, period_kind or None, bands
    tpl.items.clear()
    db.session.flush()
    for pos, i in enumerate(items, start=1):
        tpl.items.append(TemplateItem(position=pos, metric=i["metric"], name_zh=i["name_zh"], name_en=i["name_en"],
                                      weight=Decimal(i["weight"]), rule=i["rule"], target=i.get("target"),
                                      floor=i.get("floor")))
    db.session.flush()
    return tpl


# Cycles ------------------------------------------------------------------------------------------------


def _presence(rep: User, period: Period) -> Decimal:
    """The share of the period's days the rep was employed (joined or left inside it)."""
    first = max(period.start, rep.joined_on or period.start)
    last_excl = min(period.end, (rep.left_on or period.end))
    days = max((last_excl - first).days, 0)
    return (Decimal(days) / Decimal(period.days)).quantize(Decimal("0.0001"))


def open_cycle(actor, team_id: int, period: Period) -> AppraisalCycle:
    """One appraisal per active rep of the team, its computed items filled from the records.

    The sheets are computed in memory and written with multi-row INSERTs, so opening a cycle takes
    the same number of statements for 3 reps or 50.
    """
    if not can_manage_team(actor, team_id):
        raise Forbidden()
    exists = db.session.scalar(select(AppraisalCycle.id).where(AppraisalCycle.team_id == team_id,
                                                               AppraisalCycle.period_key == period.key))
    if exists:
        raise ServiceError(_("This team already has a cycle for %(period)s.", period=period.key), "period")
    tpl = template_for(team_id, period.kind)
    cycle = AppraisalCycle(team_id=team_id, period_kind=period.kind, period_key=period.key, start=period.start,
                           end=period.end, template_id=tpl.id, bands=[list(b) for b in tpl.bands],
                           opened_by_id=actor.id)
    db.session.add(cycle)
    db.session.flush()
    reps = db.session.scalars(select(User).where(
        User.team_id == team_id, User.role == "rep", User.active.is_(True),
        (User.joined_on.is_(None)) | (User.joined_on < period.end))).all()
    sheets = []
    for rep in reps:
        sheet = Appraisal(cycle_id=cycle.id, rep_id=rep.id, team_id=team_id, presence=_presence(rep, period),
                          state="open", version=1)
        sheet.items = [AppraisalItem(position=t.position, metric=t.metric, name_zh=t.name_zh, name_en=t.name_en,
                                     weight=t.weight, rule=t.rule, base_target=t.target, target=t.target,
                                     floor=t.floor) for t in tpl.items]
        sheets.append(sheet)
    _compute(sheets, period, cycle.bands)
    if sheets:
        # Core INSERTs of the whole list: one executemany each, whatever the number of reps.
        db.session.execute(insert(Appraisal.__table__), [_columns(a, ("items", "id")) for a in sheets])
        ids = dict(db.session.execute(
            select(Appraisal.rep_id, Appraisal.id).where(Appraisal.cycle_id == cycle.id)).all())
        db.session.execute(insert(AppraisalItem.__table__), [
            {**_columns(i, ("id", "appraisal_id")), "appraisal_id": ids[a.rep_id]} for a in sheets for i in a.items])
    db.session.expire(cycle, ["appraisals"])
    record("open_cycle", obj=cycle, summary=f"{period.key}: {len(sheets)}")
    notify(reps, "appraisal_opened", lambda: _("Appraisal for %(period)s opened: add your self-assessment.",
                                               period=period.key),
           link=path_for("appraisals.cycle", cycle_id=cycle.id), actor=actor)
    return cycle


def _columns(obj, skip=()) -> dict:
    """A transient model's column values, for a multi-row INSERT or UPDATE."""
    mapper = inspect(obj).mapper
    return {a.key: getattr(obj, a.key) for a in mapper.column_attrs if a.key not in skip}


def _compute(sheets: list[Appraisal], period: Period, bands: list) -> None:
    data = sources.figures([a.rep_id for a in sheets], period)
    for sheet in sheets:
        apply_figures(sheet, data.get(sheet.rep_id, {}), period)
        score_appraisal(sheet, bands)


def cycle_period(cycle: AppraisalCycle) -> Period:
    return Period(cycle.period_kind, cycle.start, cycle.end)


COMPUTED_ITEM_FIELDS = ("target", "computed", "note", "score")


def refresh_cycle(cycle: AppraisalCycle, appraisals: list[Appraisal] | None = None) -> None:
    """Recompute the open appraisals of a cycle from the records: a constant number of statements.

    The new figures are worked out on copies and written back with multi-row UPDATEs by primary key.
    """
    appraisals = [a for a in (appraisals or db.session.scalars(
        select(Appraisal).options(selectinload(Appraisal.items)).where(Appraisal.cycle_id == cycle.id)))
        if a.state == "open"]
    if not appraisals:
        return
    db.session.flush()
    copies = []
    for a in appraisals:
        copy = Appraisal(id=a.id, rep_id=a.rep_id, presence=a.presence)
        copy.items = [AppraisalItem(**_columns(i, ("appraisal_id",))) for i in a.items]
        copies.append(copy)
    _compute(copies, cycle_period(cycle), cycle.bands)
    items, sheets = AppraisalItem.__table__, Appraisal.__table__
    db.session.execute(items.update().where(items.c.id == bindparam("item_id")).values(
        {f: bindparam(f"new_{f}") for f in COMPUTED_ITEM_FIELDS}),
        [{"item_id": i.id, **{f"new_{f}": getattr(i, f) for f in COMPUTED_ITEM_FIELDS}}
         for c in copies for i in c.items])
    db.session.execute(sheets.update().where(sheets.c.id == bindparam("sheet_id")).values(
        total=bindparam("new_total"), grade=bindparam("new_grade")),
        [{"sheet_id": c.id, "new_total": c.total, "new_grade": c.grade} for c in copies])
    for a in appraisals:
        db.session.expire(a)
        for i in a.items:
            db.session.expire(i)


def apply_figures(appraisal: Appraisal, figures: dict, period: Period) -> None:
    """Put the computed figures and the rep-specific targets on an appraisal's items."""
    planned = figures.get("planned_target")
    for item in appraisal.items:
        if item.rule == "judged":
            continue
        item.computed = _figure(figures, item.metric)
        item.note = None
        if item.metric == "planned_target":
            item.target = None
            item.note = None if planned is not None else "no_target"
        elif item.metric == "actual_sales":
            item.target = planned
            if planned is None:
                item.note = "no_target"
        elif item.metric in MONTHLY_COUNT_METRICS:
            item.target = scoring.scale_monthly_target(item.base_target, period.days, appraisal.presence)
        if item.metric == "growth" and item.computed is None:
            item.note = "no_previous"
        if item.metric == "request_response" and item.computed is None:
            item.note = "no_requests"
        if item.metric == "plan_report_rate" and item.computed is None:
            item.note = "nothing_due"


def _figure(figures: dict, metric: str) -> Decimal | None:
    value = figures.get(metric)
    return None if value is None else Decimal(value)


def score_appraisal(appraisal: Appraisal, bands: list) -> scoring.Total:
    pairs = []
    for item in appraisal.items:
        result = scoring.score_item(item.rule, item.actual, item.target, item.floor, item.judged)
        item.score = result.score
        if result.reason and not item.note and result.reason not in ("reference",):
            item.note = result.reason
        pairs.append((item.score, item.weight))
    total = scoring.weighted_total(pairs)
    appraisal.total = total.total
    appraisal.grade = scoring.grade_for(total.total, bands)
    return total


# The review workflow ------------------------------------------------------------------------------------


def _require_open(appraisal: Appraisal) -> None:
    if appraisal.state != "open":
        raise ServiceError(_("This appraisal is finalised and locked. Reopen it with a reason to change it."))


def save_review(actor, appraisal: Appraisal, *, judged: dict[int, Decimal | None], remarks: dict[int, str],
                adjustments: dict[int, tuple[Decimal | None, str]], comment: str | None) -> None:
    """The director scores judged items, may adjust computed ones (reason required), and comments."""
    if not can_manage_team(actor, appraisal.team_id):
        raise Forbidden()
    _require_open(appraisal)
    for item in appraisal.items:
        if item.rule == "judged" and item.id in judged:
            value = judged[item.id]
            if value is not None and not (1 <= value <= 5):
                raise ServiceError(_("Scores are from 1 to 5."), f"judged_{item.id}")
            item.judged = value
        if item.id in remarks:
            item.remark = remarks[item.id] or None
        if item.id in adjustments:
            value, reason = adjustments[item.id]
            if value is not None and not (reason or "").strip():
                raise ServiceError(_("Give a reason for changing a computed figure."), f"reason_{item.id}")
            if value != item.adjusted:
                record("adjust_item", obj=appraisal, summary=f"{item.metric}: {item.computed} -> {value}",
                       changes={"metric": item.metric, "computed": str(item.computed), "adjusted": str(value),
                                "reason": reason})
            item.adjusted = value
            item.adjust_reason = (reason or "").strip() or None if value is not None else None
    appraisal.comment = comment or None
    score_appraisal(appraisal, appraisal.cycle.bands)
    db.session.flush()


def save_self_assessment(actor, appraisal: Appraisal, text: str, self_scores: dict[int, Decimal | None]) -> None:
    if actor.id != appraisal.rep_id:
        raise Forbidden()
    _require_open(appraisal)
    # Every score is checked before anything changes: a refused save leaves the sheet as it was.
    for item in appraisal.items:
        value = self_scores.get(item.id)
        if value is not None and not (0 <= value <= 5):
            raise ServiceError(_("Scores are from 0 to 5."), f"self_{item.id}")
    appraisal.self_assessment = text or None
    for item in appraisal.items:
        if item.id in self_scores:
            item.self_score = self_scores[item.id]
    db.session.flush()


def finalise(actor, appraisal: Appraisal) -> None:
    if not can_manage_team(actor, appraisal.team_id):
        raise Forbidden()
    _require_open(appraisal)
    refresh_cycle(appraisal.cycle, [appraisal])
    missing = [i for i in appraisal.items if i.rule == "judged" and i.weight > 0 and i.judged is None]
    if missing:
        raise ServiceError(_("Score every judged item before finalising: %(items)s",
                             items=", ".join(i.name_zh for i in missing)))
    if not appraisal.comment:
        raise ServiceError(_("Write the overall comment before finalising."), "comment")
    appraisal.state = "finalised"
    appraisal.finalised_at = utcnow()
    appraisal.finalised_by_id = actor.id
    record("finalise", obj=appraisal, summary=f"{appraisal.total} {appraisal.grade}")
    _publish_if_complete(appraisal.cycle)
    notify([appraisal.rep], "appraisal_finalised",
           lambda: _("Your appraisal for %(period)s is final: please acknowledge it.",
                     period=appraisal.cycle.period_key),
           link=path_for("appraisals.sheet", appraisal_id=appraisal.id), actor=actor)
    db.session.flush()


def _publish_if_complete(cycle: AppraisalCycle) -> None:
    """When the last sheet of a cycle is finalised, the team's chat robots announce the results."""
    db.session.flush()
    still_open = db.session.scalar(select(func.count(Appraisal.id)).where(Appraisal.cycle_id == cycle.id,
                                                                          Appraisal.state == "open"))
    if still_open:
        return
    from ..robots.services import post_event

    total = db.session.scalar(select(func.count(Appraisal.id)).where(Appraisal.cycle_id == cycle.id))
    team = cycle.team.name
    post_event("appraisal_published", cycle.team_id,
               lambda: _("Appraisal results published: %(team)s, %(period)s", team=team, period=cycle.period_key),
               lambda: _("All %(n)s appraisals of the cycle are final.", n=total),
               link=path_for("appraisals.cycle", cycle_id=cycle.id))


def acknowledge(actor, appraisal: Appraisal, disagreement: str | None) -> None:
    """The rep signs the sheet, or records a disagreement that the GM will see."""
    if actor.id != appraisal.rep_id:
        raise Forbidden()
    if appraisal.state != "finalised":
        raise ServiceError(_("Only a finalised appraisal can be acknowledged."))
    appraisal.acknowledged_at = utcnow()
    if disagreement and disagreement.strip():
        appraisal.state = "disputed"
        appraisal.disagreement = disagreement.strip()
        record("dispute", obj=appraisal, summary=appraisal.disagreement[:200])
        gms = db.session.scalars(select(User).where(User.role == "gm", User.active.is_(True))).all()
        notify(gms, "appraisal_disputed", lambda: _("%(name)s disagrees with their appraisal for %(period)s.",
                                                    name=appraisal.rep.display_name,
                                                    period=appraisal.cycle.period_key),
               link=path_for("appraisals.sheet", appraisal_id=appraisal.id), actor=actor)
    else:
        appraisal.state = "acknowledged"
        record("acknowledge", obj=appraisal)
    db.session.flush()


def reopen(actor, appraisal: Appraisal, reason: str) -> None:
    if not can_manage_team(actor, appraisal.team_id):
        raise Forbidden()
    if appraisal.state == "open":
        raise ServiceError(_("This appraisal is already open."))
    if not (reason or "").strip():
        raise ServiceError(_("Give a reason for reopening."), "reason")
    record("reopen", obj=appraisal, summary=reason.strip()[:500], changes={"from_state": appraisal.state})
    appraisal.state = "open"
    appraisal.finalised_at = None
    appraisal.acknowledged_at = None
    db.session.flush()


def differences_since_final(appraisal: Appraisal) -> list[dict]:
    """For a locked appraisal: the computed figures as the records give them now, where they differ."""
    if appraisal.state == "open":
        return []
    period = cycle_period(appraisal.cycle)
    now = sources.figures([appraisal.rep_id], period).get(appraisal.rep_id, {})
    out = []
    for item in appraisal.items:
        if item.rule in ("judged",):
            continue
        current = _figure(now, item.metric)
        if current != item.computed:
            out.append({"item": item, "then": item.computed, "now": current})
    return out


def load_appraisal(appraisal_id: int) -> Appraisal | None:
    # the sheet shows the rep's name and the cycle's team: joined in rather than one query each
    return db.session.scalar(select(Appraisal).options(
        selectinload(Appraisal.items), joinedload(Appraisal.cycle).joinedload(AppraisalCycle.team),
        joinedload(Appraisal.rep)).where(Appraisal.id == appraisal_id))


def add_note(actor, rep: User, kind: str, on: date, text: str) -> PersonnelNote:
    if not can_read_notes(actor, rep) or actor.role not in ("director", "gm"):
        raise Forbidden()
    note = PersonnelNote(rep_id=rep.id, team_id=rep.team_id, kind=kind, on=on, text=text, author_id=actor.id)
    db.session.add(note)
    db.session.flush()
    return note
