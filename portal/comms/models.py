"""Communication up and down: tasks, threads, work plans and reports, summaries, director reports."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.db import db, utcnow
from ..core.types import UTCDateTime
from ..people.models import Team, User

PRIORITIES = ("low", "normal", "high")
PART_STATUSES = ("open", "in_progress", "done", "accepted")
THREAD_KINDS = ("difficulty", "resource", "suggestion", "question")
LINK_TYPES = ("customer", "plan", "course")
CADENCES = ("week", "day")
SUMMARY_KINDS = ("month", "quarter")


# Tasks, downward -------------------------------------------------------------------------------

class Task(db.Model):
    """One task from an assigner to one or more people; each assignee's part is a TaskAssignment."""

    __tablename__ = "comms_task"
    __audited__ = True
    __owner_column__ = "assigner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    due_on: Mapped[date] = mapped_column(Date, index=True)
    # The instant the due day ends in the company's time zone: "done on time" compares against it.
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assigner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)  # the assigner's team
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comms_task.id"), index=True)
    # A generic reference to another feature's record (customer, plan, course) without importing it.
    link_type: Mapped[str | None] = mapped_column(String(20))
    link_id: Mapped[int | None] = mapped_column(Integer)
    token: Mapped[str | None] = mapped_column(String(64), unique=True)  # refuses a double submission
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assigner: Mapped[User] = relationship(foreign_keys=[assigner_id])
    parent: Mapped[Task | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Task]] = relationship(back_populates="parent")
    parts: Mapped[list[TaskAssignment]] = relationship(back_populates="task", cascade="all, delete-orphan",
                                                       order_by="TaskAssignment.id")


class TaskAssignment(db.Model):
    """One assignee's part of a task: open → in progress → done (with a report) → accepted."""

    __tablename__ = "comms_task_assignment"
    __audited__ = True
    __owner_column__ = "assignee_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("comms_task.id", ondelete="CASCADE"), index=True)
    assignee_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)  # the assignee's team
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    completion_report: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_back_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    task: Mapped[Task] = relationship(back_populates="parts")
    assignee: Mapped[User] = relationship(foreign_keys=[assignee_id])

    __table_args__ = (UniqueConstraint("task_id", "assignee_id"),)


# Threads, upward ------------------------------------------------------------------------------

class Thread(db.Model):
    """A rep raises a difficulty, resource need, suggestion or question with their director."""

    __tablename__ = "comms_thread"
    __audited__ = True
    __owner_column__ = "author_id"
    __team_column__ = "team_id"
    __table_args__ = (
        # The director's panels: the team's open threads (a team keeps years of closed ones), and the
        # reply times of the team's threads of the last 90 days, each from its own range of an index.
        Index("ix_comms_thread_team_status", "team_id", "status", "created_at"),
        Index("ix_comms_thread_team_created", "team_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[int | None] = mapped_column(Integer)  # generic reference, no import of customers
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    escalated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
    messages: Mapped[list[ThreadMessage]] = relationship(back_populates="thread", cascade="all, delete-orphan",
                                                         order_by="ThreadMessage.id")


class ThreadMessage(db.Model):
    __tablename__ = "comms_thread_message"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("comms_thread.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    event: Mapped[str | None] = mapped_column(String(20))  # escalated, resolved, reopened: a history line
    token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    thread: Mapped[Thread] = relationship(back_populates="messages")
    author: Mapped[User] = relationship(foreign_keys=[author_id])


class ThreadRead(db.Model):
    """When a participant last read a thread: the read receipts both sides see."""

    __tablename__ = "comms_thread_read"

    thread_id: Mapped[int] = mapped_column(ForeignKey("comms_thread.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()


# Work plans and reports -------------------------------------------------------------------------

class WorkPlan(db.Model):
    """A rep's plan for one week (or one day when the team files daily)."""

    __tablename__ = "comms_work_plan"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    cadence: Mapped[str] = mapped_column(String(8), default="week")
    period_start: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text)
    commented_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    commented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    commented_by: Mapped[User | None] = relationship(foreign_keys=[commented_by_id])
    items: Mapped[list[PlanItem]] = relationship(back_populates="plan", cascade="all, delete-orphan",
                                                 order_by="PlanItem.position")
    report: Mapped[WorkReport | None] = relationship(back_populates="plan", uselist=False)

    __table_args__ = (UniqueConstraint("owner_id", "cadence", "period_start"),
                      Index("ix_comms_work_plan_owner_due", "owner_id", "due_at"))


class PlanItem(db.Model):
    __tablename__ = "comms_plan_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("comms_work_plan.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(500))

    plan: Mapped[WorkPlan] = relationship(back_populates="items")


class WorkReport(db.Model):
    """What was done against each planned item, the results and the problems met."""

    __tablename__ = "comms_work_report"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("comms_work_plan.id", ondelete="SET NULL"), index=True)
    cadence: Mapped[str] = mapped_column(String(8), default="week")
    period_start: Mapped[date] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    comment: Mapped[str | None] = mapped_column(Text)
    commented_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    commented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    commented_by: Mapped[User | None] = relationship(foreign_keys=[commented_by_id])
    plan: Mapped[WorkPlan | None] = relationship(back_populates="report")
    items: Mapped[list[ReportItem]] = relationship(back_populates="report", cascade="all, delete-orphan",
                                                   order_by="ReportItem.position")

    __table_args__ = (UniqueConstraint("owner_id", "cadence", "period_start"),
                      Index("ix_comms_work_report_owner_due", "owner_id", "due_at"))


class ReportItem(db.Model):
    __tablename__ = "comms_report_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("comms_work_report.id", ondelete="CASCADE"), index=True)
    plan_item_id: Mapped[int | None] = mapped_column(ForeignKey("comms_plan_item.id", ondelete="SET NULL"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(String(500))
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[str | None] = mapped_column(Text)

    report: Mapped[WorkReport] = relationship(back_populates="items")


# Summaries and reports upward ---------------------------------------------------------------------

class SalesSummary(db.Model):
    """A rep's monthly or quarterly sales summary; the director answers it."""

    __tablename__ = "comms_sales_summary"
    __audited__ = True
    __owner_column__ = "owner_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    period_kind: Mapped[str] = mapped_column(String(10))
    period_key: Mapped[str] = mapped_column(String(10), index=True)
    work_done: Mapped[str] = mapped_column(Text)
    results: Mapped[str | None] = mapped_column(Text)
    success_rules: Mapped[str | None] = mapped_column(Text)
    failed_cases: Mapped[str | None] = mapped_column(Text)
    improvements: Mapped[str | None] = mapped_column(Text)
    figures: Mapped[list | None] = mapped_column(JSON)  # the figures as they stood when submitted
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])

    __table_args__ = (UniqueConstraint("owner_id", "period_key"),)


class DirectorReport(db.Model):
    """The director's periodic report to the GM: figures from the data, text by the director."""

    __tablename__ = "comms_director_report"
    __audited__ = True
    __owner_column__ = "author_id"
    __team_column__ = "team_id"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id"), index=True)
    period_kind: Mapped[str] = mapped_column(String(10))
    period_key: Mapped[str] = mapped_column(String(10))
    body: Mapped[str] = mapped_column(Text)
    figures: Mapped[list | None] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    gm_comment: Mapped[str | None] = mapped_column(Text)
    gm_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    gm_commented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    team: Mapped[Team | None] = relationship(foreign_keys=[team_id])
    gm: Mapped[User | None] = relationship(foreign_keys=[gm_id])

    __table_args__ = (UniqueConstraint("team_id", "period_key"),)
