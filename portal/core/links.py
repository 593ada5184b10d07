"""Paths to pages, built from endpoint names, with or without a request (CLI, demo seeding)."""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app, has_request_context, url_for


def path_for(endpoint: str, **values) -> str:
    """The site-relative path of an endpoint, e.g. for a notification's link."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


# An id no real row has; the built URL is split around it (integer converters print it as is).
_MARK = 987654321


def id_paths(endpoint: str, key: str, **values) -> Callable[[int], str]:
    """``url_for(endpoint, key=id, **values)`` for the many ids of a list: the URL is built once and each
    id is set into it. ``key`` must be an ``int`` route argument or a query argument given ints (its digits
    need no quoting either way)."""
    head, mark, tail = url_for(endpoint, **{key: _MARK}, **values).partition(str(_MARK))
    if not mark:
        raise ValueError(f"{endpoint}: {key} is not part of the path")
    return lambda value: f"{head}{int(value)}{tail}"
