"""Reports: the training matrix (reps × courses), per-quiz results, question statistics; XLSX exports."""
from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ...authz import MANAGERS, policy
from ...core.db import db
from ...core.exports import export_response
from ...core.links import id_paths
from ...core.pagination import paginate, paginate_counted
from ...i18n import fmt_date, fmt_number
from .. import bp, queries, services
from ..forms import QTYPE_LABELS, STATUS_LABELS
from ..models import Attempt, Course
from .common import quiz_or_404

# Course columns per page of the matrix: like Moodle's completion report, a wide matrix is paged
# across as well as down, so a page draws the same number of cells with 10 courses or 1,000.
MATRIX_COURSES = 10
BADGES = {"overdue": "text-bg-danger", "passed": "text-bg-success", "in_progress": "text-bg-primary"}


def _matrix(viewer, team_id: int | None, all_rows: bool):
    """The reps (rows: id, display_name, team_id, team_name), their page, the course columns' page, the
    courses (rows: id, title) and the cells. Plain rows, and each page's count riding on its rows (one
    query for a page instead of two)."""
    stmt = queries.matrix_reps(viewer, team_id)
    visible = services.visible_courses(viewer).with_only_columns(Course.id, Course.title)
    if all_rows:
        reps = db.session.execute(stmt).all()
        page = columns = None
        courses = db.session.execute(queries.courses_in_use(reps, visible)).all()
    else:
        page = paginate_counted(stmt, per_page=50)
        reps = page.items
        columns = paginate_counted(queries.courses_in_use(reps, visible), per_page=MATRIX_COURSES,
                                   arg="course_page")
        courses = columns.items
    return reps, page, columns, courses, queries.matrix_cells(reps, [c.id for c in courses])


def _shown_cells(reps, courses, cells) -> tuple[list[tuple | None], list[list[int]]]:
    """The page's distinct cells, each (status, badge class, label, best score, due text) or None (empty,
    always first), and per rep the index of each of its cells among them.

    A page has hundreds of cells but a dozen or so distinct ones: each is formatted (Babel) here, and drawn
    by the template, once."""
    labels = {k: str(v) for k, v in STATUS_LABELS.items()}
    shown: list[tuple | None] = [None]
    index = {}
    course_ids = [c.id for c in courses]
    out = []
    for rep in reps:
        rep_id = rep.id
        row = []
        for course_id in course_ids:
            cell = cells.get((rep_id, course_id))
            if cell is None:
                row.append(0)
                continue
            # A passed cell shows no due date: cells differing only in it look the same.
            key = (cell.status, cell.best, cell.due_on if cell.status != "passed" else None)
            i = index.get(key)
            if i is None:
                status, best, due = key
                i = index[key] = len(shown)
                shown.append((status, BADGES.get(status, "text-bg-secondary"), labels[status],
                              "" if best is None else fmt_number(best, 2),
                              _("due %(d)s", d=fmt_date(due)) if due else ""))
            row.append(i)
        out.append(row)
    return shown, out


@bp.route("/reports/matrix")
@policy(MANAGERS)
def matrix():
    """Reps × courses: not started, in progress, passed or overdue, with the best score."""
    team_id = request.args.get("team", type=int)
    viewer = current_user._get_current_object()
    if request.args.get("format") == "xlsx":
        reps, _page, _columns, courses, cells = _matrix(viewer, team_id, all_rows=True)
        rows = []
        for rep in reps:
            row = [rep.display_name, rep.team_name or ""]
            for c in courses:
                cell = cells.get((rep.id, c.id))
                row.append("" if cell is None else
                           f"{STATUS_LABELS[cell.status]}{f' {cell.best}' if cell.best is not None else ''}")
            rows.append(row)
        return export_response("xlsx", "training-matrix", _("Training matrix"),
                               [_("Sales rep"), _("Team")] + [c.title for c in courses], rows)
    reps, page, columns, courses, cells = _matrix(viewer, team_id, all_rows=False)
    shown, indexes = _shown_cells(reps, courses, cells)
    return render_template("training/matrix.html", reps=reps, page=page, columns=columns, courses=courses,
                           shown=shown, rows=zip(reps, indexes, strict=True),
                           teams=services.editable_teams(viewer), team_id=team_id,
                           course_path=id_paths("training.course", "course_id"),
                           profile_path=id_paths("people.profile", "user_id"))


@bp.route("/quizzes/<int:quiz_id>/report")
@policy(MANAGERS)
def quiz_report(quiz_id: int):
    """A quiz's attempts (within one's scope), their score distribution and per-question statistics."""
    quiz = quiz_or_404(quiz_id)
    stmt = queries.attempts_in_scope(current_user, quiz).options(joinedload(Attempt.user)) \
        .order_by(Attempt.finished_at.desc().nullsfirst(), Attempt.id.desc())
    if request.args.get("format") == "xlsx":
        rows = [[a.user.display_name, a.number, _state_label(a.state), fmt_date(a.started_at),
                 fmt_date(a.finished_at) if a.finished_at else "", str(a.score) if a.score is not None else ""]
                for a in db.session.scalars(stmt)]
        return export_response("xlsx", f"quiz-{quiz.id}-results", _("Results"),
                               [_("Sales rep"), _("Attempt"), _("State"), _("Started"), _("Finished"), _("Score (%)")],
                               rows)
    page = paginate(stmt)
    bins = queries.score_distribution(current_user, quiz)
    chart = {
        "tooltip": {}, "xAxis": {"type": "category", "data": [f"{i * 10}–{i * 10 + 10}" for i in range(10)]},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"type": "bar", "name": _("Attempts"), "data": bins}],
    }
    stats = queries.question_statistics(current_user, quiz)
    return render_template("training/quiz_report.html", quiz=quiz, page=page, chart=chart, bins=bins, stats=stats,
                           qtypes=QTYPE_LABELS, state_label=_state_label)


def _state_label(state: str) -> str:
    return {"in_progress": _("In progress"), "needs_grading": _("Waiting for marking"),
            "finished": _("Finished")}.get(state, state)



