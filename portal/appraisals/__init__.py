"""Performance appraisals (绩效考核): the 12-item sheet computed from the records, reviewed and archived."""
from flask import Blueprint

bp = Blueprint("appraisals", __name__, url_prefix="/appraisals")


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from ..ui import register_nav
    from . import archive, demo, panels  # noqa: F401 - profile section, demo data, home panels

    register_nav("appraisals.index", _l("Appraisals"), {"rep", "director", "gm"}, order=60)


from . import views  # noqa: E402,F401
