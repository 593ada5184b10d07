"""Periodic sales summaries (rep → director) and the director's report to the GM."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ...authz import DIRECTOR, GM, MANAGERS, REP, SALES, can_see_record, policy
from ...core.errors import ServiceError
from ...core.pagination import paginate
from ...core.periods import Period
from .. import bp, services
from .. import queries as q
from ..forms import AnswerForm, CommentForm, DirectorReportForm, SummaryForm
from ..models import DirectorReport, SalesSummary
from ._common import get_visible_or_404


def _can_see(user, record) -> bool:
    return user.role != "admin" and can_see_record(user, record)


def _parse(key: str | None) -> Period | None:
    try:
        period = Period.parse(key) if key else None
    except ValueError:
        return None
    return period if period is not None and period.kind in ("month", "quarter") else None


def _period(key: str | None, default_kind: str = "month") -> Period:
    try:
        period = Period.parse(key) if key else None
    except ValueError:
        period = None
    if period is None or period.kind not in ("month", "quarter"):
        period = Period.current(default_kind).previous()
    return period


def _valid_period(form) -> bool:
    """A period that looks right but does not exist (2026-13) is refused beside the field."""
    if _parse(form.period.data) is None:
        form.period.errors = list(form.period.errors) + [_("A month such as 2026-11 or a quarter such as 2026-Q4.")]
        return False
    return True


@bp.route("/summaries")
@policy(SALES)
def summaries():
    stmt = q.visible_summaries(current_user).options(joinedload(SalesSummary.owner))
    if request.args.get("unanswered") == "1":
        stmt = stmt.where(SalesSummary.answered_at.is_(None))
    page = paginate(stmt.order_by(SalesSummary.period_key.desc(), SalesSummary.id.desc()))
    return render_template("comms/summaries.html", page=page)


@bp.route("/summaries/new", methods=["GET", "POST"])
@policy(REP)
def summary_new():
    """Write the monthly or quarterly summary; figures are filled in from the data."""
    form = SummaryForm()
    if request.method == "GET":
        form.period.data = _period(request.args.get("period")).key
    period = _period(form.period.data)
    if form.validate_on_submit() and _valid_period(form):
        try:
            summary = services.submit_summary(
                current_user, period, work_done=form.work_done.data, results=form.results.data,
                success_rules=form.success_rules.data, failed_cases=form.failed_cases.data,
                improvements=form.improvements.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Summary submitted to your director."), "success")
            return redirect(url_for("comms.summary_detail", summary_id=summary.id))
    figures = services.summary_figures(current_user, period)
    return render_template("comms/summary_form.html", form=form, period=period, figures=figures)


@bp.route("/summaries/<int:summary_id>")
@policy(SALES)
def summary_detail(summary_id: int):
    summary = get_visible_or_404(SalesSummary, summary_id, _can_see, current_user)
    return render_template("comms/summary_detail.html", summary=summary, form=AnswerForm(),
                           can_answer=q.can_comment_work(current_user, summary))


@bp.route("/summaries/<int:summary_id>/answer", methods=["POST"])
@policy(DIRECTOR)
def summary_answer(summary_id: int):
    summary = get_visible_or_404(SalesSummary, summary_id, _can_see, current_user)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            services.answer_summary(current_user, summary, form.answer.data)
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            flash(_("Answer saved."), "success")
    else:
        flash(_("Write an answer first."), "danger")
    return redirect(url_for("comms.summary_detail", summary_id=summary.id))


# The director's report to the GM -----------------------------------------------------------------

@bp.route("/director-reports")
@policy(MANAGERS)
def director_reports():
    stmt = q.visible_director_reports(current_user).options(joinedload(DirectorReport.author),
                                                             joinedload(DirectorReport.team))
    if request.args.get("uncommented") == "1":
        stmt = stmt.where(DirectorReport.gm_commented_at.is_(None))
    page = paginate(stmt.order_by(DirectorReport.submitted_at.desc()))
    return render_template("comms/director_reports.html", page=page)


@bp.route("/director-reports/new", methods=["GET", "POST"])
@policy(DIRECTOR)
def director_report_new():
    """Figures (completion, customers, open difficulties, overdue tasks) come from the data."""
    form = DirectorReportForm()
    if request.method == "GET":
        form.period.data = _period(request.args.get("period")).key
    period = _period(form.period.data)
    if form.validate_on_submit() and _valid_period(form):
        try:
            report = services.submit_director_report(current_user, period, form.body.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Report sent to the general manager."), "success")
            return redirect(url_for("comms.director_report_detail", dreport_id=report.id))
    figures = services.director_report_figures(current_user.team_id, period) if current_user.team_id else []
    return render_template("comms/director_report_form.html", form=form, period=period, figures=figures)


@bp.route("/director-reports/<int:dreport_id>")
@policy(MANAGERS)
def director_report_detail(dreport_id: int):
    report = get_visible_or_404(DirectorReport, dreport_id, _can_see, current_user)
    return render_template("comms/director_report_detail.html", report=report, form=CommentForm())


@bp.route("/director-reports/<int:dreport_id>/comment", methods=["POST"])
@policy(GM)
def director_report_comment(dreport_id: int):
    report = get_visible_or_404(DirectorReport, dreport_id, _can_see, current_user)
    form = CommentForm()
    if form.validate_on_submit():
        try:
            services.comment_director_report(current_user, report, form.comment.data)
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            flash(_("Comment saved."), "success")
    else:
        flash(_("Write a comment first."), "danger")
    return redirect(url_for("comms.director_report_detail", dreport_id=report.id))
