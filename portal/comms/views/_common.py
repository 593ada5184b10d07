from flask import abort, request

from ...core.db import db


def is_htmx() -> bool:
    return bool(request.headers.get("HX-Request"))


def get_visible_or_404(model, ident: int, predicate, user, options=()):
    """Load a record the predicate lets the user see; a foreign id is a 404, like a missing one.
    ``options`` are loader options for what the page reads of it (its author, say)."""
    obj = db.session.get(model, ident, options=options)
    if obj is None or not predicate(user, obj):
        abort(404)
    return obj
