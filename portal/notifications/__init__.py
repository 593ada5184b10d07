"""Notifications: the in-app inbox every feature posts to (and e-mail when SMTP is configured)."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/inbox")


def init_app(app):
    from flask_babel import lazy_gettext as _l

    from ..ui import register_nav
    from . import mail, services

    register_nav("notifications.index", _l("Notifications"), {"rep", "director", "gm", "admin"}, order=95)
    mail.init_app(app)
    app.context_processor(lambda: {"notifications_unread": services.unread_count})


from . import views  # noqa: E402,F401
