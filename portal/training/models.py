"""Training: courses of lessons, a question bank, quizzes, attempts, assignments and completions.

Who owns what: a course belongs to its owner (a director or the administrator) and to a team, or to
the whole company when ``team_id`` is empty. An attempt, a lesson-progress row and a completion
belong to the rep who made them (and carry the rep's team at that time, for the director's scope).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.cache import invalidate_on_write
from ..core.db import db, utcnow
from ..core.types import Money, UTCDateTime
from ..people.models import Team, User


class Course(db.Model):
    __tablename__ = "training_course"
    __audited__ = True
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(80), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    # None: company-wide (every director sees it); a team id: that team's own course.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Open to all: reps who see the course may take it without an assignment.
    open_to_all: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
    lessons: Mapped[list[Lesson]] = relationship(back_populates="course", order_by="Lesson.position",
                                                 cascade="all, delete-orphan")
    tags: Mapped[list[CourseTag]] = relationship(cascade="all, delete-orphan", order_by="CourseTag.tag")

    def __str__(self) -> str:
        return self.title


class CourseTag(db.Model):
    """Free-text tags (e.g. an appraisal item such as 电话拜访) used to suggest courses."""

    __tablename__ = "training_course_tag"

    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(60), primary_key=True)

    __table_args__ = (Index("ix_training_course_tag_tag", "tag"),)


class CoursePrerequisite(db.Model):
    __tablename__ = "training_prerequisite"

    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), primary_key=True)
    required_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"),
                                             primary_key=True)

    required: Mapped[Course] = relationship(foreign_keys=[required_id])


class Lesson(db.Model):
    __tablename__ = "training_lesson"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str | None] = mapped_column(Text)
    minutes: Mapped[int] = mapped_column(Integer, default=10)

    course: Mapped[Course] = relationship(back_populates="lessons")
    files: Mapped[list[TrainingFile]] = relationship(order_by="TrainingFile.id", viewonly=True)


class TrainingFile(db.Model):
    """An attachment of a lesson, or an image used in the course's questions (no lesson)."""

    __tablename__ = "training_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("training_lesson.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class LessonProgress(db.Model):
    __tablename__ = "training_lesson_progress"
    __owner_column__ = "user_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("training_lesson.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), index=True)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "lesson_id", name="uq_training_lesson_progress_user_lesson"),)


class QuestionCategory(db.Model):
    __tablename__ = "training_question_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))

    __table_args__ = (UniqueConstraint("course_id", "name", name="uq_training_question_category_course_name"),)

    def __str__(self) -> str:
        return self.name


class Question(db.Model):
    """One bank question; ``data`` holds its answers in the shape ``gift.py`` documents."""

    __tablename__ = "training_question"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("training_question_category.id",
                                                               ondelete="SET NULL"), index=True)
    qtype: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text)
    general_feedback: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    # Short answers: does "Price" differ from "price"? (GIFT cannot say; set on the question.)
    case_sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    mark: Mapped[Decimal] = mapped_column(Money, default=Decimal("1.00"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    category: Mapped[QuestionCategory | None] = relationship()


class Quiz(db.Model):
    __tablename__ = "training_quiz"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    intro: Mapped[str | None] = mapped_column(Text)
    # "fixed": the questions listed in QuizQuestion; "random": random_count drawn from a category.
    mode: Mapped[str] = mapped_column(String(10), default="fixed")
    random_category_id: Mapped[int | None] = mapped_column(ForeignKey("training_question_category.id",
                                                                      ondelete="SET NULL"))
    random_count: Mapped[int] = mapped_column(Integer, default=0)
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=False)
    shuffle_answers: Mapped[bool] = mapped_column(Boolean, default=True)
    per_page: Mapped[int] = mapped_column(Integer, default=5)
    time_limit_minutes: Mapped[int | None] = mapped_column(Integer)
    open_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    close_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_attempts: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    wait_minutes: Mapped[int] = mapped_column(Integer, default=0)
    pass_mark: Mapped[Decimal] = mapped_column(Money, default=Decimal("60.00"))  # percent
    grading_method: Mapped[str] = mapped_column(String(10), default="highest")
    review_answers: Mapped[bool] = mapped_column(Boolean, default=True)
    review_correct: Mapped[bool] = mapped_column(Boolean, default=False)
    review_feedback: Mapped[bool] = mapped_column(Boolean, default=True)
    review_score: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship()
    random_category: Mapped[QuestionCategory | None] = relationship()


class QuizQuestion(db.Model):
    __tablename__ = "training_quiz_question"

    quiz_id: Mapped[int] = mapped_column(ForeignKey("training_quiz.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("training_question.id", ondelete="CASCADE"),
                                             primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)

    question: Mapped[Question] = relationship()


class Attempt(db.Model):
    __tablename__ = "training_attempt"
    __owner_column__ = "user_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("training_quiz.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="in_progress", index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    marks: Mapped[Decimal | None] = mapped_column(Money)
    max_marks: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    score: Mapped[Decimal | None] = mapped_column(Money)  # percent, 2 places
    # The questions as drawn for this attempt: [{"q": id, "order": [...], "choices": [...]}].
    layout: Mapped[list] = mapped_column(JSON, default=list)

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        UniqueConstraint("quiz_id", "user_id", "number", name="uq_training_attempt_quiz_user_number"),
        # The matrix's best score per rep and quiz from the index alone (the unique key above already
        # answers (quiz, user) lookups).
        Index("ix_training_attempt_quiz_user_score", "quiz_id", "user_id", "score"),
    )


class AttemptAnswer(db.Model):
    __tablename__ = "training_attempt_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("training_attempt.id", ondelete="CASCADE"), index=True)
    slot: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("training_question.id", ondelete="CASCADE"), index=True)
    response: Mapped[dict | None] = mapped_column(JSON)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_mark: Mapped[Decimal] = mapped_column(Money, default=Decimal("1.00"))
    mark: Mapped[Decimal | None] = mapped_column(Money)
    comment: Mapped[str | None] = mapped_column(Text)  # the director's note on an essay
    # The question as it was when the attempt drew it: a later edit of the bank changes neither the
    # running attempt nor the record of a finished one (Moodle keeps question versions for this).
    snapshot: Mapped[dict] = mapped_column(JSON, default=dict)

    __table_args__ = (UniqueConstraint("attempt_id", "slot", name="uq_training_attempt_answer_attempt_slot"),)

    @property
    def version(self) -> QuestionVersion:
        return QuestionVersion.from_json(self.question_id, self.snapshot or {})


@dataclass(frozen=True)
class QuestionVersion:
    """What pages, grading and statistics need of a question, frozen in an attempt."""

    id: int
    qtype: str
    title: str
    text: str
    general_feedback: str | None
    data: dict
    case_sensitive: bool
    mark: Decimal

    @classmethod
    def of(cls, q: Question) -> QuestionVersion:
        return cls(q.id, q.qtype, q.title or "", q.text, q.general_feedback, dict(q.data or {}), bool(q.case_sensitive),
                   q.mark)

    def as_json(self) -> dict:
        return {"qtype": self.qtype, "title": self.title, "text": self.text, "general_feedback": self.general_feedback,
                "data": self.data, "case_sensitive": self.case_sensitive, "mark": str(self.mark)}

    @classmethod
    def from_json(cls, question_id: int, d: dict) -> QuestionVersion:
        return cls(question_id, d.get("qtype", "essay"), d.get("title", ""), d.get("text", ""),
                   d.get("general_feedback"), d.get("data") or {}, bool(d.get("case_sensitive")),
                   Decimal(d.get("mark", "1.00")))


class Assignment(db.Model):
    """A course assigned with a due date to one rep, or to a whole team (its reps, present and future)."""

    __tablename__ = "training_assignment"
    __audited__ = True
    __owner_column__ = "user_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    course: Mapped[Course] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])


class Completion(db.Model):
    """A rep completed a course: the certificate, with a code anyone may verify."""

    __tablename__ = "training_completion"
    __owner_column__ = "user_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("training_course.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    score: Mapped[Decimal | None] = mapped_column(Money)
    code: Mapped[str] = mapped_column(String(20), unique=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[Course] = relationship()

    __table_args__ = (UniqueConstraint("user_id", "course_id", name="uq_training_completion_user_course"),)


# The managers' overdue panel each worker keeps (queries.overdue_for): a new, changed or removed
# assignment or completion, a course's title, a person's name, team, role or state.
OVERDUE_CACHE = "training_overdue"
invalidate_on_write(OVERDUE_CACHE, Assignment, Completion, Course, User,
                    columns=("course_id", "user_id", "team_id", "due_on", "title", "display_name", "role", "active"))
