"""Appraisal pages: cycles, the sheet and its workflow, evidence, templates, help, exports."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..authz import MANAGERS, OVERSEERS, SALES, managed_team_ids, policy
from ..core import concurrency
from ..core.db import db
from ..core.errors import ServiceError
from ..core.links import id_paths
from ..core.pagination import paginate
from ..core.periods import Period
from ..people.models import Team, User
from . import bp, exports, labels, queries, services, sources
from .forms import AcknowledgeForm, NoteForm, OpenCycleForm, ReopenForm, ReviewForm, SelfAssessmentForm, TemplateForm
from .models import Appraisal, AppraisalCycle, AppraisalTemplate


def _teams_for(user) -> list[Team]:
    stmt = select(Team).order_by(Team.name)
    teams = managed_team_ids(user)
    if teams is not None:
        stmt = stmt.where(Team.id.in_(teams or {-1}))
    return list(db.session.scalars(stmt))


def _open_form() -> OpenCycleForm:
    form = OpenCycleForm()
    form.team_id.choices = [(t.id, t.name) for t in _teams_for(current_user)]
    if not form.period_key.data:
        form.period_key.data = Period.current("month").previous().key
    return form


@bp.route("/")
@policy(SALES)
def index():
    """Cycles for managers (with the form to open one); a rep's own appraisals."""
    if current_user.role == "rep":
        stmt = (select(Appraisal).options(joinedload(Appraisal.cycle)).where(Appraisal.rep_id == current_user.id)
                .join(AppraisalCycle).order_by(AppraisalCycle.start.desc()))
        return render_template("appraisals/my.html", page=paginate(stmt), labels=labels)
    stmt = (services.visible_cycles(current_user).options(joinedload(AppraisalCycle.team))
            .order_by(AppraisalCycle.start.desc(), AppraisalCycle.team_id))
    page = paginate(stmt)
    ids = [c.id for c in page.items]
    stats = {cid: (n, done) for cid, n, done in db.session.execute(
        select(Appraisal.cycle_id, func.count(Appraisal.id),
               func.sum(func.cast(Appraisal.state != "open", db.Integer)))
        .where(Appraisal.cycle_id.in_(ids or [-1])).group_by(Appraisal.cycle_id)).all()}
    return render_template("appraisals/index.html", page=page, stats=stats, form=_open_form())


@bp.route("/cycles", methods=["POST"])
@policy(MANAGERS)
def open_cycle():
    form = _open_form()
    if form.validate_on_submit():
        try:
            period = Period.parse(form.period_key.data)
            if period.kind != form.period_kind.data:
                raise ServiceError(_("%(key)s is not a %(kind)s.", key=form.period_key.data,
                                     kind=dict(form.period_kind.choices)[form.period_kind.data]), "period_key")
            cycle = services.open_cycle(current_user, form.team_id.data, period)
        except ValueError:
            form.period_key.errors.append(_("Write the period as 2026-11, 2026-Q4, 2026 or 2026-W48."))
        except ServiceError as err:
            err.field = "period_key" if err.field == "period" else err.field
            err.attach(form)
        else:
            flash(_("Cycle opened with %(n)s appraisals.", n=len(cycle.appraisals)), "success")
            return redirect(url_for("appraisals.cycle", cycle_id=cycle.id))
    page = paginate(services.visible_cycles(current_user).options(joinedload(AppraisalCycle.team))
                    .order_by(AppraisalCycle.start.desc()))
    return render_template("appraisals/index.html", page=page, stats={}, form=form), 200


def _cycle_or_404(cycle_id: int, user=None) -> AppraisalCycle:
    cycle = db.session.scalar(services.visible_cycles(user or current_user).where(AppraisalCycle.id == cycle_id))
    if cycle is None:
        abort(404)
    return cycle


@bp.route("/cycles/<int:cycle_id>")
@policy(SALES)
def cycle(cycle_id: int):
    """The cycle summary: every rep side by side, ranked, with the distribution of grades."""
    user = current_user._get_current_object()  # read several times below: not through the proxy each time
    cycle = _cycle_or_404(cycle_id, user)
    if user.role == "rep":
        own = db.session.scalar(select(Appraisal.id).where(Appraisal.cycle_id == cycle.id,
                                                           Appraisal.rep_id == user.id))
        return redirect(url_for("appraisals.sheet", appraisal_id=own))
    ranked = queries.ranked(cycle.id)
    distribution = {grade: 0 for grade, _m in cycle.bands}
    for a in ranked:
        if a.grade:
            distribution[a.grade] = distribution.get(a.grade, 0) + 1
    return render_template("appraisals/cycle.html", cycle=cycle, ranked=ranked, distribution=distribution,
                           metrics=_metrics(ranked), states=labels.state_names(),
                           sheet_path=id_paths("appraisals.sheet", "appraisal_id"),
                           can_manage=services.can_manage_team(user, cycle.team_id))


def _metrics(ranked: list[queries.Ranked]) -> list[tuple[str, str]]:
    """The summary's item columns, (metric, name), from the first sheet."""
    chinese = labels.reads_chinese()
    return [(metric, zh if chinese else en) for metric, zh, en, _score in (ranked[0].items if ranked else [])]


@bp.route("/cycles/<int:cycle_id>/refresh", methods=["POST"])
@policy(MANAGERS)
def refresh(cycle_id: int):
    """Recompute the open appraisals from the records as they are now."""
    cycle = _cycle_or_404(cycle_id)
    if not services.can_manage_team(current_user, cycle.team_id):
        abort(403)
    services.refresh_cycle(cycle)
    flash(_("Figures recomputed from the records."), "success")
    return redirect(url_for("appraisals.cycle", cycle_id=cycle.id))


@bp.route("/cycles/<int:cycle_id>/summary.xlsx")
@policy(MANAGERS)
def cycle_export(cycle_id: int):
    cycle = _cycle_or_404(cycle_id)
    ranked = queries.ranked(cycle.id)
    return exports.cycle_workbook(cycle, ranked, _metrics(ranked))


def _appraisal_or_404(appraisal_id: int) -> Appraisal:
    appraisal = services.load_appraisal(appraisal_id)
    if appraisal is None or not services.can_view_appraisal(current_user, appraisal):
        abort(404)
    return appraisal


def _item_rows(appraisal: Appraisal, inputs: tuple[tuple[str, str], ...]):
    """The sheet's per-item inputs for the conflict box: (posted name prefix, item attribute)."""
    def rows() -> list:
        out = []
        for item in appraisal.items:
            for prefix, attr in inputs:
                name = f"{prefix}_{item.id}"
                if name in request.form:
                    theirs, yours = getattr(item, attr), request.form.get(name, "")
                    out.append((f"{labels.item_name(item)} · {_field_names()[prefix]}", concurrency.shown(theirs),
                                concurrency.shown(yours), not concurrency.same(theirs, yours)))
        return out
    return rows


def _field_names() -> dict:
    return {"judged": _("Score"), "adjusted": _("Adjusted"), "remark": _("Remark"), "self": _("Self score")}


def _sheet(appraisal: Appraisal | queries.Sheet, review=None, self_form=None, errors=None, status=200, conflict=None,
           conflict_in=None):
    """The sheet page, from the page's plain rows (queries.Sheet) or, re-shown by a page that saves the sheet,
    from the ORM appraisal it holds."""
    user = current_user._get_current_object()  # read several times below: not through the proxy each time
    sheet = appraisal if isinstance(appraisal, queries.Sheet) else queries.sheet_of(appraisal)
    can_manage = services.can_manage_team(user, sheet.team_id)
    is_rep = user.id == sheet.rep_id
    editable, self_open = can_manage and sheet.state == "open", is_rep and sheet.state == "open"
    # The review form's hidden fields (version, CSRF) are on every sheet; the other forms only where shown.
    review = review or ReviewForm(comment=sheet.comment, version=sheet.version)
    if self_open and self_form is None:
        self_form = SelfAssessmentForm(self_assessment=sheet.self_assessment, version=sheet.version)
    errors = errors or {}
    posted = request.form if request.method == "POST" else {}
    _prepare_items(sheet, editable, self_open, posted)
    total = services.scoring.weighted_total([(i.score, i.weight) for i in sheet.items])
    suggestions = []
    if editable:
        from .loop import suggested_courses

        suggestions = suggested_courses(sheet, user)
    return render_template(
        "appraisals/sheet.html", appraisal=sheet, cycle=sheet.cycle, labels=labels, review=review,
        self_form=self_form, ack=AcknowledgeForm() if is_rep and sheet.state == "finalised" else None,
        reopen_form=ReopenForm() if can_manage and sheet.state != "open" else None, errors=errors,
        can_manage=can_manage, is_rep=is_rep, total=total, differences=services.differences_since_final(sheet),
        suggestions=suggestions, conflict=conflict, conflict_in=conflict_in), status


# Metrics whose figure has no records page to link to.
NO_EVIDENCE = ("planned_target", "plan_report_rate")


def _prepare_items(sheet: queries.Sheet, editable: bool, self_open: bool, posted) -> None:
    """Work out once per item what the template shows of it: its name in the reader's language, the link to
    its records, the weighted score, the note, and the values of the inputs (what was posted, if anything,
    else what is saved). Done here rather than by a call per item in the template."""
    chinese = labels.reads_chinese()
    notes = labels.note_texts()
    evidence = _evidence_paths(sheet.id)
    for item in sheet.items:
        item.name = item.name_zh if chinese else item.name_en
        item.evidence = None if item.metric in NO_EVIDENCE else evidence(item.metric)
        item.weighted = round(item.score * item.weight / 100, 2) if item.score is not None else None
        item.note_text = notes.get(item.note) if item.note else None
        inputs = {}
        if editable:
            inputs["adjusted"] = item.adjusted if item.adjusted is not None else ""
            inputs["reason"] = item.adjust_reason or ""
            inputs["judged"] = str(int(item.judged)) if item.judged is not None else ""
            inputs["remark"] = item.remark or ""
        if self_open:
            inputs["self"] = item.self_score if item.self_score is not None else ""
        if posted:
            for prefix in inputs:
                inputs[prefix] = posted.get(f"{prefix}_{item.id}", inputs[prefix])
        item.inputs = inputs


def _evidence_paths(appraisal_id: int):
    """metric -> the path of its records page, the path built once: a metric code of letters, digits and
    underscores needs no quoting; any other (a template may name its own) goes through url_for."""
    base = url_for("appraisals.evidence", appraisal_id=appraisal_id, metric="m")[:-1]

    def path(metric: str) -> str:
        if metric.isascii() and metric.isidentifier():
            return base + metric
        return url_for("appraisals.evidence", appraisal_id=appraisal_id, metric=metric)
    return path


@bp.route("/<int:appraisal_id>")
@policy(SALES)
def sheet(appraisal_id: int):
    """One rep's sheet, laid out like the paper form; printable."""
    sheet = queries.load_sheet(appraisal_id)
    if sheet is None or not services.can_view_appraisal(current_user._get_current_object(), sheet):
        abort(404)
    return _sheet(sheet)


def _decimal(raw: str | None, field: str, errors: dict) -> Decimal | None:
    raw = (raw or "").strip().replace(",", "")
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        errors[field] = _("Enter a number.")
        return None


@bp.route("/<int:appraisal_id>/review", methods=["POST"])
@policy(MANAGERS)
def review(appraisal_id: int):
    """The director's scores, adjustments with reasons, and overall comment; optionally finalise."""
    appraisal = _appraisal_or_404(appraisal_id)
    if not services.can_manage_team(current_user, appraisal.team_id):
        abort(403)
    form = ReviewForm()
    errors: dict[str, str] = {}
    if not form.validate_on_submit():
        return _sheet(appraisal, review=form, errors=errors)
    judged, remarks, adjustments = {}, {}, {}
    for item in appraisal.items:
        if item.rule == "judged":
            judged[item.id] = _decimal(request.form.get(f"judged_{item.id}"), f"judged_{item.id}", errors)
        remarks[item.id] = (request.form.get(f"remark_{item.id}") or "").strip()[:2000]
        if item.rule not in ("judged", "none") and f"adjusted_{item.id}" in request.form:
            adjustments[item.id] = (_decimal(request.form.get(f"adjusted_{item.id}"), f"adjusted_{item.id}", errors),
                                    request.form.get(f"reason_{item.id}", ""))
    try:
        with concurrency.form_guard(form, appraisal, more_rows=_item_rows(
                appraisal, (("judged", "judged"), ("adjusted", "adjusted"), ("remark", "remark")))):
            if errors:
                return _sheet(appraisal, review=form, errors=errors)
            services.save_review(current_user, appraisal, judged=judged, remarks=remarks, adjustments=adjustments,
                                 comment=form.comment.data)
            if request.form.get("finalise"):
                services.finalise(current_user, appraisal)
    except concurrency.Conflict as conflict:
        return _sheet(appraisal, review=form, errors=errors, status=409, conflict=conflict, conflict_in="review")
    except ServiceError as err:
        db.session.rollback()
        appraisal = _appraisal_or_404(appraisal_id)
        if err.field and err.field != "comment":
            errors[err.field] = err.message
        else:
            form.form_errors.append(err.message)
        return _sheet(appraisal, review=form, errors=errors)
    flash(_("Appraisal finalised.") if request.form.get("finalise") else _("Saved."), "success")
    return redirect(url_for("appraisals.sheet", appraisal_id=appraisal.id))


@bp.route("/<int:appraisal_id>/self", methods=["POST"])
@policy(SALES)
def self_assessment(appraisal_id: int):
    appraisal = _appraisal_or_404(appraisal_id)
    form = SelfAssessmentForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        scores = {i.id: _decimal(request.form.get(f"self_{i.id}"), f"self_{i.id}", errors) for i in appraisal.items
                  if f"self_{i.id}" in request.form}
        if not errors:
            try:
                rows = _item_rows(appraisal, (("self", "self_score"),))
                with concurrency.form_guard(form, appraisal, more_rows=rows):
                    services.save_self_assessment(current_user, appraisal, form.self_assessment.data, scores)
            except concurrency.Conflict as conflict:
                return _sheet(appraisal, self_form=form, status=409, conflict=conflict, conflict_in="self")
            except ServiceError as err:
                db.session.rollback()  # nothing of a refused save is kept (the page commits below 400)
                appraisal = _appraisal_or_404(appraisal_id)
                errors[err.field or "self"] = err.message
            else:
                flash(_("Self-assessment saved."), "success")
                return redirect(url_for("appraisals.sheet", appraisal_id=appraisal.id))
    return _sheet(appraisal, self_form=form, errors=errors)


@bp.route("/<int:appraisal_id>/acknowledge", methods=["POST"])
@policy(SALES)
def acknowledge(appraisal_id: int):
    appraisal = _appraisal_or_404(appraisal_id)
    form = AcknowledgeForm()
    if form.validate_on_submit():
        try:
            services.acknowledge(current_user, appraisal, form.disagreement.data)
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            flash(_("Your disagreement is recorded; the general manager will see it.") if form.disagreement.data
                  else _("Appraisal acknowledged."), "success")
    return redirect(url_for("appraisals.sheet", appraisal_id=appraisal.id))


@bp.route("/<int:appraisal_id>/reopen", methods=["POST"])
@policy(MANAGERS)
def reopen(appraisal_id: int):
    appraisal = _appraisal_or_404(appraisal_id)
    form = ReopenForm()
    if not form.validate_on_submit():
        flash(_("Give a reason for reopening."), "danger")
    else:
        try:
            services.reopen(current_user, appraisal, form.reason.data)
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            flash(_("Appraisal reopened."), "success")
    return redirect(url_for("appraisals.sheet", appraisal_id=appraisal.id))


@bp.route("/<int:appraisal_id>/sheet.xlsx")
@policy(SALES)
def sheet_export(appraisal_id: int):
    return exports.sheet_workbook(_appraisal_or_404(appraisal_id))


@bp.route("/<int:appraisal_id>/evidence/<metric>")
@policy(SALES)
def evidence(appraisal_id: int, metric: str):
    """The records behind one computed figure."""
    appraisal = _appraisal_or_404(appraisal_id)
    item = next((i for i in appraisal.items if i.metric == metric), None)
    if item is None or metric in ("conduct", "planned_target", "plan_report_rate"):
        abort(404)
    period = services.cycle_period(appraisal.cycle)
    try:
        stmt = sources.row_statement(metric, [appraisal.rep_id], period)
    except KeyError:
        abort(404)
    page = paginate(stmt.order_by(*sources.evidence_order(metric)), per_page=50)
    return render_template("appraisals/evidence.html", appraisal=appraisal, item=item, page=page,
                           metric=metric, labels=labels, period=period)


@bp.route("/<int:appraisal_id>/assign-course", methods=["POST"])
@policy(MANAGERS)
def assign_course(appraisal_id: int):
    """Close the loop: assign a course suggested for a weak item straight from the sheet."""
    appraisal = _appraisal_or_404(appraisal_id)
    if not services.can_manage_team(current_user, appraisal.team_id):
        abort(403)
    from .loop import assign_suggested

    course_id = request.form.get("course_id", type=int)
    try:
        assign_suggested(current_user, appraisal, course_id)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(_("Course assigned."), "success")
    return redirect(url_for("appraisals.sheet", appraisal_id=appraisal.id))


# Templates -----------------------------------------------------------------------------------------------

@bp.route("/templates")
@policy(OVERSEERS)
def templates():
    services.default_template()
    page = paginate(select(AppraisalTemplate).options(joinedload(AppraisalTemplate.team),
                                                      selectinload(AppraisalTemplate.items))
                    .order_by(AppraisalTemplate.team_id.is_not(None), AppraisalTemplate.id))
    return render_template("appraisals/templates.html", page=page, labels=labels)


def _parse_bands(raw: str) -> list:
    bands = []
    for part in raw.replace("，", ",").split(","):
        bits = part.split()
        if len(bits) != 2:
            raise ValueError
        bands.append([bits[0], str(Decimal(bits[1]))])
    return bands


@bp.route("/templates/new", methods=["GET", "POST"], endpoint="template_new")
@bp.route("/templates/<int:template_id>/edit", methods=["GET", "POST"])
@policy(OVERSEERS)
def template_edit(template_id: int | None = None):
    """Edit a template's items, weights, rules and targets; weights must add up to 100."""
    tpl = db.get_or_404(AppraisalTemplate, template_id) if template_id else None
    source = tpl or services.default_template()
    form = TemplateForm(obj=tpl)
    form.team_id.choices = [(0, _("All teams"))] + [(t.id, t.name) for t in _teams_for(current_user)]
    if request.method == "GET":
        form.team_id.data = (tpl.team_id or 0) if tpl else 0
        form.period_kind.data = (tpl.period_kind or "") if tpl else ""
        form.bands.data = ", ".join(f"{g} {m}" for g, m in source.bands)
        if tpl is None:
            form.name.data = ""
    errors: dict[str, str] = {}
    rows = [{"metric": i.metric, "name_zh": i.name_zh, "name_en": i.name_en, "weight": i.weight, "rule": i.rule,
             "target": i.target, "floor": i.floor} for i in source.items]
    if request.method == "POST":
        rows = _posted_rows(errors)
    if form.validate_on_submit() and not errors:
        try:
            bands = _parse_bands(form.bands.data)
        except (ValueError, InvalidOperation):
            form.bands.errors.append(_("Write each band as a grade and a number, separated by commas."))
        else:
            try:
                saved = services.save_template(current_user, tpl, name=form.name.data, team_id=form.team_id.data,
                                               period_kind=form.period_kind.data, items=rows, bands=bands)
            except ServiceError as err:
                if err.field == "bands":
                    form.bands.errors.append(err.message)
                else:
                    errors["items"] = err.message
            else:
                flash(_("Template saved. Appraisals already made keep the items they were made with."), "success")
                return redirect(url_for("appraisals.template_edit", template_id=saved.id))
    return render_template("appraisals/template_form.html", form=form, tpl=tpl, rows=rows, errors=errors,
                           labels=labels, rules=labels.RULE_NAMES)


def _posted_rows(errors: dict) -> list[dict]:
    rows = []
    count = request.form.get("rows", type=int) or 0
    for n in range(min(count, 40)):
        metric = (request.form.get(f"metric_{n}") or "").strip()
        if not metric and not request.form.get(f"name_zh_{n}"):
            continue
        row = {"metric": metric or "judged", "name_zh": (request.form.get(f"name_zh_{n}") or "").strip()[:120],
               "name_en": (request.form.get(f"name_en_{n}") or "").strip()[:120],
               "rule": request.form.get(f"rule_{n}") or "judged"}
        if not row["name_zh"] or not row["name_en"]:
            errors[f"name_{n}"] = _("Give the item a name in both languages.")
        for key in ("weight", "target", "floor"):
            row[key] = _decimal(request.form.get(f"{key}_{n}"), f"{key}_{n}", errors)
        if row["weight"] is None:
            row["weight"] = Decimal(0)
        rows.append(row)
    return rows


@bp.route("/help")
@policy(SALES | OVERSEERS)
def help_page():
    """How each item is computed and scored."""
    return render_template("appraisals/help.html", items=services.default_template().items, labels=labels)


# Personnel notes (the archive) ------------------------------------------------------------------------------

@bp.route("/people/<int:user_id>/notes", methods=["POST"])
@policy(MANAGERS)
def add_note(user_id: int):
    rep = db.session.get(User, user_id)
    if rep is None or not services.can_read_notes(current_user, rep):
        abort(404)
    form = NoteForm()
    if form.validate_on_submit():
        services.add_note(current_user, rep, form.kind.data, form.on.data, form.text.data.strip())
        flash(_("Note added to the performance archive."), "success")
    else:
        flash(_("Choose a kind and a date and write the note."), "danger")
    return redirect(url_for("people.profile", user_id=rep.id) + "#archive")
