"""Contracts (合同) with their payments received (回款), and orders (定单)."""
from flask import Blueprint

bp = Blueprint("contracts", __name__, url_prefix="/contracts")


def init_app(app):
    import click
    from flask_babel import lazy_gettext as _l

    from ..approvals.services import on_decided
    from ..ui import register_nav
    from . import collections, demo, timeline  # noqa: F401 - demo data; contracts, orders and payments on timelines

    on_decided("contract", collections.on_contract_decided)

    @app.cli.command("remind-instalments")
    @click.option("--date", "day", default=None, help="Act as if today were this day (YYYY-MM-DD).")
    def remind_instalments(day):
        """Remind reps and directors of instalments falling due, due today or overdue (run daily from cron)."""
        from datetime import date

        from ..core.db import db

        counts = collections.remind_instalments(date.fromisoformat(day) if day else None)
        db.session.commit()
        click.echo(f"{counts['before']} due soon, {counts['due']} due today, {counts['overdue']} newly overdue")

    register_nav("contracts.index", _l("Contracts"), {"rep", "director", "gm"}, order=32)
    register_nav("contracts.orders", _l("Orders"), {"rep", "director", "gm"}, order=32)
    register_nav("contracts.instalments", _l("Collection plans"), {"rep", "director", "gm"}, order=33)
    register_nav("contracts.invoices", _l("Invoice requests"), {"gm", "admin"}, order=33)


from . import views, views_collections  # noqa: E402,F401
