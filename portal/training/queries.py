"""Read-side training queries, for this feature's pages and for others (appraisals, the archive).

Every function here runs a fixed number of aggregate queries whatever the number of rows.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload

from ..authz import managed_team_ids
from ..core.db import db
from ..core.periods import local_today
from ..people.models import User
from . import grading
from .models import (
    Assignment,
    Attempt,
    AttemptAnswer,
    Completion,
    Course,
    CourseTag,
    Lesson,
    LessonProgress,
    QuestionVersion,
    Quiz,
)

CENT = Decimal("0.01")
STATUSES = ("not_started", "in_progress", "passed", "overdue")


def courses_tagged(tags) -> list[Course]:
    """Published courses carrying any of the tags (case-insensitive), most matching tags first."""
    wanted = {t.strip().lower() for t in tags or () if t and t.strip()}
    if not wanted:
        return []
    hits = func.count(CourseTag.tag)
    rows = db.session.execute(
        select(Course, hits).join(CourseTag, CourseTag.course_id == Course.id)
        .where(func.lower(CourseTag.tag).in_(wanted), Course.published.is_(True))
        .group_by(Course.id).order_by(hits.desc(), Course.title)).all()
    return [course for course, _n in rows]


def training_summary(rep_ids, period) -> dict[int, dict]:
    """Per rep: courses completed in the period and the average of their best quiz scores in it."""
    rep_ids = list(rep_ids)
    out = {rid: {"completed": 0, "average_best": None, "quizzes": 0} for rid in rep_ids}
    if not rep_ids:
        return out
    start, end = period.bounds_utc()
    for user_id, n in db.session.execute(
            select(Completion.user_id, func.count(Completion.id))
            .where(Completion.user_id.in_(rep_ids), Completion.completed_at >= start, Completion.completed_at < end)
            .group_by(Completion.user_id)):
        out[user_id]["completed"] = n
    best = defaultdict(list)
    for user_id, _quiz_id, top in db.session.execute(
            select(Attempt.user_id, Attempt.quiz_id, func.max(Attempt.score))
            .where(Attempt.user_id.in_(rep_ids), Attempt.state == "finished",
                   Attempt.finished_at >= start, Attempt.finished_at < end)
            .group_by(Attempt.user_id, Attempt.quiz_id)):
        best[user_id].append(_money(top))
    for user_id, scores in best.items():
        out[user_id]["quizzes"] = len(scores)
        out[user_id]["average_best"] = (sum(scores, Decimal(0)) / len(scores)).quantize(CENT, rounding=ROUND_HALF_UP)
    return out


def _money(value) -> Decimal:
    """A MAX over a Money column comes back in its stored form on SQLite (cents): make it a Decimal."""
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    if db.engine.dialect.name == "sqlite":
        return (Decimal(int(value)) / 100).quantize(CENT)
    return Decimal(str(value)).quantize(CENT)


# Assignments as a rep sees them ------------------------------------------------------------------

@dataclass
class Cell:
    status: str
    due_on: date | None = None
    best: Decimal | None = None
    done: int = 0
    lessons: int = 0
    completion: Completion | None = None


def _effective_assignments(reps: list[User]) -> dict[tuple[int, int], date | None]:
    """(rep id, course id) -> the earliest due date among the rep's own and their team's assignments."""
    if not reps:
        return {}
    rep_ids = [r.id for r in reps]
    team_ids = {r.team_id for r in reps if r.team_id}
    rows = db.session.execute(select(Assignment.course_id, Assignment.user_id, Assignment.team_id, Assignment.due_on)
                              .where(or_(Assignment.user_id.in_(rep_ids),
                                         and_(Assignment.user_id.is_(None), Assignment.team_id.in_(team_ids or {-1})))))
    by_team = defaultdict(list)
    out: dict[tuple[int, int], date | None] = {}

    def put(key, due):
        if key not in out or (due is not None and (out[key] is None or due < out[key])):
            out[key] = due

    for course_id, user_id, team_id, due in rows:
        if user_id is not None:
            put((user_id, course_id), due)
        else:
            by_team[team_id].append((course_id, due))
    for rep in reps:
        for course_id, due in by_team.get(rep.team_id, ()):
            put((rep.id, course_id), due)
    return out


def cells_for(reps: list[User], course_ids: set[int] | None = None) -> tuple[dict, set[int]]:
    """Status of each (rep, course) that is assigned or begun: 6 queries whatever the size."""
    today = local_today()
    assigned = _effective_assignments(reps)
    rep_ids = [r.id for r in reps] or [-1]
    progress = {(u, c): n for u, c, n in db.session.execute(
        select(LessonProgress.user_id, LessonProgress.course_id, func.count(LessonProgress.id))
        .where(LessonProgress.user_id.in_(rep_ids)).group_by(LessonProgress.user_id, LessonProgress.course_id))}
    best = {(u, c): _money(s) if s is not None else None for u, c, s in db.session.execute(
        select(Attempt.user_id, Quiz.course_id, func.max(Attempt.score)).join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.user_id.in_(rep_ids)).group_by(Attempt.user_id, Quiz.course_id))}
    completions = {(c.user_id, c.course_id): c for c in db.session.scalars(
        select(Completion).where(Completion.user_id.in_(rep_ids)))}
    keys = set(assigned) | set(progress) | set(best) | set(completions)
    if course_ids is not None:
        keys = {k for k in keys if k[1] in course_ids}
    used_courses = {k[1] for k in keys}
    lesson_counts = dict(db.session.execute(
        select(Lesson.course_id, func.count(Lesson.id)).where(Lesson.course_id.in_(used_courses or {-1}))
        .group_by(Lesson.course_id)).all())
    cells = {}
    for key in keys:
        due = assigned.get(key)
        completion = completions.get(key)
        if completion is not None:
            status = "passed"
        elif due is not None and due < today:
            status = "overdue"
        elif key in progress or key in best:
            status = "in_progress"
        else:
            status = "not_started"
        cells[key] = Cell(status, due, best.get(key), progress.get(key, 0), lesson_counts.get(key[1], 0), completion)
    return cells, used_courses


def my_training(user) -> list[tuple[Course, Cell]]:
    """A rep's assigned and begun courses with progress, the soonest due first."""
    cells, course_ids = cells_for([user])
    courses = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(course_ids or {-1}),
                                                                        Course.published.is_(True)))}
    rows = [(courses[c], cells[(user.id, c)]) for c in course_ids if c in courses]
    order = {"overdue": 0, "in_progress": 1, "not_started": 2, "passed": 3}
    rows.sort(key=lambda r: (order[r[1].status], r[1].due_on or date.max, r[0].title))
    return rows


def reps_in_scope(viewer, team_id: int | None = None):
    """A select of the active reps a manager's reports cover."""
    stmt = select(User).where(User.role == "rep", User.active.is_(True))
    teams = managed_team_ids(viewer)
    if teams is not None:
        stmt = stmt.where(User.team_id.in_(teams or {-1}))
    if team_id:
        stmt = stmt.where(User.team_id == team_id)
    return stmt.order_by(User.team_id, User.display_name)


def overdue_for(viewer, limit: int = 10) -> list[tuple[User, Course, date]]:
    """Overdue assignments of the reps a manager covers (or of the rep themself)."""
    if viewer.role == "rep":
        reps = [viewer]
    else:
        reps = list(db.session.scalars(reps_in_scope(viewer)))
    # Overdue means what cells_for says: assigned, due before today, not completed. Only those
    # assignments are looked at, so no progress or attempt history is read for the whole company.
    today = local_today()
    due = {k: d for k, d in _effective_assignments(reps).items() if d is not None and d < today}
    done = set(db.session.execute(select(Completion.user_id, Completion.course_id).where(
        Completion.user_id.in_({u for u, _c in due} or {-1}), Completion.course_id.in_({c for _u, c in due} or {-1})))
        .all()) if due else set()
    late = [(k, d) for k, d in due.items() if k not in done]
    wanted = {k[1] for k, _ in late} or {-1}
    courses = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(wanted)))}
    people = {r.id: r for r in reps}
    out = [(people[k[0]], courses[k[1]], d) for k, d in late if k[1] in courses]
    out.sort(key=lambda r: (r[2], r[0].display_name))
    return out[:limit]


def waiting_for_marking(viewer, limit: int = 10) -> list[Attempt]:
    """Submitted attempts whose essays a director still has to mark (their teams only)."""
    teams = managed_team_ids(viewer)
    stmt = select(Attempt).options(joinedload(Attempt.user), joinedload(Attempt.quiz)) \
        .where(Attempt.state == "needs_grading")
    if teams is not None:
        stmt = stmt.where(Attempt.team_id.in_(teams or {-1}))
    return list(db.session.scalars(stmt.order_by(Attempt.finished_at).limit(limit)))


# Reports -----------------------------------------------------------------------------------------

def attempts_in_scope(viewer, quiz: Quiz):
    stmt = select(Attempt).where(Attempt.quiz_id == quiz.id)
    teams = managed_team_ids(viewer)
    if teams is not None:
        stmt = stmt.where(Attempt.team_id.in_(teams or {-1}))
    return stmt


def score_distribution(viewer, quiz: Quiz) -> list[int]:
    """How many finished attempts fall in each tenth of the score range (0-10 … 90-100)."""
    teams = managed_team_ids(viewer)
    stmt = select(Attempt.score).where(Attempt.quiz_id == quiz.id, Attempt.state == "finished")
    if teams is not None:
        stmt = stmt.where(Attempt.team_id.in_(teams or {-1}))
    bins = [0] * 10
    for score in db.session.scalars(stmt):
        bins[min(9, int(score // 10))] += 1
    return bins


def question_statistics(viewer, quiz: Quiz) -> list[dict]:
    """Per question: attempts, % fully right, the most chosen wrong answer, and the discrimination
    index (share right among the top 27% of attempts minus among the bottom 27%)."""
    teams = managed_team_ids(viewer)
    stmt = (select(AttemptAnswer.attempt_id, AttemptAnswer.question_id, AttemptAnswer.response,
                   AttemptAnswer.mark, AttemptAnswer.max_mark, Attempt.score, AttemptAnswer.snapshot)
            .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
            .where(Attempt.quiz_id == quiz.id, Attempt.state == "finished"))
    if teams is not None:
        stmt = stmt.where(Attempt.team_id.in_(teams or {-1}))
    by_question = defaultdict(list)
    questions = {}  # the newest version each question was drawn in
    for attempt_id, qid, response, mark, max_mark, score, snapshot in db.session.execute(
            stmt.order_by(Attempt.id)):
        frac = (mark / max_mark) if (mark is not None and max_mark) else Decimal(0)
        by_question[qid].append((score, attempt_id, frac, response))
        questions[qid] = snapshot
    questions = {qid: QuestionVersion.from_json(qid, snap) for qid, snap in questions.items()}
    out = []
    for qid, rows in by_question.items():
        q = questions[qid]
        n = len(rows)
        right = sum(1 for r in rows if r[2] >= 1)
        wrong = Counter(k for k in (grading.response_key(q.qtype, q.data, r[3], q.case_sensitive)
                                    for r in rows if r[2] < 1) if k)
        ranked = sorted(rows, key=lambda r: (r[0], r[1]))
        k = int((Decimal(n) * Decimal("0.27")).to_integral_value(rounding=ROUND_HALF_UP))
        disc = None
        if k >= 1 and n >= 2:
            low = sum((r[2] for r in ranked[:k]), Decimal(0)) / k
            high = sum((r[2] for r in ranked[-k:]), Decimal(0)) / k
            disc = (high - low).quantize(CENT, rounding=ROUND_HALF_UP)
        top_wrong = wrong.most_common(1)[0] if wrong else None
        out.append({"question": q, "n": n,
                    "percent_right": (Decimal(right) * 100 / n).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
                    "wrong": top_wrong, "discrimination": disc})
    out.sort(key=lambda r: r["question"].id)
    return out


def person_record(person) -> dict:
    """A rep's training record for their profile: courses with status and certificates."""
    rows = my_training(person)
    attempts = db.session.execute(
        select(Attempt, Quiz.title).join(Quiz, Quiz.id == Attempt.quiz_id)
        .where(Attempt.user_id == person.id, Attempt.state != "in_progress")
        .order_by(Attempt.finished_at.desc()).limit(10)).all()
    return {"rows": rows, "attempts": attempts}
