"""``flask backup`` and ``flask restore``: a consistent copy of the database (and the uploaded files)
taken while the portal is in use, and bringing one back.

SQLite: SQLite's online backup API copies the database as one read transaction, so the copy is the
database at one instant even while requests keep writing; restoring goes through the same API the
other way, one write transaction, so every connection sees either the old or the restored data.
PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore --clean --if-exists``.
The upload folder is archived beside the database copy (``<name>-uploads.tar.gz``).
"""
from __future__ import annotations

import os
import shutil
import sqlite3

# pg_dump / pg_restore, found on PATH, run with an argument list (never a shell)
import subprocess  # nosec B404
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import Flask, current_app
from sqlalchemy.engine import make_url

from .core.db import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def _url():
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _is_sqlite() -> bool:
    return _url().get_backend_name() == "sqlite"


def _sqlite_file() -> Path:
    name = _url().database
    if not name or name == ":memory:":
        raise click.ClickException("The database is in memory: there is nothing to back up.")
    return Path(name)


def _default_dir() -> Path:
    return Path(current_app.config.get("BACKUP_FOLDER") or Path(current_app.instance_path) / "backups")


def _target(path: str | None, suffix: str) -> Path:
    """Where the copy goes: PATH as given, a timestamped file inside PATH when it is a folder, or
    a timestamped file under instance/backups."""
    if path and not Path(path).is_dir():
        out = Path(path)
    else:
        folder = Path(path) if path else _default_dir()
        out = folder / f"portal-{_stamp()}{suffix}"
        n = 1
        while out.exists():
            out = folder / f"portal-{_stamp()}-{n}{suffix}"
            n += 1
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def _uploads_archive_for(copy: Path) -> Path:
    return copy.with_name(copy.stem + "-uploads.tar.gz")


def _upload_root() -> Path:
    from .core.uploads import upload_root

    return upload_root()


# Backing up ----------------------------------------------------------------------------------------

def backup_sqlite(out: Path) -> Path:
    """Copy the live SQLite database into ``out`` with the online backup API and check the copy."""
    source_file = _sqlite_file()
    if not source_file.is_file():
        raise click.ClickException(f"No database at {source_file}.")
    tmp = out.with_name(out.name + ".part")
    tmp.unlink(missing_ok=True)
    src = sqlite3.connect(source_file, timeout=30)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)  # all pages in one step: one read transaction, one instant
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dst.close()
        src.close()
    if check != "ok":
        tmp.unlink(missing_ok=True)
        raise click.ClickException(f"The copy failed its integrity check: {check}")
    os.replace(tmp, out)
    return out


def _pg_args(url) -> tuple[list[str], dict]:
    args = []
    if url.host:
        args += ["--host", url.host]
    if url.port:
        args += ["--port", str(url.port)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)  # not on the command line, where ps would show it
    return args, env


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise click.ClickException(
            f"{name} was not found. Install the PostgreSQL client tools (the same major version as the "
            f"server, e.g. apt-get install postgresql-client) or put {name} on PATH.")
    return found


def _run(cmd: list[str], env: dict) -> None:
    # our own argument list: the tool's path from shutil.which and the configured database's details
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if done.returncode != 0:
        raise click.ClickException(f"{Path(cmd[0]).name} failed: {done.stderr.strip() or done.returncode}")


def backup_postgres(out: Path) -> Path:
    url = _url()
    args, env = _pg_args(url)
    tmp = out.with_name(out.name + ".part")
    _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(tmp), *args,
          "--dbname", url.database or ""], env)
    os.replace(tmp, out)
    return out


def archive_uploads(copy: Path) -> Path | None:
    root = _upload_root()
    if not root.is_dir():
        return None
    out = _uploads_archive_for(copy)
    tmp = out.with_name(out.name + ".part")
    with tarfile.open(tmp, "w:gz") as tar:
        tar.add(root, arcname="uploads")
    os.replace(tmp, out)
    return out


def make_backup(path: str | None = None, uploads: bool = True) -> tuple[Path, Path | None]:
    """Write the copy (and the uploads archive); return their paths."""
    if _is_sqlite():
        copy = backup_sqlite(_target(path, ".db"))
    elif _url().get_backend_name() == "postgresql":
        copy = backup_postgres(_target(path, ".dump"))
    else:
        raise click.ClickException(f"Backups of {_url().get_backend_name()} databases are not supported.")
    return copy, archive_uploads(copy) if uploads else None


# Restoring -----------------------------------------------------------------------------------------

def _known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    from .extensions import migrate

    config = migrate.get_config()
    return {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}


def check_sqlite_copy(path: Path) -> str:
    """The file is an intact SQLite database of this portal: return its schema revision, else refuse."""
    with path.open("rb") as fh:
        if fh.read(16) != SQLITE_MAGIC:
            raise click.ClickException(f"{path} is not an SQLite database.")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise click.ClickException(f"{path} is damaged (integrity check failed).")
        try:
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            revision = None
    finally:
        conn.close()
    if revision is None or revision[0] not in _known_revisions():
        raise click.ClickException(f"{path} is not a database of this portal (no known schema version).")
    return revision[0]


def restore_sqlite(path: Path) -> None:
    live = _sqlite_file()
    db.session.remove()
    db.engine.dispose()
    src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    dst = sqlite3.connect(live, timeout=60)
    try:
        src.backup(dst)  # one write transaction on the live file: others see old or new, never a mix
    finally:
        dst.close()
        src.close()


def restore_postgres(path: Path) -> None:
    with path.open("rb") as fh:
        if fh.read(5) != PGDUMP_MAGIC:
            raise click.ClickException(f"{path} is not a pg_dump archive (custom format).")
    url = _url()
    args, env = _pg_args(url)
    db.session.remove()
    db.engine.dispose()  # our own connections would hold locks the DROPs wait for
    _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction", *args,
          "--dbname", url.database or "", str(path)], env)


def restore_uploads(archive: Path) -> Path | None:
    """Unpack ``archive`` as the upload folder; the current folder is kept beside it, renamed."""
    root = _upload_root()
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=root.parent))
    try:
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(staging, filter="data")  # refuses absolute paths, ../ and links outside
        unpacked = staging / "uploads"
        if not unpacked.is_dir():
            raise click.ClickException(f"{archive} holds no uploads folder.")
        kept = None
        if root.exists():
            kept = root.with_name(f"{root.name}.before-restore-{_stamp()}")
            os.replace(root, kept)
        os.replace(unpacked, root)
        return kept
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# Commands ------------------------------------------------------------------------------------------

@click.command("backup")
@click.argument("path", required=False)
@click.option("--no-uploads", is_flag=True, help="Copy the database only, not the uploaded files.")
def backup_command(path, no_uploads):
    """Copy the database (and the uploads) while the portal runs; PATH is a file or a folder
    (default instance/backups/portal-<UTC time>.db or .dump)."""
    copy, archive = make_backup(path, uploads=not no_uploads)
    click.echo(f"Database copied to {copy}")
    if archive:
        click.echo(f"Uploaded files archived to {archive}")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--no-uploads", is_flag=True, help="Leave the upload folder as it is.")
def restore_command(path: Path, yes: bool, no_uploads: bool):
    """Bring back a copy made by `flask backup` (the current data is backed up first)."""
    sqlite = _is_sqlite()
    if sqlite:
        revision = check_sqlite_copy(path)
    else:
        revision = None
        with path.open("rb") as fh:
            if fh.read(5) != PGDUMP_MAGIC:
                raise click.ClickException(f"{path} is not a pg_dump archive (custom format).")
    archive = _uploads_archive_for(path)
    with_uploads = not no_uploads and archive.is_file()
    what = "the database" + (" and the uploaded files" if with_uploads else "")
    if not yes:
        click.confirm(f"Replace {what} with {path}? Everything written since that copy will be gone "
                      f"(the current data is backed up first)", abort=True)
    before, _archive = make_backup(str(_default_dir()), uploads=with_uploads)
    click.echo(f"Current data backed up to {before}")
    if sqlite:
        restore_sqlite(path)
    else:
        restore_postgres(path)
    click.echo(f"Database restored from {path}")
    if with_uploads:
        kept = restore_uploads(archive)
        click.echo(f"Uploaded files restored from {archive}" + (f" (previous folder kept as {kept})" if kept else ""))
    if revision is not None and revision not in _heads():
        click.echo("The copy is from an older version of the portal: run `flask --app portal db upgrade`.")


def _heads() -> set[str]:
    from alembic.script import ScriptDirectory

    from .extensions import migrate

    return set(ScriptDirectory.from_config(migrate.get_config()).get_heads())


def init_app(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
