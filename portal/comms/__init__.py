"""Communication up and down: tasks, threads, work plans and reports, sales summaries, director reports."""
from flask import Blueprint

bp = Blueprint("comms", __name__, url_prefix="/comms")


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from ..ui import register_nav
    from . import cli, demo, panels, profile  # noqa: F401 - panels, archive section, demo data, commands
    from .templating import template_helpers

    # One menu entry: the comms pages share a tab bar (tasks, threads, plans & reports, summaries,
    # reports to the GM), and the layout marks an entry active for every page of its blueprint.
    register_nav("comms.index", _l("Communication"), {"rep", "director", "gm"}, order=40)
    app.context_processor(template_helpers)
    cli.init_app(app)


from . import views  # noqa: E402,F401
