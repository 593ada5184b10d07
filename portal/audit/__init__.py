"""The audit log and its browser for the administrator and the general manager."""
from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from ..ui import register_nav
    from . import services  # noqa: F401 - installs the flush listener

    register_nav("audit.index", _l("Audit log"), {"gm", "admin"}, order=96)


from . import views  # noqa: E402,F401
