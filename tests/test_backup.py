"""flask backup / flask restore (portal/backup.py): a consistent copy while the portal writes, a round
trip, refusing what is not a copy of this portal; on PostgreSQL through pg_dump / pg_restore."""
from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from portal.core.db import db
from portal.people.models import Team


@pytest.fixture
def backups(app, tmp_path):
    app.config["BACKUP_FOLDER"] = str(tmp_path / "backups")
    return tmp_path / "backups"


def _sqlite_only():
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite backup")


def _teams() -> set[str]:
    db.session.remove()
    return set(db.session.scalars(select(Team.name)))


def test_backup_while_another_thread_writes_is_consistent(app, runner, backups):
    _sqlite_only()
    live = db.engine.url.database
    stop = threading.Event()
    written = [0]

    def writer():
        # Each transaction adds a team and its audit line: a copy from one instant has both or neither.
        conn = sqlite3.connect(live, timeout=30)
        i = 0
        while not stop.is_set():
            i += 1
            with conn:
                conn.execute("INSERT INTO team (name, created_at) VALUES (?, '2026-11-26 00:00:00.000000')",
                             (f"写入{i}",))
                conn.execute("INSERT INTO audit_entry (at, action, object_type, object_id) "
                             "VALUES ('2026-11-26 00:00:00.000000', 'create', 'team', ?)", (f"写入{i}",))
            written[0] = i
        conn.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 20:
            time.sleep(0.01)
        result = runner.invoke(args=["backup", str(backups / "copy.db")])
        at_backup = written[0]
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    assert "copy.db" in result.output
    copy = sqlite3.connect(backups / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    teams = {r[0] for r in copy.execute("SELECT name FROM team WHERE name LIKE '写入%'")}
    audited = {r[0] for r in copy.execute("SELECT object_id FROM audit_entry WHERE object_id LIKE '写入%'")}
    copy.close()
    assert teams == audited  # one point in time
    assert 20 <= len(teams) <= at_backup + 1
    assert teams == {f"写入{i}" for i in range(1, len(teams) + 1)}  # a prefix of the writes, no holes


def test_default_name_and_uploads_archive(app, runner, backups):
    _sqlite_only()
    uploads = Path(app.config["UPLOAD_FOLDER"])
    (uploads / "2026" / "11").mkdir(parents=True, exist_ok=True)
    (uploads / "2026" / "11" / "a.pdf").write_bytes(b"%PDF-1.4 receipt")
    result = runner.invoke(args=["backup"])
    assert result.exit_code == 0, result.output
    copies = sorted(backups.glob("portal-*.db"))
    assert len(copies) == 1 and copies[0].with_name(copies[0].stem + "-uploads.tar.gz").is_file()


def test_restore_round_trip(app, runner, backups):
    _sqlite_only()
    db.session.add(Team(name="备份前"))
    db.session.commit()
    uploads = Path(app.config["UPLOAD_FOLDER"])
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / "keep.pdf").write_bytes(b"%PDF-1.4 before")
    assert runner.invoke(args=["backup", str(backups / "state.db")]).exit_code == 0
    db.session.execute(text("UPDATE team SET name = '备份后' WHERE name = '备份前'"))
    db.session.add(Team(name="新加的"))
    db.session.commit()
    (uploads / "keep.pdf").write_bytes(b"%PDF-1.4 after")
    db.session.remove()

    refused = runner.invoke(args=["restore", str(backups / "state.db")], input="n\n")
    assert refused.exit_code != 0
    assert _teams() >= {"备份后", "新加的"}

    result = runner.invoke(args=["restore", str(backups / "state.db"), "--yes"])
    assert result.exit_code == 0, result.output
    teams = _teams()
    assert "备份前" in teams and "备份后" not in teams and "新加的" not in teams
    assert (uploads / "keep.pdf").read_bytes() == b"%PDF-1.4 before"
    before = [p for p in backups.glob("portal-*.db")]
    assert before, "the data replaced is backed up first"
    kept = sqlite3.connect(before[0])
    assert {r[0] for r in kept.execute("SELECT name FROM team")} >= {"备份后", "新加的"}
    kept.close()


def test_restore_refuses_what_is_not_a_copy_of_this_portal(app, runner, backups, tmp_path):
    _sqlite_only()
    db.session.add(Team(name="原样"))
    db.session.commit()
    html = tmp_path / "page.db"
    html.write_text("<html>not a database</html>")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    for path, words in ((html, "not an SQLite database"), (other, "not a database of this portal")):
        result = runner.invoke(args=["restore", str(path), "--yes"])
        assert result.exit_code != 0 and words in result.output
    assert "原样" in _teams()
    assert not backups.exists() or not list(backups.glob("*"))  # refused before anything was touched


def test_postgresql_backup_and_restore(app, runner, backups):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL backup")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore not installed")
    db.session.add(Team(name="备份前"))
    db.session.commit()
    result = runner.invoke(args=["backup", str(backups / "state.dump")])
    assert result.exit_code == 0, result.output
    assert (backups / "state.dump").read_bytes()[:5] == b"PGDMP"
    db.session.execute(text("UPDATE team SET name = '备份后' WHERE name = '备份前'"))
    db.session.commit()
    db.session.remove()
    not_dump = backups / "x.dump"
    not_dump.write_text("hello")
    assert runner.invoke(args=["restore", str(not_dump), "--yes"]).exit_code != 0
    result = runner.invoke(args=["restore", str(backups / "state.dump"), "--yes"])
    assert result.exit_code == 0, result.output
    teams = _teams()
    assert "备份前" in teams and "备份后" not in teams
    assert db.session.scalar(select(func.count()).select_from(text("alembic_version"))) == 1
