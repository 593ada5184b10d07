"""Uploaded files: checked by content, named by the server, stored outside static/.

A feature keeps its own row for each file (who may see it); this module only checks, stores and
sends the bytes. Files live under UPLOAD_FOLDER (default instance/uploads) and are only ever sent
by a view that has checked the user's right to see the record they belong to.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, send_file
from flask_babel import gettext as _

from .errors import ServiceError

# What each kind of file must start with (its "magic" bytes), by extension.
_SIGNATURES = {
    "pdf": [b"%PDF-"],
    "png": [b"\x89PNG\r\n\x1a\n"],
    "jpg": [b"\xff\xd8\xff"],
    "jpeg": [b"\xff\xd8\xff"],
    "gif": [b"GIF87a", b"GIF89a"],
    "webp": [b"RIFF"],
    "docx": [b"PK\x03\x04"],
    "xlsx": [b"PK\x03\x04"],
    "pptx": [b"PK\x03\x04"],
    "doc": [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"],
    "xls": [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"],
    "ppt": [b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"],
}
MIME = {
    "pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
    "gif": "image/gif", "webp": "image/webp",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint",
}
IMAGES = {"png", "jpg", "jpeg", "gif", "webp"}
# Only these are ever sent inline (shown in a page); everything else is a download.
INLINE_TYPES = {MIME[k] for k in IMAGES}
# Markup a browser could take for a page, looked for where browsers sniff (the first kilobyte): a
# polyglot (a GIF or PDF header in front of HTML) is refused even though its first bytes match.
_MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|iframe|object|embed|svg|meta)|javascript:",
                     re.IGNORECASE)
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\"<>|:*?]")
RECEIPTS = IMAGES | {"pdf"}
DOCUMENTS = RECEIPTS | {"docx", "xlsx", "pptx", "doc", "xls", "ppt"}


@dataclass(frozen=True)
class StoredFile:
    key: str  # relative path under the upload folder, e.g. "2026/11/3f2a….pdf"
    original_name: str
    content_type: str
    size: int


def upload_root() -> Path:
    folder = current_app.config.get("UPLOAD_FOLDER") or str(Path(current_app.instance_path) / "uploads")
    return Path(folder)


def save_upload(file_storage, allowed: set[str], field: str = "file") -> StoredFile:
    """Check a werkzeug FileStorage and store it; raise ServiceError (for the form) when refused.

    The stored path is made by the server (date folders and a random name); the name the browser
    sent is kept only as a label for the download, reduced to its last part.
    """
    name = client_name(file_storage.filename)
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in allowed:
        raise ServiceError(_("This type of file is not accepted. Allowed: %(kinds)s",
                             kinds=", ".join(sorted(allowed))), field)
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = file_storage.read(limit + 1)
    if len(data) > limit:
        raise ServiceError(_("The file is larger than %(mb)s MB.", mb=limit // (1024 * 1024)), field)
    if not data:
        raise ServiceError(_("The file is empty."), field)
    if not any(data.startswith(sig) for sig in _SIGNATURES[ext]) or (ext == "webp" and data[8:12] != b"WEBP") \
            or _MARKUP.search(data[:1024]):
        raise ServiceError(_("The file's content does not match its extension."), field)
    from .periods import local_today

    today = local_today()
    key = f"{today.year}/{today.month:02d}/{uuid.uuid4().hex}.{ext}"
    path = upload_root() / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return StoredFile(key=key, original_name=name[-200:], content_type=MIME[ext], size=len(data))


def client_name(raw: str | None) -> str:
    """The last part of the name the browser sent ("../../x.pdf" → "x.pdf"), without control or
    quoting characters: a label only, never part of a path."""
    name = re.split(r"[\\/]", (raw or "").strip())[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    return name[-200:]


def send_upload(key: str, download_name: str, content_type: str, inline: bool = False):
    """Send a stored file: an attachment, unless a safe image type is shown inline on a page.

    The response may not be sniffed (nosniff) and, opened on its own, runs nothing (a sandboxing
    Content-Security-Policy).
    """
    root = upload_root().resolve()
    path = (root / key).resolve()
    if root not in path.parents or not path.is_file():
        from werkzeug.exceptions import NotFound

        raise NotFound()
    inline = inline and content_type in INLINE_TYPES
    response = send_file(path, mimetype=content_type, as_attachment=not inline,
                         download_name=client_name(download_name) or "file", max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def delete_upload(key: str) -> None:
    path = (upload_root() / key).resolve()
    if upload_root().resolve() in path.parents and path.is_file():
        path.unlink()
