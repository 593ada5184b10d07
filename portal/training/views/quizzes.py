"""Quizzes and attempts: set up, start (or resume), save as you go, submit once, review, grade essays."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from ...authz import ADMIN, DIRECTOR, REP, SALES, policy
from ...core.db import db, utcnow
from ...core.errors import ServiceError
from .. import bp, grading, services
from ..forms import GRADING_LABELS, QTYPE_LABELS, QuizForm
from ..models import Attempt, AttemptAnswer, QuestionCategory, QuestionVersion, Quiz, QuizQuestion
from .common import attempt_or_404, editable_course_or_404, is_htmx, quiz_or_404, to_local_naive, to_utc

BUILDERS = DIRECTOR | ADMIN


def _quiz_form(course, quiz: Quiz | None) -> QuizForm:
    form = QuizForm(obj=quiz)
    questions = services.bank_questions(course)
    form.question_ids.choices = [(q.id, f"#{q.id} [{QTYPE_LABELS[q.qtype]}] {q.title or q.text[:60]}")
                                 for q in questions]
    cats = db.session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == course.id)
                              .order_by(QuestionCategory.name))
    form.random_category_id.choices = [(0, "—")] + [(c.id, c.name) for c in cats]
    if request.method == "GET" and quiz is not None:
        form.question_ids.data = list(db.session.scalars(select(QuizQuestion.question_id).where(
            QuizQuestion.quiz_id == quiz.id).order_by(QuizQuestion.position)))
        form.random_category_id.data = quiz.random_category_id or 0
        form.open_at.data, form.close_at.data = to_local_naive(quiz.open_at), to_local_naive(quiz.close_at)
    return form


@bp.route("/courses/<int:course_id>/quizzes/new", methods=["GET", "POST"])
@policy(BUILDERS)
def quiz_new(course_id: int):
    return _edit_quiz(editable_course_or_404(course_id), None)


@bp.route("/quizzes/<int:quiz_id>/edit", methods=["GET", "POST"])
@policy(BUILDERS)
def quiz_edit(quiz_id: int):
    quiz = quiz_or_404(quiz_id)
    return _edit_quiz(editable_course_or_404(quiz.course_id), quiz)


def _edit_quiz(course, quiz: Quiz | None):
    form = _quiz_form(course, quiz)
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():
                quiz = services.save_quiz(
                    current_user, course, quiz, title=form.title.data.strip(), intro=form.intro.data or None,
                    mode=form.mode.data, random_category_id=form.random_category_id.data or None,
                    random_count=form.random_count.data or 0, shuffle_questions=form.shuffle_questions.data,
                    shuffle_answers=form.shuffle_answers.data, per_page=form.per_page.data,
                    time_limit_minutes=form.time_limit_minutes.data or None, open_at=to_utc(form.open_at.data),
                    close_at=to_utc(form.close_at.data), max_attempts=form.max_attempts.data or None,
                    wait_minutes=form.wait_minutes.data or 0, pass_mark=form.pass_mark.data,
                    grading_method=form.grading_method.data, review_answers=form.review_answers.data,
                    review_correct=form.review_correct.data, review_feedback=form.review_feedback.data,
                    review_score=form.review_score.data,
                    question_ids=form.question_ids.data if form.mode.data == "fixed" else None)
        except ServiceError as err:
            err.attach(form)
            if quiz is not None and quiz.id is None:
                quiz = None
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("training.quiz", quiz_id=quiz.id))
    return render_template("training/quiz_form.html", form=form, course=course, quiz=quiz)


@bp.route("/quizzes/<int:quiz_id>/delete", methods=["POST"])
@policy(BUILDERS)
def quiz_delete(quiz_id: int):
    quiz = quiz_or_404(quiz_id)
    course_id = quiz.course_id
    try:
        services.delete_quiz(current_user, quiz)
    except ServiceError as err:
        flash(err.message, "warning")
        return redirect(url_for("training.quiz", quiz_id=quiz.id))
    flash(_("Quiz deleted."), "success")
    return redirect(url_for("training.course", course_id=course_id))


@bp.route("/quizzes/<int:quiz_id>")
@policy(SALES | ADMIN)
def quiz(quiz_id: int):
    """A quiz's rules and, for a rep, their attempts and the start (or resume) button."""
    quiz = quiz_or_404(quiz_id)
    ctx = {"quiz": quiz, "course": quiz.course, "methods": GRADING_LABELS,
           "question_count": services.quiz_question_count(quiz),
           "can_edit": services.can_edit_course(current_user, quiz.course)}
    if current_user.role == "rep":
        running = services.in_progress_attempt(current_user, quiz)
        if running is not None and services.close_if_expired(running):
            running = None
        attempts = list(db.session.scalars(select(Attempt).where(
            Attempt.quiz_id == quiz.id, Attempt.user_id == current_user.id).order_by(Attempt.number)))
        ctx.update(running=running, attempts=attempts,
                   why_not=None if running else services.can_start(current_user, quiz),
                   grade=services.quiz_grade_for(current_user.id, quiz),
                   missing=services.missing_prerequisites(current_user, quiz.course))
    else:
        ctx.update(running=None, attempts=[], why_not=None, grade=None, missing=[])
    return render_template("training/quiz.html", **ctx)


@bp.route("/quizzes/<int:quiz_id>/start", methods=["POST"])
@policy(REP)
def quiz_start(quiz_id: int):
    quiz = quiz_or_404(quiz_id)
    try:
        attempt = services.start_attempt(current_user, quiz)
    except ServiceError as err:
        flash(err.message, "warning")
        return redirect(url_for("training.quiz", quiz_id=quiz.id))
    return redirect(url_for("training.attempt", attempt_id=attempt.id))


def _page_slots(attempt: Attempt, page: int) -> tuple[list[int], int]:
    per = max(1, attempt.quiz.per_page)
    total = len(attempt.layout)
    pages = max(1, -(-total // per))
    page = min(max(page, 0), pages - 1)
    return list(range(page * per, min(total, (page + 1) * per))), pages


@bp.route("/attempts/<int:attempt_id>")
@policy(SALES)
def attempt(attempt_id: int):
    """The running attempt (its owner) or its review (the owner when allowed, their managers)."""
    attempt = attempt_or_404(attempt_id)
    if attempt.state == "in_progress" and services.close_if_expired(attempt):
        flash(_("Time is up: the attempt was submitted with the answers saved in time."), "info")
    if attempt.state != "in_progress" or attempt.user_id != current_user.id:
        return _review(attempt)
    page = request.args.get("page", type=int)
    if page is None:  # coming back (reload, new tab, reconnect): open where the first unanswered question is
        first_open = db.session.scalar(select(func.min(AttemptAnswer.slot)).where(
            AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.saved_at.is_(None)))
        page = (first_open or 0) // max(1, attempt.quiz.per_page)
    slots, pages = _page_slots(attempt, page)
    page = slots[0] // max(1, attempt.quiz.per_page) if slots else 0
    layout = attempt.layout
    answers = {a.slot: a for a in db.session.scalars(select(AttemptAnswer).where(
        AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.slot.in_(slots or [-1])))}
    items = [{"slot": s, "layout": layout[s], "question": answers[s].version, "response": answers[s].response or {}}
             for s in slots if s in answers]
    seconds_left = int((attempt.deadline - utcnow()).total_seconds()) if attempt.deadline else None
    return render_template("training/attempt.html", attempt=attempt, quiz=attempt.quiz, items=items, page=page,
                           pages=pages, seconds_left=seconds_left)


def _responses(attempt: Attempt, slots: list[int]) -> dict[int, dict]:
    versions = {slot: QuestionVersion.from_json(qid, snap) for slot, qid, snap in db.session.execute(
        select(AttemptAnswer.slot, AttemptAnswer.question_id, AttemptAnswer.snapshot).where(
            AttemptAnswer.attempt_id == attempt.id, AttemptAnswer.slot.in_(slots or [-1])))}
    out = {}
    form = request.form
    for s in slots:
        question = versions.get(s)
        qtype = question.qtype if question else None
        key = f"r{s}"
        if qtype == "single":
            out[s] = {"choice": form.get(key, type=int)}
        elif qtype == "multi":
            out[s] = {"choices": sorted({int(v) for v in form.getlist(key) if v.isdigit()})}
        elif qtype == "truefalse":
            value = form.get(key)
            out[s] = {"value": value if value in ("true", "false") else None}
        elif qtype == "matching":
            n = len(question.data.get("pairs", []))
            out[s] = {"pairs": {str(i): form.get(f"{key}_{i}", "")[:500] for i in range(n) if form.get(f"{key}_{i}")}}
        elif qtype is not None:
            out[s] = {"text": (form.get(key) or "")[:20000]}
    return out


@bp.route("/attempts/<int:attempt_id>/save", methods=["POST"])
@policy(REP)
def attempt_save(attempt_id: int):
    """Save the answers of one page (htmx on every change; the page buttons post here too)."""
    attempt = attempt_or_404(attempt_id)
    if attempt.user_id != current_user.id:
        abort(404)
    page = request.form.get("page", 0, type=int)
    slots, pages = _page_slots(attempt, page)
    try:
        services.save_answers(current_user, attempt, _responses(attempt, slots))
    except ServiceError as err:
        if is_htmx():
            resp = make_response(render_template("training/_save_status.html", error=err.message, saved_at=None))
            resp.headers["HX-Redirect"] = url_for("training.attempt", attempt_id=attempt.id)
            return resp
        flash(err.message, "warning")
        return redirect(url_for("training.attempt", attempt_id=attempt.id))
    if is_htmx():
        return render_template("training/_save_status.html", error=None, saved_at=utcnow())
    if request.form.get("finish"):
        return _submit(attempt)
    goto = request.form.get("goto", type=int)
    return redirect(url_for("training.attempt", attempt_id=attempt.id, page=goto if goto is not None else page))


def _submit(attempt: Attempt):
    if services.finish_attempt(attempt):
        flash(_("Attempt submitted."), "success")
    return redirect(url_for("training.attempt", attempt_id=attempt.id))


@bp.route("/attempts/<int:attempt_id>/submit", methods=["POST"])
@policy(REP)
def attempt_submit(attempt_id: int):
    """Submit without changing answers (the timer's auto-submit); a second submit changes nothing."""
    attempt = attempt_or_404(attempt_id)
    if attempt.user_id != current_user.id:
        abort(404)
    if attempt.state == "in_progress" and services.close_if_expired(attempt):
        return redirect(url_for("training.attempt", attempt_id=attempt.id))
    return _submit(attempt)


def _review(attempt: Attempt):
    quiz = attempt.quiz
    manager = attempt.user_id != current_user.id
    show = {"answers": manager or quiz.review_answers, "correct": manager or quiz.review_correct,
            "feedback": manager or quiz.review_feedback, "score": manager or quiz.review_score}
    if attempt.state == "in_progress":  # a manager looking at a running attempt sees only its progress
        show = {"answers": False, "correct": False, "feedback": False, "score": False}
    rows = list(db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
                                   .order_by(AttemptAnswer.slot)))
    items = []
    for r in rows:
        q = r.version
        items.append({"row": r, "question": q, "layout": attempt.layout[r.slot] if r.slot < len(attempt.layout) else {},
                      "response": r.response or {},
                      "feedback": grading.answer_feedback(q.qtype, q.data, r.response, q.case_sensitive),
                      "correct": grading.correct_summary(q.qtype, q.data)})
    return render_template("training/review.html", attempt=attempt, quiz=quiz, items=items, show=show,
                           manager=manager, qtypes=QTYPE_LABELS)


@bp.route("/attempts/<int:attempt_id>/grade", methods=["GET", "POST"])
@policy(DIRECTOR)
def attempt_grade(attempt_id: int):
    """The director marks the essays of a submitted attempt."""
    attempt = attempt_or_404(attempt_id)
    if request.method == "POST":
        marks = {}
        try:
            for key, value in request.form.items():
                if key.startswith("mark_") and value.strip():
                    slot = int(key[5:])
                    marks[slot] = (Decimal(value.strip()), request.form.get(f"comment_{slot}", "")[:5000])
            services.grade_essays(current_user, attempt, marks)
        except (InvalidOperation, ValueError):
            flash(_("A mark must be a number."), "danger")
        except ServiceError as err:
            flash(err.message, "danger")
        else:
            flash(_("Marks saved."), "success")
            return redirect(url_for("training.attempt", attempt_id=attempt.id))
    rows = list(db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
                                   .order_by(AttemptAnswer.slot)))
    essays = [(r, r.version) for r in rows if r.version.qtype == "essay"]
    return render_template("training/grade.html", attempt=attempt, essays=essays)
