"""Company settings, kept by the administrator."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from ..ui import register_nav

    register_nav("admin.settings", _l("Settings"), {"admin"}, order=95)


from . import views  # noqa: E402,F401
