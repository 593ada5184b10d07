"""Loading records the current user may see (a foreign id is a 404) and small view helpers."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, request
from flask_login import current_user

from ...core.db import db
from ...core.periods import company_tz
from .. import services
from ..models import Attempt, Course, Lesson, Question, Quiz, TrainingFile


def course_or_404(course_id: int) -> Course:
    course = db.session.get(Course, course_id)
    if course is None or not services.can_see_course(current_user, course):
        abort(404)
    return course


def editable_course_or_404(course_id: int) -> Course:
    course = course_or_404(course_id)
    if not services.can_edit_course(current_user, course):
        abort(403)
    return course


def lesson_or_404(lesson_id: int) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or not services.can_see_course(current_user, lesson.course):
        abort(404)
    return lesson


def quiz_or_404(quiz_id: int) -> Quiz:
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or not services.can_see_course(current_user, quiz.course):
        abort(404)
    return quiz


def question_or_404(question_id: int) -> Question:
    question = db.session.get(Question, question_id)
    if question is None:
        abort(404)
    editable_course_or_404(question.course_id)
    return question


def file_or_404(file_id: int) -> TrainingFile:
    f = db.session.get(TrainingFile, file_id)
    if f is None:
        abort(404)
    course_or_404(f.course_id)
    return f


def attempt_or_404(attempt_id: int) -> Attempt:
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or not services.can_see_attempt(current_user, attempt):
        abort(404)
    return attempt


def to_utc(value: datetime | None) -> datetime | None:
    """A local date-time typed in a form, as an aware UTC instant."""
    if value is None:
        return None
    return value.replace(tzinfo=company_tz()).astimezone(UTC)


def to_local_naive(value: datetime | None) -> datetime | None:
    return value.astimezone(company_tz()).replace(tzinfo=None) if value else None


def is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))
