from flask import abort, render_template
from flask_login import current_user

from ..authz import SIGNED_IN, policy
from ..ui import panels_for
from . import bp


@bp.route("/")
@policy(SIGNED_IN)
def index():
    """The signed-in user's home page: a frame per panel registered for their role, each filled by htmx.

    Panels load separately so the page costs a handful of queries whatever the number of features,
    and each panel stays bounded on its own (a slow panel never holds the others back).
    """
    return render_template("home/index.html", panels=panels_for(current_user))


@bp.route("/panels/<name>")
@policy(SIGNED_IN)
def panel(name: str):
    """One home-page panel's body; only the panels of the user's own role exist for them."""
    found = next((p for p in panels_for(current_user) if p.name == name), None)
    if found is None:
        abort(404)
    return render_template(found.template, ctx=found.context(current_user), panel=found)
