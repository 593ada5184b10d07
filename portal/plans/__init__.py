"""Sales plans and targets, seasonal profiles, budgets and expenses, target status and the GM's view."""
from flask import Blueprint

bp = Blueprint("plans", __name__, url_prefix="/plans")


_TIER_COLOURS = {"base": "info", "sprint": "primary", "challenge": "success"}


def init_app(app):
    from flask_babel import gettext
    from flask_babel import lazy_gettext as _l
    from markupsafe import Markup, escape

    from ..i18n import fmt_number, fmt_percent, money
    from ..ui import register_nav
    from . import demo, panels  # noqa: F401 - registers panels and demo data
    from .forms import TIER_LABELS
    from .views.status import colour_label

    # A measure's figure: money for amounts, whole numbers for counts (a rate keeps one decimal).
    # Python functions rather than template macros: a status page writes hundreds of them.
    @app.template_global("fig")
    def fig(status, value):
        return "—" if value is None else (money(value) if status.is_money else fmt_number(value))

    @app.template_global("rate")
    def rate(status, value):
        return "—" if value is None else (money(value) if status.is_money else fmt_number(value, 1))

    # The completion badge with its bar, and the tier reached: written once per measure and per team or rep
    # row of a status page, so Python, not macros (a macro call costs more than the cell).
    @app.template_global("completion_cell")
    def completion_cell(status):
        if status.completion is None:
            return Markup('<span class="text-muted">—</span>')
        pct = escape(fmt_percent(status.completion))
        # An f-string of escaped values (every one is): Markup.format costs several times more, and a company
        # page writes this for every team.
        return Markup(  # noqa: S704  # nosec B704
            f'<span class="badge text-bg-{escape(status.colour)}" title="{escape(colour_label(status.colour))}">'
            f'{pct}</span>\n<progress class="d-block w-100 mt-1" max="100" '
            f'value="{escape(min(status.completion, 100))}" aria-label="{escape(gettext("Completion"))}">{pct}'
            "</progress>")

    @app.template_global("tier_cell")
    def tier_cell(status):
        if status.tier:  # the values escaped, as above
            return Markup(  # noqa: S704  # nosec B704
                f'<span class="badge text-bg-{_TIER_COLOURS[status.tier]}">{escape(TIER_LABELS[status.tier])}</span>')
        if status.base is not None:
            return Markup(f'<span class="text-muted small">{escape(gettext("not yet"))}</span>')  # noqa: S704 # nosec B704
        return "—"

    register_nav("plans.overview", _l("Sales status"), {"director", "gm"}, order=30)
    register_nav("plans.status", _l("My targets"), {"rep"}, order=30)
    register_nav("plans.index", _l("Sales plans"), {"rep", "director", "gm"}, order=31)
    register_nav("plans.budgets", _l("Budget"), {"director", "gm"}, order=33)
    register_nav("plans.expenses", _l("Expenses"), {"rep"}, order=33)

    @app.cli.command("rebuild-rollups")
    def rebuild_rollups():
        """Recompute the monthly sales rollup from the orders, contracts, payments and customers;
        every worker drops the targets and pipeline it keeps (rows written with SQL bypass both)."""
        import click

        from ..core.db import db

        click.echo(f"{rollup.rebuild(db.session)} cells")
        db.session.commit()


from . import rollup, views  # noqa: E402,F401 - rollup keeps SalesMonth current on every flush
