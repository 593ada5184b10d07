"""Seeding a live database through the app factory: teams, people and the records the tests post to."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from portal.core.db import db

PASSWORD = "Correct-Horse-Battery-9"

ESSAY_GIFT = """::Visit::Describe your last customer visit. {}
"""


def team(name: str):
    from portal.people.models import Team

    t = Team(name=name)
    db.session.add(t)
    db.session.flush()
    return t


def user(username: str, role: str, team=None, *, locale: str | None = None, password: str = PASSWORD):
    from portal.auth.passwords import hash_password
    from portal.people.models import User

    u = User(username=username, display_name=f"{role.title()} {username}", role=role,
             team_id=team.id if team else None, password_hash=hash_password(password), locale=locale)
    db.session.add(u)
    db.session.flush()
    if role == "director" and team is not None and team.director_id is None:
        team.director_id = u.id
    return u


def customer(owner, name: str):
    from portal.customers.models import Customer

    c = Customer(name=name, owner_id=owner.id, team_id=owner.team_id, created_by_id=owner.id, status="active",
                 activated_at=datetime.now(UTC) - timedelta(days=30))
    db.session.add(c)
    db.session.flush()
    return c


def thread(author, subject: str):
    from portal.comms.models import Thread, ThreadMessage

    now = datetime.now(UTC)
    t = Thread(author_id=author.id, team_id=author.team_id, kind="difficulty", subject=subject, created_at=now,
               last_message_at=now)
    t.messages.append(ThreadMessage(author_id=author.id, body=f"Opening message of {subject}"))
    db.session.add(t)
    db.session.flush()
    return t


def essay_quiz(director):
    """A published course of the director's team with a one-essay quiz (free text: every save is distinct)."""
    from portal.training import services

    course = services.save_course(director, None, title="Live course", summary="Live", category="Skills",
                                  team_id=director.team_id, published=True, open_to_all=True, tags=[])
    made, errors = services.import_gift(director, course, ESSAY_GIFT)
    assert not errors, errors
    quiz = services.save_quiz(director, course, None, title="Live quiz", mode="fixed",
                              question_ids=[q.id for q in made], pass_mark=Decimal("60"), per_page=5,
                              shuffle_answers=False, review_correct=False)
    db.session.flush()
    return quiz


def attempt(rep, quiz):
    from portal.training import services

    return services.start_attempt(rep, quiz)
