from flask import render_template
from flask_login import current_user

from ..authz import SIGNED_IN, policy
from ..ui import panels_for
from . import bp


@bp.route("/")
@policy(SIGNED_IN)
def index():
    """The signed-in user's home page: the panels registered for their role."""
    panels = [(panel, panel.context(current_user)) for panel in panels_for(current_user)]
    return render_template("home/index.html", panels=panels)
