"""In-process checks of the SQLite settings the live tests rely on (portal/core/db.py)."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from portal.core.db import db

from .conftest import sqlite_only

pytestmark = sqlite_only


def _write_elsewhere(app, name: str, errors: list) -> None:
    from portal.people.models import Team

    try:
        with app.test_request_context("/x", method="POST"):
            db.session.add(Team(name=name))
            db.session.commit()
            db.session.remove()
    except Exception as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


def test_a_reading_request_that_writes_waits_for_the_lock_instead_of_failing(app):
    """A GET reads (a deferred transaction), another worker commits, then the GET writes: SQLite would
    refuse the upgrade at once ("database is locked"); the portal restarts it as a writer instead."""
    from portal.people.models import Team

    errors: list = []
    with app.test_request_context("/page", method="GET"):
        assert db.session.scalar(select(func.count()).select_from(Team)) == 0  # the read snapshot
        other = threading.Thread(target=_write_elsewhere, args=(app, "Written meanwhile", errors))
        other.start()
        other.join(timeout=60)
        assert not errors, errors
        db.session.add(Team(name="Written by the GET"))
        db.session.flush()
        db.session.commit()
        names = set(db.session.scalars(select(Team.name)))
        db.session.remove()
    assert names == {"Written meanwhile", "Written by the GET"}


def test_a_missing_database_file_is_not_created_by_a_request(make_app, tmp_path):
    from sqlalchemy.exc import OperationalError

    missing = tmp_path / "nowhere.db"
    other = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{missing}")
    with other.test_request_context("/", method="GET"), pytest.raises(OperationalError):
        db.session.execute(select(1))
    assert not missing.exists()
    with other.app_context():
        db.session.remove()
