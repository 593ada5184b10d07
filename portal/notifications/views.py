"""The inbox: one's notifications, newest first; marking read; the navigation badge."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..authz import SIGNED_IN, policy
from ..core.db import db
from ..core.pagination import paginate
from ..security import background_request, safe_next
from . import bp, services
from .models import Notification


@bp.route("/")
@policy(SIGNED_IN)
def index():
    show = request.args.get("show", "all")
    stmt = select(Notification).where(Notification.user_id == current_user.id)
    if show == "unread":
        stmt = stmt.where(Notification.read_at.is_(None))
    page = paginate(stmt.order_by(Notification.created_at.desc(), Notification.id.desc()))
    return render_template("notifications/index.html", page=page, show=show,
                           unread=services.unread_count(current_user))


@bp.route("/<int:note_id>/open", methods=["POST"])
@policy(SIGNED_IN)
def open_note(note_id: int):
    """Mark one read and go to what it is about."""
    note = db.session.get(Notification, note_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    services.mark_read(current_user, note)
    return redirect(safe_next(note.link) or url_for("notifications.index"))


@bp.route("/<int:note_id>/read", methods=["POST"])
@policy(SIGNED_IN)
def mark_read(note_id: int):
    note = db.session.get(Notification, note_id)
    if note is None or note.user_id != current_user.id:
        abort(404)
    services.mark_read(current_user, note)
    if request.headers.get("HX-Request"):
        return render_template("notifications/_row.html", note=note)
    return redirect(safe_next(request.form.get("next")) or url_for("notifications.index"))


@bp.route("/read-all", methods=["POST"])
@policy(SIGNED_IN)
def mark_all_read():
    services.mark_all_read(current_user)
    flash(_("All notifications marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.route("/badge")
@policy(SIGNED_IN)
def badge():
    """The unread count for the navigation, polled by htmx; does not renew the idle timeout."""
    background_request()
    return render_template("notifications/_badge.html", unread=services.unread_count(current_user))
