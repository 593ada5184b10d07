"""Robot pages: the list, add/edit, delete, a test message and each robot's delivery log."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..authz import DIRECTOR, OVERSEERS, managed_team_ids, policy
from ..core.db import db
from ..core.errors import ServiceError
from ..core.pagination import paginate
from ..people.models import Team
from . import bp, services
from .forms import RobotForm
from .models import PLATFORMS, Robot, RobotOutbox


def _load(robot_id: int) -> Robot:
    robot = db.session.get(Robot, robot_id)
    if robot is None or not services.can_manage(current_user, robot):
        abort(404)
    return robot


@bp.route("/")
@policy(DIRECTOR | OVERSEERS)
def index():
    """The robots one manages: a director's team robots; the GM and admin see the company's and all teams'."""
    stmt = services.visible_robots(current_user).options(joinedload(Robot.team)).order_by(
        Robot.team_id.is_not(None), Robot.team_id, Robot.name)
    page = paginate(stmt)
    ids = [r.id for r in page.items]
    stats = {}
    if ids:
        rows = db.session.execute(select(RobotOutbox.robot_id, RobotOutbox.status, func.count(RobotOutbox.id))
                                  .where(RobotOutbox.robot_id.in_(ids))
                                  .group_by(RobotOutbox.robot_id, RobotOutbox.status))
        for robot_id, status, n in rows:
            stats.setdefault(robot_id, {})[status] = n
    return render_template("robots/index.html", page=page, stats=stats, events=services.EVENTS,
                           platforms=services.PLATFORM_LABELS, masked=services.masked_url)


def _form(robot: Robot | None) -> RobotForm:
    form = RobotForm(obj=robot)
    teams = managed_team_ids(current_user)
    stmt = select(Team).order_by(Team.name)
    if teams is not None:
        stmt = stmt.where(Team.id.in_(teams or {-1}))
    choices = [] if teams is not None else [(0, _("The whole company"))]
    form.team_id.choices = choices + [(t.id, t.name) for t in db.session.scalars(stmt)]
    form.platform.choices = [(p, services.PLATFORM_LABELS[p]) for p in PLATFORMS]
    form.events.choices = list(services.EVENTS.items())
    if request.method == "GET" and robot is not None:
        form.team_id.data = robot.team_id or 0
        form.events.data = list(robot.events or [])
    if request.method == "GET" and robot is None and current_user.role == "director":
        form.team_id.data = current_user.team_id
    return form


@bp.route("/new", methods=["GET", "POST"], endpoint="create")
@bp.route("/<int:robot_id>/edit", methods=["GET", "POST"])
@policy(DIRECTOR | OVERSEERS)
def edit(robot_id: int | None = None):
    robot = _load(robot_id) if robot_id else None
    form = _form(robot)
    if form.validate_on_submit():
        try:
            robot = services.save_robot(
                current_user, robot, team_id=form.team_id.data or None, name=form.name.data,
                platform=form.platform.data, url=form.url.data, secret=form.secret.data,
                clear_secret=form.clear_secret.data, events=form.events.data or [], active=form.active.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Robot saved."), "success")
            return redirect(url_for("robots.log", robot_id=robot.id))
    return render_template("robots/form.html", form=form, robot=robot)


@bp.route("/<int:robot_id>/delete", methods=["POST"])
@policy(DIRECTOR | OVERSEERS)
def delete(robot_id: int):
    robot = _load(robot_id)
    services.delete_robot(current_user, robot)
    flash(_("Robot removed."), "success")
    return redirect(url_for("robots.index"))


@bp.route("/<int:robot_id>/test", methods=["POST"])
@policy(DIRECTOR | OVERSEERS)
def test(robot_id: int):
    """Queue a test message; it is sent after this request, and its attempts show in the log."""
    robot = _load(robot_id)
    services.send_test(current_user, robot)
    flash(_("Test message queued. Its delivery shows below in a few seconds (reload the page)."), "success")
    return redirect(url_for("robots.log", robot_id=robot.id))


@bp.route("/<int:robot_id>/log")
@policy(DIRECTOR | OVERSEERS)
def log(robot_id: int):
    """Every message to this robot, newest first, with each attempt and the next retry."""
    robot = _load(robot_id)
    stmt = (select(RobotOutbox).where(RobotOutbox.robot_id == robot.id)
            .options(selectinload(RobotOutbox.deliveries))
            .order_by(RobotOutbox.created_at.desc(), RobotOutbox.id.desc()))
    return render_template("robots/log.html", robot=robot, page=paginate(stmt), events=services.EVENTS,
                           platforms=services.PLATFORM_LABELS, masked=services.masked_url)


@bp.route("/<int:robot_id>/messages/<int:robot_message_id>/retry", methods=["POST"])
@policy(DIRECTOR | OVERSEERS)
def retry(robot_id: int, robot_message_id: int):
    """Try a message that gave up (or waits for its back-off) once more, now."""
    robot = _load(robot_id)
    row = db.session.get(RobotOutbox, robot_message_id)
    if row is None or row.robot_id != robot.id:
        abort(404)
    services.retry_now(current_user, row)
    flash(_("The message will be sent again in a few seconds."), "success")
    return redirect(url_for("robots.log", robot_id=robot.id))
