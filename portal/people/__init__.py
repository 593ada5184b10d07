"""People: accounts, teams, roles, transfers and each person's profile page."""
from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/people")


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from ..ui import register_nav
    from . import demo, panels  # noqa: F401 - registers panels and demo data

    register_nav("people.index", _l("People"), {"director", "gm", "admin"}, order=80)


from . import views  # noqa: E402,F401
