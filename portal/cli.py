"""Command-line tools: accounts, demo data, first-run setup."""
from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select

from .core.db import db


def _has_people() -> bool:
    from .people.models import User

    if not inspect(db.engine).has_table("user"):
        return False
    return bool(db.session.scalar(select(func.count(User.id))))


def _print_logins(ctx: dict) -> None:
    from .demo import DEMO_PASSWORD

    click.echo(f"Demo sign-ins (password for all: {DEMO_PASSWORD}):")
    for user in ctx.get("users", {}).values():
        team = user.team.name if user.team else ""
        click.echo(f"  {user.username:<16} {user.role:<9} {team}")


def init_app(app: Flask) -> None:
    from .scale.cli import register; register(app)  # noqa: E702, I001 - flask seed-scale (load tests)
    @app.cli.command("create-user")
    @click.option("--username", required=True)
    @click.option("--name", "display_name", required=True)
    @click.option("--role", type=click.Choice(["rep", "director", "gm", "admin"]), required=True)
    @click.option("--team", "team_name", default=None, help="Team name (reps and directors).")
    @click.password_option()
    def create_user(username, display_name, role, team_name, password):
        """Create an account (the first administrator, say)."""
        from .audit.services import record
        from .auth.passwords import hash_password, problems
        from .people.models import Team, User

        found = problems(password, username)
        if found:
            raise click.ClickException(" ".join(found))
        team = None
        if team_name:
            team = db.session.scalar(select(Team).where(Team.name == team_name))
            if team is None:
                team = Team(name=team_name)
                db.session.add(team)
                db.session.flush()
        if db.session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
            raise click.ClickException(f"username {username} is taken")
        user = User(username=username, display_name=display_name, role=role,
                    team_id=team.id if team else None, password_hash=hash_password(password))
        db.session.add(user)
        db.session.flush()
        if team and role == "director" and team.director_id is None:
            team.director_id = user.id
        record("create_user_cli", obj=user)
        db.session.commit()
        click.echo(f"created {role} {username}")

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo company into an empty database."""
        from .demo import seed_demo

        if _has_people():
            raise click.ClickException("the database already has people; seed-demo fills an empty one")
        ctx = seed_demo()
        db.session.commit()
        _print_logins(ctx)

    @app.cli.command("setup")
    @click.option("--demo/--no-demo", default=True, help="Load the demo company when the database is empty.")
    def setup_command(demo):
        """Migrate the database and, when it is empty, load the demo company (used by `make run`)."""
        from .demo import seed_demo

        upgrade(revision="heads")
        if demo and not _has_people():
            ctx = seed_demo()
            db.session.commit()
            _print_logins(ctx)
        elif demo:
            from .demo import DEMO_PASSWORD

            click.echo(f"Database ready. Demo sign-ins, if it holds the demo company: gm, admin, "
                       f"zhao.director, li.na … with password {DEMO_PASSWORD}")
