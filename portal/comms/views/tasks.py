"""Tasks, downward: the GM to directors, a director to reps; each assignee's part tracked."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload

from ...authz import MANAGERS, SALES, policy
from ...core.db import db
from ...core.errors import ServiceError
from ...core.pagination import paginate
from ...core.periods import local_today
from .. import bp, services
from .. import queries as q
from ..forms import CompleteForm, ReviewForm, TaskForm
from ..models import Task, TaskAssignment
from ._common import get_visible_or_404


@bp.route("/")
@policy(SALES)
def index():
    return redirect(url_for("comms.tasks"))


@bp.route("/tasks")
@policy(SALES)
def tasks():
    """Tasks given to me, given by me, or (managers) everything below me."""
    view = request.args.get("view") or ("mine" if current_user.role == "rep" else "given")
    stmt = q.visible_tasks(current_user)
    if view == "mine":
        stmt = stmt.where(exists().where(TaskAssignment.task_id == Task.id,
                                         TaskAssignment.assignee_id == current_user.id))
    elif view == "given":
        stmt = stmt.where(Task.assigner_id == current_user.id)
    state = request.args.get("state", "")
    if state == "open":
        stmt = stmt.where(exists().where(TaskAssignment.task_id == Task.id, TaskAssignment.status.not_in(q.DONE)))
    elif state == "overdue":
        stmt = stmt.where(Task.due_on < local_today(), exists().where(
            TaskAssignment.task_id == Task.id, TaskAssignment.status.not_in(q.DONE)))
    page = paginate(stmt.options(joinedload(Task.assigner)).order_by(Task.due_on.desc(), Task.id.desc()))
    ids = [t.id for t in page.items]
    progress = q.task_progress(ids)
    mine = {p.task_id: p for p in db.session.scalars(select(TaskAssignment).where(
        TaskAssignment.task_id.in_(ids or [-1]), TaskAssignment.assignee_id == current_user.id))}
    return render_template("comms/tasks.html", page=page, progress=progress, mine=mine, view=view, state=state,
                           today=local_today())


def _task_form(parent=None) -> TaskForm:
    form = TaskForm()
    people = services.assignable_people(current_user)
    form.assignee_ids.choices = [(u.id, f"{u.display_name} ({u.team.name if u.team else '—'})") for u in people]
    return form


@bp.route("/tasks/new", methods=["GET", "POST"])
@policy(MANAGERS)
def task_new():
    """Assign a task; with ?parent_id= a director breaks a task from the GM down into rep tasks."""
    parent = None
    parent_id = request.args.get("parent_id", type=int)
    if parent_id:
        parent = get_visible_or_404(Task, parent_id, q.can_see_task, current_user)
        if not q.can_break_down(current_user, parent):
            abort(403)
    form = _task_form(parent)
    if request.method == "GET" and parent is not None:
        form.title.data = parent.title
        form.due_on.data = parent.due_on
        form.description.data = parent.description
        form.priority.data = parent.priority
    if form.validate_on_submit():
        try:
            task = services.create_task(
                current_user, title=form.title.data, description=form.description.data,
                priority=form.priority.data, due_on=form.due_on.data, assignee_ids=form.assignee_ids.data,
                whole_team=form.whole_team.data, link_type=form.link_type.data or None,
                link_id=form.link_id.data, parent=parent, token=form.token.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Task assigned."), "success")
            return redirect(url_for("comms.task_detail", task_id=task.id))
    return render_template("comms/task_form.html", form=form, parent=parent)


@bp.route("/tasks/<int:task_id>")
@policy(SALES)
def task_detail(task_id: int):
    task = get_visible_or_404(Task, task_id, q.can_see_task, current_user)
    parts = list(db.session.scalars(select(TaskAssignment).options(joinedload(TaskAssignment.assignee))
                                    .where(TaskAssignment.task_id == task.id).order_by(TaskAssignment.id)))
    my_part = next((p for p in parts if p.assignee_id == current_user.id), None)
    show_progress = q.can_see_progress(current_user, task)
    roll = q.rollup(task) if show_progress or my_part else None
    done = sum(1 for p in parts if p.status in q.DONE)
    return render_template("comms/task_detail.html", task=task, parts=parts, my_part=my_part,
                           show_progress=show_progress, roll=roll, done=done, today=local_today(),
                           complete_form=CompleteForm(), review_form=ReviewForm())


def _part_or_404(task_id: int, part_id: int) -> TaskAssignment:
    task = get_visible_or_404(Task, task_id, q.can_see_task, current_user)
    part = db.session.get(TaskAssignment, part_id)
    if part is None or part.task_id != task.id:
        abort(404)
    return part


@bp.route("/tasks/<int:task_id>/parts/<int:part_id>/start", methods=["POST"])
@policy(SALES)
def part_start(task_id: int, part_id: int):
    part = _part_or_404(task_id, part_id)
    try:
        services.start_part(current_user, part)
    except ServiceError as err:
        flash(err.message, "danger")
    return redirect(url_for("comms.task_detail", task_id=task_id))


@bp.route("/tasks/<int:task_id>/parts/<int:part_id>/complete", methods=["POST"])
@policy(SALES)
def part_complete(task_id: int, part_id: int):
    part = _part_or_404(task_id, part_id)
    form = CompleteForm()
    if not form.validate_on_submit():
        flash(_("Write a short completion report."), "danger")
        return redirect(url_for("comms.task_detail", task_id=task_id))
    try:
        services.complete_part(current_user, part, form.report.data)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(_("Marked as done. The assigner will review it."), "success")
    return redirect(url_for("comms.task_detail", task_id=task_id))


@bp.route("/tasks/<int:task_id>/parts/<int:part_id>/review", methods=["POST"])
@policy(MANAGERS)
def part_review(task_id: int, part_id: int):
    """Accept a completed part, or send it back with a comment."""
    part = _part_or_404(task_id, part_id)
    form = ReviewForm()
    form.validate_on_submit()
    accept = request.form.get("decision") == "accept"
    try:
        services.review_part(current_user, part, accept, form.comment.data)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(_("Accepted.") if accept else _("Sent back."), "success")
    return redirect(url_for("comms.task_detail", task_id=task_id))


