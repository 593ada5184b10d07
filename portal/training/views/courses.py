"""Courses, lessons, files, assignments, "my training" and certificates."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ...authz import ADMIN as ADMIN_RULE
from ...authz import ANYONE, DIRECTOR, REP, SALES, policy
from ...core.db import db
from ...core.errors import ServiceError
from ...core.pagination import paginate
from ...core.uploads import DOCUMENTS, IMAGES, save_upload, send_upload
from ...people.models import User
from .. import bp, queries, services
from ..forms import STATUS_LABELS, AssignForm, CourseForm, FileForm, LessonForm
from ..models import Assignment, Completion, Course, Lesson, LessonProgress, Quiz, TrainingFile
from .common import course_or_404, editable_course_or_404, file_or_404, lesson_or_404

BUILDERS = DIRECTOR | ADMIN_RULE
READERS = SALES | ADMIN_RULE


@bp.route("/")
@policy(READERS)
def index():
    """Reps start on their own training; managers on the course list."""
    if current_user.role == "rep":
        return redirect(url_for("training.my"))
    return redirect(url_for("training.courses"))


@bp.route("/my")
@policy(REP)
def my():
    """My training: assigned and begun courses, with progress and due dates."""
    rows = queries.my_training(current_user)
    open_courses = list(db.session.scalars(
        services.visible_courses(current_user).where(Course.id.not_in([c.id for c, _cell in rows] or [-1]))
        .order_by(Course.title).limit(50)))
    return render_template("training/my.html", rows=rows, open_courses=open_courses, statuses=STATUS_LABELS)


@bp.route("/courses")
@policy(READERS)
def courses():
    stmt = services.visible_courses(current_user).options(joinedload(Course.owner), joinedload(Course.team),
                                                           selectinload(Course.tags))
    q = (request.args.get("q") or "").strip()
    if q:
        stmt = stmt.where(Course.title.ilike(f"%{q}%"))
    page = paginate(stmt.order_by(Course.published.desc(), Course.title))
    return render_template("training/courses.html", page=page, q=q)


def _course_form(course: Course | None) -> CourseForm:
    form = CourseForm(obj=course)
    form.team_id.choices = [(0, _("Whole company"))] + [(t.id, t.name) for t in services.editable_teams(current_user)]
    others = db.session.scalars(services.visible_courses(current_user).order_by(Course.title))
    form.prerequisites.choices = [(c.id, c.title) for c in others if course is None or c.id != course.id]
    if request.method == "GET" and course is not None:
        form.team_id.data = course.team_id or 0
        form.tags.data = ", ".join(t.tag for t in course.tags)
        from ..models import CoursePrerequisite

        form.prerequisites.data = list(db.session.scalars(
            select(CoursePrerequisite.required_id).where(CoursePrerequisite.course_id == course.id)))
    elif request.method == "GET" and current_user.team_id:
        form.team_id.data = current_user.team_id
    return form


@bp.route("/courses/new", methods=["GET", "POST"], endpoint="course_new")
@bp.route("/courses/<int:course_id>/edit", methods=["GET", "POST"])
@policy(BUILDERS)
def course_edit(course_id: int | None = None):
    course = editable_course_or_404(course_id) if course_id else None
    form = _course_form(course)
    if form.validate_on_submit():
        try:
            course = services.save_course(
                current_user, course, title=form.title.data, summary=form.summary.data, category=form.category.data,
                team_id=form.team_id.data, published=form.published.data, open_to_all=form.open_to_all.data,
                tags=form.tags.data, prerequisite_ids=form.prerequisites.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("training.course", course_id=course.id))
    return render_template("training/course_form.html", form=form, course=course)


@bp.route("/courses/<int:course_id>/delete", methods=["POST"])
@policy(BUILDERS)
def course_delete(course_id: int):
    """Delete a course nobody has worked on yet (otherwise unpublish it, keeping the records)."""
    course = editable_course_or_404(course_id)
    try:
        services.delete_course(current_user, course)
    except ServiceError as err:
        flash(err.message, "warning")
        return redirect(url_for("training.course", course_id=course.id))
    flash(_("Course deleted."), "success")
    return redirect(url_for("training.courses"))


@bp.route("/courses/<int:course_id>")
@policy(READERS)
def course(course_id: int):
    """A course: its lessons and quizzes, the rep's progress, the manager's tools."""
    course = course_or_404(course_id)
    lessons = list(db.session.scalars(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)))
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id).order_by(Quiz.id)))
    ctx = {"course": course, "lessons": lessons, "quizzes": quizzes,
           "can_edit": services.can_edit_course(current_user, course)}
    if current_user.role == "rep":
        progress = services.course_progress(current_user.id, course)
        done = set(db.session.scalars(select(LessonProgress.lesson_id).where(
            LessonProgress.user_id == current_user.id, LessonProgress.course_id == course.id)))
        completion = db.session.scalar(select(Completion).where(Completion.user_id == current_user.id,
                                                                Completion.course_id == course.id))
        ctx.update(progress=progress, done=done, completion=completion,
                   missing=services.missing_prerequisites(current_user, course))
    else:
        ctx.update(progress=None, done=set(), completion=None, missing=[])
        ctx["assignments"] = list(db.session.scalars(
            select(Assignment).options(joinedload(Assignment.user), joinedload(Assignment.team))
            .where(Assignment.course_id == course.id).order_by(Assignment.due_on))) \
            if current_user.role in ("director", "gm") else []
    ctx.setdefault("assignments", [])
    return render_template("training/course.html", **ctx)


# Lessons -----------------------------------------------------------------------------------------

@bp.route("/courses/<int:course_id>/lessons/new", methods=["GET", "POST"])
@policy(BUILDERS)
def lesson_new(course_id: int):
    course = editable_course_or_404(course_id)
    return _lesson_form(course, None)


@bp.route("/lessons/<int:lesson_id>/edit", methods=["GET", "POST"])
@policy(BUILDERS)
def lesson_edit(lesson_id: int):
    lesson = lesson_or_404(lesson_id)
    course = editable_course_or_404(lesson.course_id)
    return _lesson_form(course, lesson)


def _lesson_form(course: Course, lesson: Lesson | None):
    form = LessonForm(obj=lesson)
    if form.validate_on_submit():
        lesson = services.save_lesson(current_user, course, lesson, title=form.title.data, body=form.body.data,
                                      minutes=form.minutes.data)
        flash(_("Saved."), "success")
        return redirect(url_for("training.lesson_edit", lesson_id=lesson.id))
    return render_template("training/lesson_form.html", form=form, course=course, lesson=lesson,
                           file_form=FileForm())


@bp.route("/lessons/<int:lesson_id>/move", methods=["POST"])
@policy(BUILDERS)
def lesson_move(lesson_id: int):
    lesson = lesson_or_404(lesson_id)
    editable_course_or_404(lesson.course_id)
    services.move_lesson(current_user, lesson, -1 if request.form.get("direction") == "up" else 1)
    return redirect(url_for("training.course", course_id=lesson.course_id))


@bp.route("/lessons/<int:lesson_id>/delete", methods=["POST"])
@policy(BUILDERS)
def lesson_delete(lesson_id: int):
    lesson = lesson_or_404(lesson_id)
    course = editable_course_or_404(lesson.course_id)
    db.session.delete(lesson)
    db.session.flush()
    flash(_("Lesson deleted."), "success")
    return redirect(url_for("training.course", course_id=course.id))


@bp.route("/lessons/<int:lesson_id>")
@policy(READERS)
def lesson(lesson_id: int):
    """Read a lesson (reps: once the required courses are done)."""
    lesson = lesson_or_404(lesson_id)
    course = lesson.course
    missing = services.missing_prerequisites(current_user, course) if current_user.role == "rep" else []
    if missing:
        flash(_("Complete the required courses first."), "warning")
        return redirect(url_for("training.course", course_id=course.id))
    done = current_user.role == "rep" and db.session.scalar(select(LessonProgress.id).where(
        LessonProgress.user_id == current_user.id, LessonProgress.lesson_id == lesson.id)) is not None
    lessons = list(db.session.scalars(select(Lesson.id).where(Lesson.course_id == course.id).order_by(Lesson.position)))
    i = lessons.index(lesson.id)
    files = list(db.session.scalars(select(TrainingFile).where(TrainingFile.lesson_id == lesson.id)
                                    .order_by(TrainingFile.id)))
    return render_template("training/lesson.html", lesson=lesson, course=course, done=done, files=files,
                           prev_id=lessons[i - 1] if i > 0 else None,
                           next_id=lessons[i + 1] if i + 1 < len(lessons) else None)


@bp.route("/lessons/<int:lesson_id>/done", methods=["POST"])
@policy(REP)
def lesson_done(lesson_id: int):
    lesson = lesson_or_404(lesson_id)
    try:
        services.mark_lesson_done(current_user, lesson)
    except ServiceError as err:
        flash(err.message, "warning")
    else:
        flash(_("Lesson marked as done."), "success")
    nxt = request.form.get("next_id", type=int)
    if nxt:
        return redirect(url_for("training.lesson", lesson_id=nxt))
    return redirect(url_for("training.course", course_id=lesson.course_id))


# Files -------------------------------------------------------------------------------------------

@bp.route("/courses/<int:course_id>/files", methods=["POST"])
@policy(BUILDERS)
def file_upload(course_id: int):
    """Attach a file to a lesson, or upload an image for the course's questions."""
    course = editable_course_or_404(course_id)
    lesson = None
    lesson_id = request.form.get("lesson_id", type=int)
    if lesson_id:
        lesson = db.session.get(Lesson, lesson_id)
        if lesson is None or lesson.course_id != course.id:
            abort(404)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a file."), "warning")
    else:
        try:
            stored = save_upload(upload, DOCUMENTS if lesson else IMAGES)
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            f = services.add_file(current_user, course, lesson, stored)
            flash(_("Uploaded. Markdown for it: %(md)s", md=_markdown_for(f)), "success")
    if lesson:
        return redirect(url_for("training.lesson_edit", lesson_id=lesson.id))
    return redirect(url_for("training.bank", course_id=course.id))


def _markdown_for(f: TrainingFile) -> str:
    url = url_for("training.file", file_id=f.id)
    return f"![{f.name}]({url})" if f.is_image else f"[{f.name}]({url})"


@bp.route("/files/<int:file_id>")
@policy(READERS)
def file(file_id: int):
    """A lesson attachment or question image: only for those enrolled in the course or managing it."""
    f = file_or_404(file_id)
    return send_upload(f.key, f.name, f.content_type, inline=f.is_image)


@bp.route("/files/<int:file_id>/delete", methods=["POST"])
@policy(BUILDERS)
def file_delete(file_id: int):
    f = file_or_404(file_id)
    editable_course_or_404(f.course_id)
    lesson_id = f.lesson_id
    db.session.delete(f)
    db.session.flush()
    flash(_("File removed."), "success")
    if lesson_id:
        return redirect(url_for("training.lesson_edit", lesson_id=lesson_id))
    return redirect(url_for("training.bank", course_id=f.course_id))


# Assignments -------------------------------------------------------------------------------------

@bp.route("/courses/<int:course_id>/assign", methods=["GET", "POST"])
@policy(DIRECTOR)
def assign(course_id: int):
    """Assign the course to reps of one's team, or to the whole team, with a due date."""
    course = course_or_404(course_id)
    form = AssignForm()
    reps = list(db.session.scalars(queries.reps_in_scope(current_user)))
    form.user_ids.choices = [(r.id, r.display_name) for r in reps]
    form.team_id.choices = [(0, _("— no, only the reps chosen —"))] + \
        [(t.id, t.name) for t in services.editable_teams(current_user)]
    if form.validate_on_submit():
        try:
            made = services.assign(current_user, course, user_ids=form.user_ids.data or (),
                                   team_id=form.team_id.data or None, due_on=form.due_on.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("%(n)s assignments made; the reps have been notified.", n=len(made)), "success")
            return redirect(url_for("training.course", course_id=course.id))
    return render_template("training/assign.html", form=form, course=course)


@bp.route("/assignments/<int:assignment_id>/delete", methods=["POST"])
@policy(DIRECTOR)
def assignment_delete(assignment_id: int):
    assignment = db.get_or_404(Assignment, assignment_id)
    services.remove_assignment(current_user, assignment)
    flash(_("Assignment withdrawn."), "success")
    return redirect(url_for("training.course", course_id=assignment.course_id))


# Certificates ------------------------------------------------------------------------------------

@bp.route("/certificates/<int:completion_id>")
@policy(SALES)
def certificate(completion_id: int):
    """A printable certificate of completion."""
    completion = db.session.get(Completion, completion_id)
    if completion is None or not services.can_see_person_training(current_user, completion.user):
        abort(404)
    return render_template("training/certificate.html", completion=completion,
                           verify_url=url_for("training.verify", code=completion.code, _external=True))


@bp.route("/verify")
@policy(ANYONE)
def verify():
    """Anyone may check a certificate code: it shows the name, course, date and score, nothing else."""
    code = (request.args.get("code") or "").strip().upper()[:20]
    found = None
    if code:
        row = db.session.execute(
            select(User.display_name, Course.title, Completion.completed_at, Completion.score)
            .join(User, User.id == Completion.user_id).join(Course, Course.id == Completion.course_id)
            .where(Completion.code == code)).first()
        found = row
    return render_template("training/verify.html", code=code, found=found)
