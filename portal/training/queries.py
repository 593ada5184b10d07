"""Read-side training queries, for this feature's pages and for others (appraisals, the archive).

Every function here runs a fixed number of aggregate queries whatever the number of rows.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import NamedTuple

from sqlalchemy import (
    Date,
    Integer,
    and_,
    bindparam,
    cast,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import joinedload

from ..authz import managed_team_ids, scope_signature
from ..core.cache import VersionedCache
from ..core.db import db
from ..core.periods import local_today
from ..people.models import Team, User
from . import grading
from .models import (
    OVERDUE_CACHE,
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


def _tag_set(tags) -> set[str]:
    return {t.strip().lower() for t in tags or () if t and t.strip()}


@cache
def _tagged_statement():
    """Built once: published courses with each of their tags among the wanted ones (one row per tag), by title."""
    tag = func.lower(CourseTag.tag)
    return (select(Course, tag).join(CourseTag, CourseTag.course_id == Course.id)
            .where(tag.in_(bindparam("tags", expanding=True)), Course.published.is_(True))
            .order_by(Course.title, Course.id))


def courses_tagged_each(tag_lists) -> list[list[Course]]:
    """For each list of tags: the published courses carrying any of them (case-insensitive), most
    matching tags first, then by title. One query for all the lists (an appraisal's weak items)."""
    wanted = [_tag_set(tags) for tags in tag_lists]
    everything = set().union(*wanted)
    if not everything:
        return [[] for _tags in wanted]
    rows = db.session.execute(_tagged_statement(), {"tags": sorted(everything)}).all()
    out = []
    for tags in wanted:
        hits: dict = {}  # course -> how many of its tags are wanted, in title order
        for course, tag in rows:
            if tag in tags:
                hits[course] = hits.get(course, 0) + 1
        out.append(sorted(hits, key=lambda c: -hits[c]))  # stable: the title order stays among equals
    return out


def courses_tagged(tags) -> list[Course]:
    """Published courses carrying any of the tags (case-insensitive), most matching tags first."""
    return courses_tagged_each([tags])[0]


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


# A training cell: one (rep, course) assigned or begun --------------------------------------------

class CompletionRef(NamedTuple):
    """What a cell shows of a completion: the certificate's link (its id) and date."""
    id: int
    completed_at: datetime


@dataclass
class Cell:
    status: str
    due_on: date | None = None  # the earliest of the rep's own and their team's assignments
    best: Decimal | None = None  # best score of any attempt at the course's quizzes
    done: int = 0  # lessons the rep has read
    lessons: int = 0  # lessons in the course
    completion: CompletionRef | None = None


def _status(due: date | None, done: bool, begun: bool, today: date) -> str:
    if done:
        return "passed"
    if due is not None and due < today:
        return "overdue"
    return "in_progress" if begun else "not_started"


@cache
def _cells_statement(by_course: bool):
    """The cells' query, built once per shape (every course, or those bound as ``courses``) with the reps
    bound as ``reps``: building it, and walking it for its cache key, cost the matrix more than running it.

    Each source (own and team assignments, lessons read, attempts, completions) gives rows of
    (rep, course, due, score, read, begun, completion id, completed at); grouping them gives a cell's
    earliest due date, best score, lessons read, whether it was begun, and its completion (one per rep
    and course)."""
    reps = bindparam("reps", expanding=True)
    courses = bindparam("courses", expanding=True)

    # Typed NULLs (CAST): PostgreSQL takes an untyped NULL in the first SELECT of a UNION for text.
    # Every column labelled, each select its own objects: unlabelled CASTs of the first select would
    # share one anonymous name in the subquery, and one column object twice in a select is one column.
    def due(col=None):
        return (col if col is not None else cast(null(), Date)).label("due")

    def score(col=None):
        return (col if col is not None else cast(null(), Attempt.score.type)).label("score")

    def flags(read: int, begun: int):
        return (literal_column(str(read), Integer).label("read"),
                literal_column(str(begun), Integer).label("begun"))

    def completion(id_col=None, at_col=None):
        return ((id_col if id_col is not None else cast(null(), Integer)).label("completion_id"),
                (at_col if at_col is not None else cast(null(), Completion.completed_at.type)).label("completed_at"))

    def only(column):
        return column.in_(courses) if by_course else true()

    own = select(Assignment.user_id, Assignment.course_id, due(Assignment.due_on), score(), *flags(0, 0),
                 *completion()) \
        .where(Assignment.user_id.in_(reps), only(Assignment.course_id))
    team = select(User.id, Assignment.course_id, due(Assignment.due_on), score(), *flags(0, 0), *completion()) \
        .select_from(Assignment).join(User, User.team_id == Assignment.team_id) \
        .where(Assignment.user_id.is_(None), User.id.in_(reps), only(Assignment.course_id))
    read = select(LessonProgress.user_id, LessonProgress.course_id, due(), score(), *flags(1, 1), *completion()) \
        .where(LessonProgress.user_id.in_(reps), only(LessonProgress.course_id))
    # A rep makes several attempts at a quiz: their best is taken here, so the grouping below sorts one
    # row per rep and course rather than every attempt.
    tried = select(Attempt.user_id, Quiz.course_id, due(), score(func.max(Attempt.score)), *flags(0, 1),
                   *completion()) \
        .join(Quiz, Quiz.id == Attempt.quiz_id).where(Attempt.user_id.in_(reps), only(Quiz.course_id)) \
        .group_by(Attempt.user_id, Quiz.course_id)
    done = select(Completion.user_id, Completion.course_id, due(), score(), *flags(0, 0),
                  *completion(Completion.id, Completion.completed_at)) \
        .where(Completion.user_id.in_(reps), only(Completion.course_id))
    u = union_all(own, team, read, tried, done).subquery()
    user_id, course_id, due_on, best_score, was_read, begun, completion_id, completed_at = u.c
    # Counted per cell (an index probe each) rather than for every course: a page of the matrix, or one
    # rep's record, touches a few dozen courses of the hundreds there are.
    lessons = select(func.count(Lesson.id)).where(Lesson.course_id == course_id).scalar_subquery()
    return select(user_id, course_id, func.min(due_on), func.max(best_score), func.sum(was_read), func.max(begun),
                  func.max(completion_id), func.max(completed_at), lessons).group_by(user_id, course_id)


def matrix_cells(reps, course_ids=None) -> dict[tuple[int, int], Cell]:
    """The cells of ``reps`` (users, or rows with an ``id``) × ``course_ids`` (every course when None) that
    are assigned or begun: one query (see ``_cells_statement``).

    The one definition of a cell, for the matrix, its export, a rep's own list and the profile's record."""
    rep_ids = [r.id for r in reps]
    if not rep_ids or (course_ids is not None and not course_ids):
        return {}
    params = {"reps": rep_ids}
    if course_ids is not None:
        params["courses"] = list(course_ids)
    today = local_today()
    cells = {}
    for rep, course, first_due, best, n_read, was_begun, done_id, done_at, n_lessons in db.session.execute(
            _cells_statement(course_ids is not None), params):
        completion = CompletionRef(done_id, done_at) if done_id is not None else None
        # ``best`` is already a Decimal of 2 places: MAX keeps the Money type of the union's score column.
        cells[(rep, course)] = Cell(_status(first_due, completion is not None, bool(was_begun), today), first_due,
                                    best, int(n_read or 0), int(n_lessons or 0), completion)
    return cells


def cells_for(reps: list[User], course_ids: set[int] | None = None) -> tuple[dict, set[int]]:
    """The cells of each (rep, course) assigned or begun (of ``course_ids`` only, if given), and those courses.

    The matrix's cells: the courses in use come with them, from the same single query."""
    cells = matrix_cells(reps, course_ids)
    return cells, {course for _rep, course in cells}


# The training matrix ------------------------------------------------------------------------------

@cache
def _in_use():
    """Whether a course is assigned to or begun by any of the reps bound as ``in_use_reps`` (their teams:
    ``in_use_teams``). Built once: building its four EXISTS cost the matrix more than running them.

    Correlated EXISTS per course rather than a list of course ids from the reps' history: each is a
    few index probes, so the cost follows the number of courses, not of the reps' attempts."""
    reps = bindparam("in_use_reps", expanding=True)
    teams = bindparam("in_use_teams", expanding=True)
    return or_(
        exists().where(Assignment.course_id == Course.id,
                       or_(Assignment.user_id.in_(reps),
                           and_(Assignment.user_id.is_(None), Assignment.team_id.in_(teams)))),
        exists().where(Completion.course_id == Course.id, Completion.user_id.in_(reps)),
        exists().where(LessonProgress.course_id == Course.id, LessonProgress.user_id.in_(reps)),
        exists().where(Quiz.course_id == Course.id, Attempt.quiz_id == Quiz.id, Attempt.user_id.in_(reps)))


def courses_in_use(reps, visible):
    """``visible`` (a select of courses, or of some of their columns) narrowed to those assigned to or begun
    by any of ``reps`` (users, or rows with ``id`` and ``team_id``), by title."""
    rep_ids = [r.id for r in reps] or [-1]
    team_ids = sorted({r.team_id for r in reps if r.team_id}) or [-1]
    # The values ride on the statement (``params``): a paginator runs it without parameters.
    return visible.where(_in_use()).order_by(Course.title, Course.id) \
        .params(in_use_reps=rep_ids, in_use_teams=team_ids)


def my_training(user) -> list[tuple]:
    """A rep's assigned and begun courses, as (id, title) rows, with progress, the soonest due first."""
    cells, course_ids = cells_for([user])
    # A veteran's record lists dozens of courses: their id and title are all the lists show.
    courses = {c.id: c for c in db.session.execute(select(Course.id, Course.title).where(
        Course.id.in_(course_ids or {-1}), Course.published.is_(True)))}
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


def matrix_reps(viewer, team_id: int | None = None):
    """``reps_in_scope`` as the matrix shows them: plain rows of id, name, team id and team name
    (whole User rows, hash and all, with their Team objects cost the page more than its query)."""
    return reps_in_scope(viewer, team_id) \
        .with_only_columns(User.id, User.display_name, User.team_id, Team.name.label("team_name")) \
        .outerjoin(Team, Team.id == User.team_id)


class LateRep(NamedTuple):
    id: int
    display_name: str
    team_id: int | None


class LateCourse(NamedTuple):
    id: int
    title: str


_OVERDUE = VersionedCache(OVERDUE_CACHE, size=256)


def overdue_for(viewer, limit: int = 10) -> tuple[list[tuple[LateRep, LateCourse, date]], int]:
    """The most overdue assignments of the reps a manager covers (or of the rep themself), and how many in all.

    Overdue means what ``cells_for`` says: assigned, the earliest due date before today, not completed.
    The GM's answer weighs every assignment of the company, so each worker keeps it per viewer's scope and
    day until an assignment, a completion, a course's title or a rep's name, team or state is written
    (models.py)."""
    today = local_today()
    key = (scope_signature(viewer), today, limit)
    return _OVERDUE.get(key, lambda: _overdue_rows(viewer, today, limit))


def _overdue_rows(viewer, today: date, limit: int) -> tuple[list, int]:
    """One query: the company has thousands of (rep, course) pairs past due; the panel shows ten."""
    if viewer.role == "rep":
        rep = User.id == viewer.id
    else:
        rep = reps_in_scope(viewer).whereclause
    own = select(User.id.label("user_id"), Assignment.course_id, Assignment.due_on).select_from(Assignment) \
        .join(User, User.id == Assignment.user_id).where(Assignment.due_on < today, rep)
    team = select(User.id, Assignment.course_id, Assignment.due_on).select_from(Assignment) \
        .join(User, User.team_id == Assignment.team_id) \
        .where(Assignment.user_id.is_(None), Assignment.due_on < today, rep)
    u = union_all(own, team).subquery()
    late = select(u.c.user_id, u.c.course_id, func.min(u.c.due_on).label("due")) \
        .where(~exists().where(Completion.user_id == u.c.user_id, Completion.course_id == u.c.course_id)) \
        .group_by(u.c.user_id, u.c.course_id).subquery()
    rows = db.session.execute(
        select(User.id, User.display_name, User.team_id, Course.id, Course.title, late.c.due, func.count().over())
        .join(late, late.c.user_id == User.id).join(Course, Course.id == late.c.course_id)
        .order_by(late.c.due, User.display_name, User.id, Course.title, Course.id).limit(limit)).all()
    return ([(LateRep(r[0], r[1], r[2]), LateCourse(r[3], r[4]), r[5]) for r in rows],
            rows[0][6] if rows else 0)


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
    """A rep's training record for their profile: courses with status, best score and certificate."""
    return {"rows": my_training(person)}
