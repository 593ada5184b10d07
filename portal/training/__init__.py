"""Rep training: courses of lessons, a question bank (GIFT import/export), quizzes, assignments, reports."""
from flask import Blueprint

bp = Blueprint("training", __name__, url_prefix="/training")


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from ..ui import register_nav
    from . import demo, panels  # noqa: F401 - registers panels, the profile section and demo data

    register_nav("training.index", _l("Training"), {"rep", "director", "gm", "admin"}, order=60)


from . import views  # noqa: E402,F401
