"""Find the records the benchmark's pages need, by SQL through the app's own models and queries.

Runs in the harness process against the benchmark database (DATABASE_URL): nothing is written.
"""
from __future__ import annotations

from dataclasses import dataclass, field


class DiscoveryError(RuntimeError):
    pass


@dataclass
class Found:
    users: dict = field(default_factory=dict)  # role -> (id, username)
    rep_team_id: int | None = None
    customer_id: int | None = None
    customer_events: int = 0
    name_query: str = ""
    pinyin_query: str = ""
    status_filter: str = "active"
    thread_id: int | None = None
    thread_messages: int = 0
    cycle_id: int | None = None
    cycle_period: str = ""
    sheet_id: int | None = None
    quiz_id: int | None = None
    running_attempt_id: int | None = None
    periods: dict = field(default_factory=dict)  # kind -> key
    audit_rows: int = 0
    contracts: int = 0  # in the whole company (the GM's export)
    notes: list = field(default_factory=list)


def discover(app, accounts: dict) -> Found:
    """``accounts``: role -> username (rep, director, gm, admin)."""
    from sqlalchemy import func, or_, select

    from portal.appraisals.models import Appraisal, AppraisalCycle
    from portal.audit.models import AuditEntry
    from portal.comms.models import ThreadMessage
    from portal.comms.queries import visible_threads
    from portal.core.db import db
    from portal.core.periods import Period
    from portal.customers.models import Activity, Customer, CustomerEvent
    from portal.people.models import User
    from portal.training import services as training
    from portal.training.models import Quiz

    found = Found()
    with app.test_request_context():
        people = {}
        for role, username in accounts.items():
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                raise DiscoveryError(f"no account {username!r} for the {role} role")
            people[role] = user
            found.users[role] = (user.id, user.username)
        rep = people["rep"]
        director = people["director"]
        found.rep_team_id = rep.team_id
        for kind in ("month", "quarter", "year"):
            found.periods[kind] = Period.current(kind).key

        # The rep's customer with the longest timeline (activities and events).
        acts = (select(Activity.customer_id, func.count().label("n"))
                .join(Customer, Customer.id == Activity.customer_id)
                .where(Customer.owner_id == rep.id).group_by(Activity.customer_id).subquery())
        evs = (select(CustomerEvent.customer_id, func.count().label("n"))
               .join(Customer, Customer.id == CustomerEvent.customer_id)
               .where(Customer.owner_id == rep.id).group_by(CustomerEvent.customer_id).subquery())
        total = func.coalesce(acts.c.n, 0) + func.coalesce(evs.c.n, 0)
        row = db.session.execute(
            select(Customer.id, total.label("n"), Customer.name, Customer.pinyin_initials, Customer.status)
            .outerjoin(acts, acts.c.customer_id == Customer.id).outerjoin(evs, evs.c.customer_id == Customer.id)
            .where(Customer.owner_id == rep.id).order_by(total.desc(), Customer.id).limit(1)).first()
        if row is None:
            raise DiscoveryError(f"{rep.username} owns no customer")
        found.customer_id, found.customer_events = row.id, int(row.n)
        found.name_query = (row.name or "")[:2]
        letters = "".join(ch for ch in (row.pinyin_initials or "").lower() if ch.isalnum())
        found.pinyin_query = letters[:3] or "a"
        found.status_filter = row.status or "active"

        # The thread with the most messages the director answers.
        counts = (select(ThreadMessage.thread_id, func.count().label("n"))
                  .group_by(ThreadMessage.thread_id).subquery())
        visible = visible_threads(director).subquery()
        thread = db.session.execute(
            select(visible.c.id, counts.c.n).join(counts, counts.c.thread_id == visible.c.id)
            .order_by(counts.c.n.desc(), visible.c.id).limit(1)).first()
        if thread is not None:
            found.thread_id, found.thread_messages = thread.id, int(thread.n)
        else:
            found.notes.append(f"no thread visible to {director.username}")

        # The appraisal cycle of the rep's team for last month (else its latest) and the rep's sheet.
        last_month = Period.current("month").previous().key
        cycle = db.session.scalar(select(AppraisalCycle).where(
            AppraisalCycle.team_id == rep.team_id, AppraisalCycle.period_key == last_month))
        if cycle is None:
            cycle = db.session.scalar(select(AppraisalCycle).where(AppraisalCycle.team_id == rep.team_id)
                                      .order_by(AppraisalCycle.id.desc()).limit(1))
            if cycle is not None:
                found.notes.append(f"no cycle for {last_month}: used {cycle.period_key}")
        if cycle is not None:
            found.cycle_id, found.cycle_period = cycle.id, cycle.period_key
            found.sheet_id = db.session.scalar(select(Appraisal.id).where(
                Appraisal.cycle_id == cycle.id, Appraisal.rep_id == rep.id))
        else:
            found.notes.append("no appraisal cycle for the rep's team")

        # A quiz the rep may attempt now: their running attempt, else one they may start (the harness
        # starts it through the UI). The attempt must outlive its two pages' runs: no time limit
        # preferred, else the longest (at least 10 minutes; those pages are measured first).
        quizzes = db.session.scalars(select(Quiz).where(or_(Quiz.time_limit_minutes.is_(None),
                                                            Quiz.time_limit_minutes >= 10))
                                     .order_by(Quiz.time_limit_minutes.is_not(None),
                                               Quiz.time_limit_minutes.desc(), Quiz.id))
        for quiz in quizzes:
            if training.quiz_question_count(quiz) == 0:
                continue
            if not training.can_see_course(rep, quiz.course):
                continue
            running = training.in_progress_attempt(rep, quiz)
            if running is not None:
                found.quiz_id, found.running_attempt_id = quiz.id, running.id
                break
            if training.can_start(rep, quiz) is None and not training.missing_prerequisites(rep, quiz.course):
                found.quiz_id = quiz.id
                break
        if found.quiz_id is None:
            found.notes.append(f"no quiz {rep.username} may attempt")

        found.audit_rows = min(50, db.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.actor_id == rep.id)) or 0)
        from portal.contracts.models import Contract

        found.contracts = db.session.scalar(select(func.count()).select_from(Contract)) or 0
        db.session.rollback()
    return found
