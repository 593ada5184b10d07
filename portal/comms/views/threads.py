"""Threads, upward: a rep raises something with their director, who may take it to the GM."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ...authz import DIRECTOR, MANAGERS, REP, SALES, policy
from ...core.errors import ServiceError
from ...core.pagination import paginate
from .. import bp, services
from .. import queries as q
from ..forms import KIND_LABELS, NoteForm, ReplyForm, ThreadForm
from ..models import Thread
from ._common import get_visible_or_404, is_htmx


@bp.route("/threads")
@policy(SALES)
def threads():
    """The threads I may see: my own (rep), my team's (director), escalated ones (GM)."""
    stmt = q.visible_threads(current_user).options(joinedload(Thread.author), joinedload(Thread.team))
    status = request.args.get("status", "open")
    if status in ("open", "resolved"):
        stmt = stmt.where(Thread.status == status)
    kind = request.args.get("kind", "")
    if kind in KIND_LABELS:
        stmt = stmt.where(Thread.kind == kind)
    if request.args.get("escalated") == "1":
        stmt = stmt.where(Thread.escalated_at.is_not(None))
    page = paginate(stmt.order_by(Thread.last_message_at.desc(), Thread.id.desc()))
    unread = q.unread_thread_ids(current_user, [t.id for t in page.items])
    return render_template("comms/threads.html", page=page, unread=unread, status=status, kind=kind)


@bp.route("/threads/new", methods=["GET", "POST"])
@policy(REP)
def thread_new():
    form = ThreadForm()
    if request.method == "GET" and request.args.get("customer_id", type=int):
        form.customer_id.data = request.args.get("customer_id", type=int)
    if form.validate_on_submit():
        try:
            thread = services.open_thread(current_user, kind=form.kind.data, subject=form.subject.data,
                                          body=form.body.data, customer_id=form.customer_id.data,
                                          token=form.token.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Sent to your director."), "success")
            return redirect(url_for("comms.thread_detail", thread_id=thread.id))
    return render_template("comms/thread_form.html", form=form)


def _viewer():
    """The signed-in user itself: current_user is a proxy that costs on every attribute read."""
    return current_user._get_current_object()


def _conversation(thread: Thread, viewer, form: ReplyForm | None = None):
    messages = q.thread_messages(thread.id)
    receipts = _receipt_texts(q.read_receipts(viewer.id, messages, q.thread_reads(thread.id)))
    if form is None:
        form = ReplyForm(formdata=None)
    return {"thread": thread, "messages": messages, "receipts": receipts, "form": form, "viewer": viewer,
            "can_reply": q.can_reply_thread(viewer, thread)}


def _receipt_texts(receipts: dict[int, list[str]]) -> dict[int, str]:
    """The read-receipt line of each of the viewer's messages. A thread has a couple of readers, so the
    same line recurs on most messages: each distinct one is translated once. Plain text: the template
    escapes it (names included) as it prints it."""
    texts: dict[tuple[str, ...], str] = {}
    out = {}
    for message_id, names in receipts.items():
        key = tuple(names)
        if key not in texts:
            texts[key] = _("Read by %(names)s", names=", ".join(names)) if names else _("Not read yet")
        out[message_id] = texts[key]
    return out


@bp.route("/threads/<int:thread_id>")
@policy(SALES)
def thread_detail(thread_id: int):
    viewer = _viewer()
    thread = get_visible_or_404(Thread, thread_id, q.can_see_thread, viewer, options=[joinedload(Thread.author)])
    return render_template("comms/thread_detail.html", **_conversation(thread, viewer))


@bp.route("/threads/<int:thread_id>/conversation")
@policy(SALES)
def thread_conversation(thread_id: int):
    """The messages and reply box alone, for htmx (refreshes read receipts without a reload)."""
    viewer = _viewer()
    thread = get_visible_or_404(Thread, thread_id, q.can_see_thread, viewer)
    return render_template("comms/_conversation.html", **_conversation(thread, viewer))


@bp.route("/threads/<int:thread_id>/read", methods=["POST"])
@policy(SALES)
def thread_read(thread_id: int):
    """Record that the viewer has seen the conversation (the read receipt). Sent by the page once it
    is shown, so that opening a page (a GET) never writes."""
    thread = get_visible_or_404(Thread, thread_id, q.can_see_thread, current_user)
    services.mark_read(current_user, thread)
    return "", 204


@bp.route("/threads/<int:thread_id>/reply", methods=["POST"])
@policy(SALES)
def thread_reply(thread_id: int):
    thread = get_visible_or_404(Thread, thread_id, q.can_see_thread, current_user,
                                options=[joinedload(Thread.author)])
    form = ReplyForm()
    if form.validate_on_submit():
        try:
            services.reply(current_user, thread, form.body.data, token=form.token.data)
        except ServiceError as err:
            err.attach(form)
        else:
            form = None  # a fresh, empty box with a new token
            if not is_htmx():
                return redirect(url_for("comms.thread_detail", thread_id=thread.id))
    if is_htmx():
        return render_template("comms/_conversation.html", **_conversation(thread, _viewer(), form))
    return render_template("comms/thread_detail.html", **_conversation(thread, _viewer(), form))


def _thread_action(thread_id: int, action, done_message):
    thread = get_visible_or_404(Thread, thread_id, q.can_see_thread, current_user)
    form = NoteForm()
    form.validate_on_submit()
    try:
        action(current_user, thread, form.note.data)
    except ServiceError as err:
        flash(err.message, "danger")
    else:
        flash(done_message, "success")
    return redirect(url_for("comms.thread_detail", thread_id=thread.id))


@bp.route("/threads/<int:thread_id>/escalate", methods=["POST"])
@policy(DIRECTOR)
def thread_escalate(thread_id: int):
    """Take the thread to the GM, who joins it with its whole history."""
    return _thread_action(thread_id, services.escalate, _("Escalated to the general manager."))


@bp.route("/threads/<int:thread_id>/resolve", methods=["POST"])
@policy(MANAGERS)
def thread_resolve(thread_id: int):
    return _thread_action(thread_id, services.resolve, _("Marked as resolved."))


@bp.route("/threads/<int:thread_id>/reopen", methods=["POST"])
@policy(REP | DIRECTOR)
def thread_reopen(thread_id: int):
    return _thread_action(thread_id, services.reopen, _("Reopened."))
