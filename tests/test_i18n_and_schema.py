"""Catalogs complete in zh_CN; the migrations build exactly the schema the models describe."""
from __future__ import annotations

import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.core.db import db

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import i18n  # noqa: E402


def test_zh_cn_catalogs_complete():
    problems = i18n.problems()
    assert problems == [], "\n".join(problems[:50])


def test_en_catalogs_exist_for_every_catalog():
    for directory in i18n.sources_by_catalog():
        assert (directory / "en" / "LC_MESSAGES" / "messages.po").exists(), directory
        assert (directory / "zh_CN" / "LC_MESSAGES" / "messages.po").exists(), directory


def test_models_and_migrations_agree(app):
    # The session schema was built by the migrations: the models must find nothing to add.
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], diff


def test_migrations_have_one_head(app):
    from alembic.script import ScriptDirectory
    from flask import current_app

    config = current_app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, heads


def test_migrations_downgrade_and_upgrade_again(make_app, tmp_path):
    """Every migration can be undone and redone (on a scratch SQLite database)."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import inspect

    scratch = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'roundtrip.db'}")
    with scratch.app_context():
        upgrade(revision="heads")
        assert inspect(db.engine).has_table("appraisal_item")
        downgrade(revision="base")
        assert not inspect(db.engine).has_table("user")
        upgrade(revision="heads")
        assert inspect(db.engine).has_table("robot")


def test_translations_kept_for_the_request_follow_a_forced_locale(app):
    """The request keeps its translations beside the locale they are for: force_locale (a message written
    in its recipient's language) and refresh() take the other language, in Python and in templates."""
    from flask import render_template_string
    from flask_babel import force_locale, gettext, refresh

    page = "{{ _('Customers') }}"
    with app.test_request_context("/", headers={"Accept-Language": "zh-CN"}):
        assert gettext("Customers") == "客户" and render_template_string(page) == "客户"
        with force_locale("en"):
            assert gettext("Customers") == "Customers" and render_template_string(page) == "Customers"
        assert gettext("Customers") == "客户" and render_template_string(page) == "客户"
        from flask import session

        session["locale"] = "en"
        refresh()
        assert gettext("Customers") == "Customers" and render_template_string(page) == "Customers"
