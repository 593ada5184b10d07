"""Training rules: who sees and edits a course, how attempts start, save, end and are graded.

Visibility (one set of predicates, used by views and templates alike):
- the GM and the administrator see every course; the administrator and directors build them;
- a director sees company-wide courses (``team_id`` empty) and those of the teams they manage, and
  edits the courses they own or that belong to their team (a company-wide course made by someone else
  is read-only to them, but they may assign it);
- a rep sees a published course assigned to them (directly or through their team) or open to all
  (company-wide or of their team). Lessons, files and quizzes follow their course.
"""
from __future__ import annotations

import random
import secrets
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import Forbidden

from ..audit.services import record
from ..authz import managed_team_ids
from ..core.db import db, utcnow
from ..core.errors import ServiceError
from ..core.memo import request_memo
from ..core.periods import local_today
from ..people.models import User
from . import gift, grading
from .models import (
    Assignment,
    Attempt,
    AttemptAnswer,
    Completion,
    Course,
    CoursePrerequisite,
    CourseTag,
    Lesson,
    LessonProgress,
    Question,
    QuestionCategory,
    QuestionVersion,
    Quiz,
    QuizQuestion,
    TrainingFile,
)

CENT = Decimal("0.01")


# Who sees what ----------------------------------------------------------------------------------

def assigned_course_ids(user) -> set[int]:
    """Courses assigned to a rep directly or through their current team (read at request time)."""
    # Remembered for one request only (outside a request, e.g. in the CLI, always asked afresh).
    memo = request_memo().setdefault("training_assigned", {}) if has_request_context() else {}
    if user.id not in memo:
        conds = [Assignment.user_id == user.id]
        if user.team_id:
            conds.append((Assignment.team_id == user.team_id) & Assignment.user_id.is_(None))
        memo[user.id] = set(db.session.scalars(select(Assignment.course_id).where(or_(*conds))))
    return set(memo[user.id])


def visible_courses(user):
    """A select of the courses ``user`` may open."""
    stmt = select(Course)
    if user.role in ("gm", "admin"):
        return stmt
    if user.role == "director":
        teams = managed_team_ids(user) or set()
        return stmt.where(or_(Course.team_id.is_(None), Course.team_id.in_(teams or {-1}),
                              Course.owner_id == user.id))
    if user.role == "rep":
        open_here = Course.open_to_all.is_(True) & or_(Course.team_id.is_(None), Course.team_id == user.team_id)
        return stmt.where(Course.published.is_(True),
                          or_(Course.id.in_(assigned_course_ids(user) or {-1}), open_here))
    return stmt.where(Course.id == -1)


def can_see_course(user, course: Course) -> bool:
    if not user.is_authenticated:
        return False
    if user.role in ("gm", "admin"):
        return True
    if user.role == "director":
        return course.team_id is None or course.owner_id == user.id or course.team_id in (managed_team_ids(user) or ())
    if user.role == "rep":
        if not course.published:
            return False
        if course.id in assigned_course_ids(user):
            return True
        return bool(course.open_to_all and course.team_id in (None, user.team_id))
    return False


def can_edit_course(user, course: Course) -> bool:
    if user.role == "admin":
        return True
    if user.role == "director":
        return course.owner_id == user.id or (course.team_id is not None
                                               and course.team_id in (managed_team_ids(user) or ()))
    return False


def can_see_person_training(viewer, person: User) -> bool:
    if viewer.id == person.id:
        return True
    if viewer.role in ("gm", "admin"):
        return True
    return viewer.role == "director" and person.team_id in (managed_team_ids(viewer) or ())


def can_see_attempt(user, attempt: Attempt) -> bool:
    if attempt.user_id == user.id:
        return True
    if user.role == "gm":
        return True
    return user.role == "director" and attempt.team_id in (managed_team_ids(user) or ())


def editable_teams(user) -> list:
    """The teams ``user`` may assign to or set on a course, as (id, name) rows."""
    from ..people.models import Team

    stmt = select(Team.id, Team.name).order_by(Team.name)
    teams = managed_team_ids(user)
    if teams is not None:
        stmt = stmt.where(Team.id.in_(teams or {-1}))
    return db.session.execute(stmt).all()


# Courses and lessons ----------------------------------------------------------------------------

def _clean_tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.replace("，", ",").split(",")
    out = []
    for tag in tags or []:
        tag = " ".join(tag.split())[:60]
        if tag and tag.lower() not in {t.lower() for t in out}:
            out.append(tag)
    return out


def save_course(actor, course: Course | None, *, title: str, summary: str | None, category: str | None,
                team_id: int | None, published: bool, open_to_all: bool, tags, prerequisite_ids=()) -> Course:
    if actor.role not in ("director", "admin"):
        raise Forbidden()
    if course is not None and not can_edit_course(actor, course):
        raise Forbidden()
    team_id = team_id or None
    if actor.role == "director" and team_id is not None and team_id not in (managed_team_ids(actor) or ()):
        raise ServiceError(_("Choose one of your own teams, or the whole company."), "team_id")
    if course is None:
        course = Course(owner_id=actor.id)
        db.session.add(course)
    course.title, course.summary = title.strip(), (summary or "").strip() or None
    course.category = (category or "").strip() or None
    course.team_id, course.published, course.open_to_all = team_id, bool(published), bool(open_to_all)
    db.session.flush()
    wanted = _clean_tags(tags)
    course.tags = [t for t in course.tags if t.tag in wanted]
    have = {t.tag for t in course.tags}
    course.tags.extend(CourseTag(course_id=course.id, tag=t) for t in wanted if t not in have)
    set_prerequisites(actor, course, prerequisite_ids)
    db.session.flush()
    return course


def set_prerequisites(actor, course: Course, required_ids) -> None:
    required_ids = {int(i) for i in required_ids or () if int(i) != course.id}
    visible = set(db.session.scalars(visible_courses(actor).with_only_columns(Course.id)
                                     .where(Course.id.in_(required_ids or {-1}))))
    # A cycle (A needs B needs A) would lock both: refuse any course that already needs this one.
    for rid in visible:
        if course.id in prerequisite_closure(rid):
            raise ServiceError(_("These courses would require each other."), "prerequisites")
    current = {p.required_id: p for p in db.session.scalars(
        select(CoursePrerequisite).where(CoursePrerequisite.course_id == course.id))}
    for rid, row in current.items():
        if rid not in visible:
            db.session.delete(row)
    for rid in visible - set(current):
        db.session.add(CoursePrerequisite(course_id=course.id, required_id=rid))
    db.session.flush()


def prerequisite_closure(course_id: int) -> set[int]:
    seen, todo = set(), [course_id]
    while todo:
        ids = set(db.session.scalars(select(CoursePrerequisite.required_id)
                                     .where(CoursePrerequisite.course_id.in_(todo)))) - seen
        seen |= ids
        todo = list(ids)
    return seen


def missing_prerequisites(user, course: Course) -> list[Course]:
    required = list(db.session.scalars(
        select(Course).join(CoursePrerequisite, CoursePrerequisite.required_id == Course.id)
        .where(CoursePrerequisite.course_id == course.id)))
    if not required:
        return []
    done = set(db.session.scalars(select(Completion.course_id).where(
        Completion.user_id == user.id, Completion.course_id.in_([c.id for c in required]))))
    return [c for c in required if c.id not in done]


def save_lesson(actor, course: Course, lesson: Lesson | None, *, title: str, body: str | None,
                minutes: int, position: int | None = None) -> Lesson:
    if not can_edit_course(actor, course):
        raise Forbidden()
    if lesson is None:
        last = db.session.scalar(select(func.max(Lesson.position)).where(Lesson.course_id == course.id)) or 0
        lesson = Lesson(course_id=course.id, position=last + 1)
        db.session.add(lesson)
    lesson.title, lesson.body, lesson.minutes = title.strip(), body or None, max(1, int(minutes or 1))
    if position:
        lesson.position = position
    db.session.flush()
    return lesson


def move_lesson(actor, lesson: Lesson, direction: int) -> None:
    course = lesson.course
    if not can_edit_course(actor, course):
        raise Forbidden()
    lessons = list(course.lessons)
    i = lessons.index(lesson)
    j = i + direction
    if 0 <= j < len(lessons):
        lessons[i], lessons[j] = lessons[j], lessons[i]
        for n, item in enumerate(lessons, start=1):
            item.position = n
    db.session.flush()


def add_file(actor, course: Course, lesson: Lesson | None, stored) -> TrainingFile:
    if not can_edit_course(actor, course):
        raise Forbidden()
    f = TrainingFile(course_id=course.id, lesson_id=lesson.id if lesson else None, key=stored.key,
                     name=stored.original_name, content_type=stored.content_type, size=stored.size,
                     uploaded_by_id=actor.id)
    db.session.add(f)
    db.session.flush()
    return f


def mark_lesson_done(user, lesson: Lesson) -> bool:
    if user.role != "rep" or not can_see_course(user, lesson.course):
        raise Forbidden()
    if missing_prerequisites(user, lesson.course):
        raise ServiceError(_("Complete the required courses first."))
    exists = db.session.scalar(select(LessonProgress.id).where(
        LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id))
    if exists:
        return False
    db.session.add(LessonProgress(user_id=user.id, lesson_id=lesson.id, course_id=lesson.course_id))
    db.session.flush()
    check_completion(user, lesson.course)
    return True


# Question bank ------------------------------------------------------------------------------------

def category_named(course: Course, name: str | None) -> QuestionCategory | None:
    name = (name or "").strip()[:200]
    if not name:
        return None
    cat = db.session.scalar(select(QuestionCategory).where(QuestionCategory.course_id == course.id,
                                                           QuestionCategory.name == name))
    if cat is None:
        cat = QuestionCategory(course_id=course.id, name=name)
        db.session.add(cat)
        db.session.flush()
    return cat


def question_from_gift(course: Course, parsed: dict, question: Question | None = None) -> Question:
    data = {k: v for k, v in parsed.items()
            if k in ("answers", "pairs", "correct", "feedback_right", "feedback_wrong")}
    if question is None:
        question = Question(course_id=course.id)
        db.session.add(question)
    question.qtype, question.title = parsed["qtype"], (parsed.get("title") or "")[:200]
    question.text, question.general_feedback = parsed["text"], parsed.get("general_feedback") or None
    question.data = data
    question.category = category_named(course, parsed.get("category"))
    return question


def question_as_gift(question: Question) -> dict:
    q = {"qtype": question.qtype, "title": question.title or "", "text": question.text,
         "category": question.category.name if question.category else None,
         "general_feedback": question.general_feedback or ""}
    q.update(question.data or {})
    return q


def import_gift(actor, course: Course, source: str) -> tuple[list[Question], list[gift.GiftError]]:
    """Import every readable question of a GIFT text; the unreadable are returned, not imported."""
    if not can_edit_course(actor, course):
        raise Forbidden()
    result = gift.parse(source)
    made = [question_from_gift(course, q) for q in result.questions]
    db.session.flush()
    if made:
        record("gift_import", obj=course, summary=f"{len(made)} questions")
    return made, result.errors


def save_question(actor, course: Course, question: Question | None, *, source: str, category: str | None,
                  mark, case_sensitive: bool) -> Question:
    """Create or change one question written in GIFT (the form previews it first)."""
    if not can_edit_course(actor, course):
        raise Forbidden()
    try:
        parsed = gift.parse_question(source)
    except gift.GiftError as err:
        raise ServiceError(_("This question cannot be read: %(why)s", why=err.message), "source") from err
    parsed["category"] = category
    question = question_from_gift(course, parsed, question)
    question.mark = max(Decimal("0.01"), Decimal(mark or 1).quantize(CENT))
    question.case_sensitive = bool(case_sensitive)
    db.session.flush()
    return question


def delete_question(actor, question: Question) -> None:
    """Delete a question no rep has answered yet (answered ones stay, so past attempts keep their record)."""
    course = db.session.get(Course, question.course_id)
    if not can_edit_course(actor, course):
        raise Forbidden()
    if db.session.scalar(select(AttemptAnswer.id).where(AttemptAnswer.question_id == question.id).limit(1)):
        raise ServiceError(_("Reps have answered this question: it stays, so their attempts keep their record."))
    db.session.delete(question)
    db.session.flush()


def delete_quiz(actor, quiz: Quiz) -> None:
    if not can_edit_course(actor, quiz.course):
        raise Forbidden()
    if db.session.scalar(select(Attempt.id).where(Attempt.quiz_id == quiz.id).limit(1)):
        raise ServiceError(_("Reps have taken this quiz: it cannot be deleted."))
    db.session.delete(quiz)
    db.session.flush()


def delete_course(actor, course: Course) -> None:
    if not can_edit_course(actor, course):
        raise Forbidden()
    taken = db.session.scalar(select(Attempt.id).join(Quiz, Quiz.id == Attempt.quiz_id)
                              .where(Quiz.course_id == course.id).limit(1))
    done = db.session.scalar(select(Completion.id).where(Completion.course_id == course.id).limit(1))
    if taken or done:
        raise ServiceError(_("Reps have already worked on this course: unpublish it instead."))
    db.session.execute(Assignment.__table__.delete().where(Assignment.course_id == course.id))
    db.session.execute(LessonProgress.__table__.delete().where(LessonProgress.course_id == course.id))
    for f in db.session.scalars(select(TrainingFile).where(TrainingFile.course_id == course.id)):
        db.session.delete(f)
    db.session.delete(course)
    db.session.flush()


def bank_questions(course: Course) -> list[Question]:
    return list(db.session.scalars(select(Question).where(Question.course_id == course.id)
                                   .order_by(Question.category_id, Question.id)))


# Quizzes ------------------------------------------------------------------------------------------

def save_quiz(actor, course: Course, quiz: Quiz | None, **fields) -> Quiz:
    if not can_edit_course(actor, course):
        raise Forbidden()
    question_ids = fields.pop("question_ids", None)
    if quiz is None:
        quiz = Quiz(course_id=course.id)
        db.session.add(quiz)
    for name, value in fields.items():
        setattr(quiz, name, value)
    if quiz.open_at and quiz.close_at and quiz.close_at <= quiz.open_at:
        raise ServiceError(_("The quiz must close after it opens."), "close_at")
    if quiz.mode == "random":
        if not quiz.random_category_id or quiz.random_count < 1:
            raise ServiceError(_("Choose a category and how many questions to draw."), "random_count")
        available = db.session.scalar(select(func.count(Question.id)).where(
            Question.category_id == quiz.random_category_id, Question.course_id == course.id))
        if available < quiz.random_count:
            raise ServiceError(_("The category holds only %(n)s questions.", n=available), "random_count")
    db.session.flush()
    if question_ids is not None:
        ids = [int(i) for i in question_ids]
        valid = set(db.session.scalars(select(Question.id).where(Question.course_id == course.id,
                                                                 Question.id.in_(ids or [-1]))))
        db.session.execute(QuizQuestion.__table__.delete().where(QuizQuestion.quiz_id == quiz.id))
        for pos, qid in enumerate([i for i in ids if i in valid], start=1):
            db.session.add(QuizQuestion(quiz_id=quiz.id, question_id=qid, position=pos))
        db.session.flush()
    if quiz.mode == "fixed" and not db.session.scalar(select(func.count()).select_from(QuizQuestion)
                                                      .where(QuizQuestion.quiz_id == quiz.id)):
        raise ServiceError(_("Choose at least one question."), "question_ids")
    return quiz


def quiz_question_count(quiz: Quiz) -> int:
    if quiz.mode == "random":
        return quiz.random_count
    return db.session.scalar(select(func.count()).select_from(QuizQuestion).where(QuizQuestion.quiz_id == quiz.id))


# Attempts -----------------------------------------------------------------------------------------

def attempt_deadline(quiz: Quiz, started: datetime) -> datetime | None:
    ends = []
    if quiz.time_limit_minutes:
        ends.append(started + timedelta(minutes=quiz.time_limit_minutes))
    if quiz.close_at:
        ends.append(quiz.close_at)
    return min(ends) if ends else None


def _draw(quiz: Quiz, user, number: int) -> list[int]:
    """The question ids of a new attempt: fixed, or a random draw that avoids earlier questions."""
    if quiz.mode == "random":
        pool = list(db.session.scalars(select(Question.id).where(
            Question.category_id == quiz.random_category_id, Question.course_id == quiz.course_id)
            .order_by(Question.id)))
        seen = set(db.session.scalars(
            select(AttemptAnswer.question_id).join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
            .where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)))
        rng = random.Random(f"{quiz.id}:{user.id}:{number}")
        fresh = [q for q in pool if q not in seen]
        old = [q for q in pool if q in seen]
        rng.shuffle(fresh)
        rng.shuffle(old)
        chosen = (fresh + old)[:quiz.random_count]
        rng.shuffle(chosen)
        return chosen
    ids = list(db.session.scalars(select(QuizQuestion.question_id).where(QuizQuestion.quiz_id == quiz.id)
                                  .order_by(QuizQuestion.position)))
    if quiz.shuffle_questions:
        random.Random(f"{quiz.id}:{user.id}:{number}:order").shuffle(ids)
    return ids


def _layout(quiz: Quiz, questions: dict[int, Question], ids: list[int], seed: str) -> list[dict]:
    rng = random.Random(seed)
    slots = []
    for qid in ids:
        q = questions[qid]
        slot = {"q": qid}
        if q.qtype in ("single", "multi"):
            order = list(range(len(q.data.get("answers", []))))
            if quiz.shuffle_answers:
                rng.shuffle(order)
            slot["order"] = order
        elif q.qtype == "matching":
            choices = sorted({p["a"] for p in q.data.get("pairs", [])})
            rng.shuffle(choices)
            slot["choices"] = choices
        slots.append(slot)
    return slots


def can_start(user, quiz: Quiz, now: datetime | None = None) -> str | None:
    """Why a rep may not start a new attempt now, or None when they may."""
    now = now or utcnow()
    if quiz.open_at and now < quiz.open_at:
        return _("This quiz opens at %(at)s.", at=_fmt(quiz.open_at))
    if quiz.close_at and now >= quiz.close_at:
        return _("This quiz is closed.")
    rows = db.session.execute(select(Attempt.number, Attempt.finished_at).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user.id).order_by(Attempt.number)).all()
    if quiz.max_attempts and len(rows) >= quiz.max_attempts:
        return _("You have used all %(n)s attempts.", n=quiz.max_attempts)
    if rows and quiz.wait_minutes and rows[-1].finished_at:
        ready = rows[-1].finished_at + timedelta(minutes=quiz.wait_minutes)
        if now < ready:
            return _("You may try again at %(at)s.", at=_fmt(ready))
    return None


def _fmt(moment: datetime) -> str:
    from ..i18n import fmt_datetime

    return fmt_datetime(moment)


def in_progress_attempt(user, quiz: Quiz) -> Attempt | None:
    return db.session.scalar(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user.id,
                                                   Attempt.state == "in_progress"))


def start_attempt(user, quiz: Quiz, now: datetime | None = None) -> Attempt:
    """Start (or resume: a second tab or a reload gets the running attempt, with its own clock)."""
    now = now or utcnow()
    if user.role != "rep" or not can_see_course(user, quiz.course):
        raise Forbidden()
    running = in_progress_attempt(user, quiz)
    if running is not None:
        if close_if_expired(running, now):
            running = None
        else:
            return running
    if missing_prerequisites(user, quiz.course):
        raise ServiceError(_("Complete the required courses first."))
    why = can_start(user, quiz, now)
    if why:
        raise ServiceError(why)
    number = (db.session.scalar(select(func.max(Attempt.number)).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user.id)) or 0) + 1
    ids = _draw(quiz, user, number)
    if not ids:
        raise ServiceError(_("This quiz has no questions yet."))
    questions = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
    attempt = Attempt(quiz_id=quiz.id, user_id=user.id, team_id=user.team_id, number=number, started_at=now,
                      deadline=attempt_deadline(quiz, now), state="in_progress",
                      layout=_layout(quiz, questions, ids, f"{quiz.id}:{user.id}:{number}:answers"))
    attempt.max_marks = sum((questions[i].mark for i in ids), Decimal("0.00"))
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
    except IntegrityError:
        # Another tab started the same attempt number a moment ago: resume that one.
        running = in_progress_attempt(user, quiz)
        if running is None:
            raise ServiceError(_("Please try again.")) from None
        return running
    db.session.add_all(AttemptAnswer(attempt_id=attempt.id, slot=n, question_id=qid, max_mark=questions[qid].mark,
                                     snapshot=QuestionVersion.of(questions[qid]).as_json())
                       for n, qid in enumerate(ids))
    db.session.flush()
    return attempt


def is_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    return attempt.deadline is not None and (now or utcnow()) > attempt.deadline


def close_if_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """An attempt past its deadline is finished and graded on what was saved in time."""
    if attempt.state == "in_progress" and is_expired(attempt, now):
        finish_attempt(attempt, now=now, expired=True)
        return True
    return False


def save_answers(user, attempt: Attempt, responses: dict[int, dict], now: datetime | None = None) -> int:
    """Store the responses (slot -> response) given on one page; refused after the deadline."""
    now = now or utcnow()
    if attempt.user_id != user.id:
        raise Forbidden()
    if attempt.state != "in_progress":
        raise ServiceError(_("This attempt is already submitted."))
    if is_expired(attempt, now):
        close_if_expired(attempt, now)
        raise ServiceError(_("Time is up: the attempt was submitted with the answers saved in time."))
    if not responses:
        return 0
    rows = db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id,
                                                          AttemptAnswer.slot.in_(list(responses))))
    n = 0
    for row in rows:
        row.response, row.saved_at = responses[row.slot], now
        n += 1
    db.session.flush()
    return n


def finish_attempt(attempt: Attempt, now: datetime | None = None, expired: bool = False) -> bool:
    """Submit once: only the request whose conditional UPDATE moves the attempt on grades it."""
    now = now or utcnow()
    finished_at = min(now, attempt.deadline) if (expired and attempt.deadline) else now
    moved = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.state == "in_progress")
        .values(state="needs_grading", finished_at=finished_at)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(attempt)
    if moved != 1:
        return False
    grade_attempt(attempt)
    return True


def grade_attempt(attempt: Attempt) -> None:
    rows = list(db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
                                   .order_by(AttemptAnswer.slot)))
    waiting = False
    for row in rows:
        q = row.version
        # An answer stored after the deadline does not count (the save refuses them; belt and braces).
        response = row.response if not (attempt.deadline and row.saved_at and row.saved_at > attempt.deadline) else None
        if q.qtype == "essay":
            if row.mark is None:
                waiting = waiting or grading.is_answered("essay", response)
                if not grading.is_answered("essay", response):
                    row.mark = Decimal("0.00")
            continue
        row.mark = grading.mark_for(grading.grade(q.qtype, q.data, response, q.case_sensitive), row.max_mark)
    db.session.flush()
    _total(attempt, rows, waiting)


def _total(attempt: Attempt, rows: list[AttemptAnswer], waiting: bool) -> None:
    total = sum((r.mark for r in rows if r.mark is not None), Decimal("0.00"))
    attempt.marks = total
    attempt.max_marks = sum((r.max_mark for r in rows), Decimal("0.00"))
    attempt.score = (total * 100 / attempt.max_marks).quantize(CENT, rounding=ROUND_HALF_UP) \
        if attempt.max_marks else Decimal("0.00")
    attempt.state = "needs_grading" if waiting else "finished"
    db.session.flush()
    if not waiting:
        check_completion(attempt.user, attempt.quiz.course)


def grade_essays(actor, attempt: Attempt, marks: dict[int, tuple[Decimal, str]]) -> None:
    """The director's marks for an attempt's essays (slot -> (mark, comment))."""
    if actor.role != "director" or not can_see_attempt(actor, attempt):
        raise Forbidden()
    if attempt.state == "in_progress":
        raise ServiceError(_("The rep has not submitted this attempt yet."))
    rows = list(db.session.scalars(select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt.id)
                                   .order_by(AttemptAnswer.slot)))
    for row in rows:
        if row.slot in marks:
            mark, comment = marks[row.slot]
            if mark < 0 or mark > row.max_mark:
                raise ServiceError(_("A mark must be between 0 and %(max)s.", max=row.max_mark))
            row.mark, row.comment = mark.quantize(CENT), comment or None
    waiting = any(r.mark is None and r.version.qtype == "essay" for r in rows)
    _total(attempt, rows, waiting)
    record("grade_essay", obj=attempt, summary=f"{attempt.score}")


def quiz_grade_for(user_id: int, quiz: Quiz) -> Decimal | None:
    scores = list(db.session.scalars(select(Attempt.score).where(
        Attempt.quiz_id == quiz.id, Attempt.user_id == user_id, Attempt.state == "finished")
        .order_by(Attempt.number)))
    return grading.quiz_grade(scores, quiz.grading_method)


# Completion ---------------------------------------------------------------------------------------

def new_code() -> str:
    raw = secrets.token_hex(6).upper()
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def course_progress(user_id: int, course: Course) -> dict:
    lessons = db.session.scalar(select(func.count(Lesson.id)).where(Lesson.course_id == course.id))
    done = db.session.scalar(select(func.count(LessonProgress.id)).where(
        LessonProgress.user_id == user_id, LessonProgress.course_id == course.id))
    quizzes = list(db.session.scalars(select(Quiz).where(Quiz.course_id == course.id)))
    grades = {q.id: quiz_grade_for(user_id, q) for q in quizzes}
    passed = [q for q in quizzes if grades[q.id] is not None and grades[q.id] >= q.pass_mark]
    return {"lessons": lessons, "done": done, "quizzes": quizzes, "grades": grades, "passed": passed,
            "complete": lessons + len(quizzes) > 0 and done >= lessons and len(passed) == len(quizzes)}


def check_completion(user, course: Course) -> Completion | None:
    existing = db.session.scalar(select(Completion).where(Completion.user_id == user.id,
                                                          Completion.course_id == course.id))
    if existing is not None:
        return existing
    progress = course_progress(user.id, course)
    if not progress["complete"]:
        return None
    grades = [g for g in progress["grades"].values() if g is not None]
    score = (sum(grades, Decimal("0.00")) / len(grades)).quantize(CENT, rounding=ROUND_HALF_UP) if grades else None
    completion = Completion(user_id=user.id, team_id=user.team_id, course_id=course.id, score=score,
                            code=new_code())
    db.session.add(completion)
    db.session.flush()
    return completion


# Assignments --------------------------------------------------------------------------------------

def assign(actor, course: Course, *, user_ids=(), team_id: int | None = None, due_on: date | None = None):
    """Assign a course to reps and/or a whole team; tells each rep it concerns."""
    from ..notifications.services import notify

    if actor.role != "director" or not can_see_course(actor, course):
        raise Forbidden()
    if not course.published:
        raise ServiceError(_("Publish the course before assigning it."))
    if due_on and due_on < local_today():
        raise ServiceError(_("The due date has passed."), "due_on")
    teams = managed_team_ids(actor) or set()
    made = []
    recipients = []
    if team_id:
        if team_id not in teams:
            raise ServiceError(_("Choose one of your own teams."), "team_id")
        made.append(Assignment(course_id=course.id, team_id=team_id, due_on=due_on, assigned_by_id=actor.id))
        recipients += list(db.session.scalars(select(User).where(User.team_id == team_id, User.role == "rep",
                                                                 User.active.is_(True))))
    reps = list(db.session.scalars(select(User).where(User.id.in_([int(i) for i in user_ids] or [-1]))))
    for rep in reps:
        if rep.role != "rep" or rep.team_id not in teams:
            raise ServiceError(_("You can only assign courses to reps of your own team."), "user_ids")
        made.append(Assignment(course_id=course.id, user_id=rep.id, team_id=rep.team_id, due_on=due_on,
                               assigned_by_id=actor.id))
        recipients.append(rep)
    if not made:
        raise ServiceError(_("Choose reps or a team."), "user_ids")
    db.session.add_all(made)
    db.session.flush()
    from flask import url_for

    title = course.title
    notify(recipients, "training_assigned",
           lambda: _l("New training assigned: %(course)s", course=title),
           link=url_for("training.course", course_id=course.id), actor=actor)
    return made


def remove_assignment(actor, assignment: Assignment) -> None:
    if actor.role != "director" or assignment.team_id not in (managed_team_ids(actor) or ()):
        raise Forbidden()
    db.session.delete(assignment)
    db.session.flush()
