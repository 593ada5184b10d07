"""Uploaded files (portal/core/uploads.py and the features that take files): size limits with clear
messages, content checked against the extension, names made by the server, downloads only for those
who may see the record, sent as attachments that are never sniffed."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from conftest import sign_in
from samples_training import PNG, make_course
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.core.db import db
from portal.plans.models import BudgetCategory, Expense

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
MB = 1024 * 1024


@pytest.fixture
def category(world):
    travel = BudgetCategory(name="Travel", position=10)
    db.session.add(travel)
    db.session.commit()
    return travel


def expense_data(world, category, description="taxi", **extra):
    return {"owner_id": world.rep_a.id, "category_id": category.id, "spent_on": "2026-06-02", "amount": "10.00",
            "description": description, "confirm": "1", **extra}  # no budget: confirmed at once


def post_receipt(client, world, category, content: bytes, name: str, description="taxi"):
    # Encoded here, in memory: the test client would spool a large body to a temporary file that a
    # refused (413) request never reads, and leave it open.
    boundary, body = encode_multipart(expense_data(world, category, description,
                                                   receipt=FileStorage(io.BytesIO(content), name)))
    return client.post("/plans/expenses/new", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def fetch(client, url):
    resp = client.get(url)
    try:
        return resp.status_code, resp.headers, resp.data
    finally:
        resp.close()


@pytest.mark.parametrize("locale, words", [("en", "at most 3 MB in one go"), ("zh_CN", "3 MB")])
def test_oversize_request_gets_a_413_page_in_the_users_language(make_app, world, category, locale, words):
    app = make_app(MAX_CONTENT_LENGTH=3 * MB, UPLOAD_MAX_BYTES=1 * MB)
    world.director_a.locale = locale
    db.session.commit()
    client = app.test_client()
    sign_in(client, world.director_a)
    resp = post_receipt(client, world, category, PDF + b"0" * (4 * MB), "big.pdf")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 413
    assert words in body
    assert ("File too large" if locale == "en" else "文件过大") in body
    assert db.session.scalar(select(Expense)) is None


def test_a_file_above_the_upload_limit_is_a_form_error_and_keeps_the_input(make_app, world, category):
    app = make_app(MAX_CONTENT_LENGTH=3 * MB, UPLOAD_MAX_BYTES=1 * MB)
    world.director_a.locale = "en"
    db.session.commit()
    client = app.test_client()
    sign_in(client, world.director_a)
    resp = post_receipt(client, world, category, PDF + b"0" * (2 * MB), "big.pdf", description="我的出租车")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "The file is larger than 1 MB." in body and "我的出租车" in body
    assert db.session.scalar(select(Expense)) is None


@pytest.mark.parametrize("content, name", [
    (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "receipt.pdf"),  # HTML named .pdf
    (PNG, "receipt.pdf"),  # an image named .pdf
    (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "receipt.svg"),
    (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', "receipt.png"),
    (b"GIF89a<html><script>alert(1)</script></html>", "receipt.gif"),  # a GIF/HTML polyglot
    (b"%PDF-1.4\n<html><body><script>alert(1)</script></body></html>", "receipt.pdf"),  # PDF/HTML polyglot
    (b"\x89PNG\r\n\x1a\n<iframe src=x>", "receipt.png"),
    (b"MZ\x90\x00", "receipt.exe"),
    (b"", "receipt.pdf"),
])
def test_content_must_match_the_extension(client, world, category, content, name):
    world.director_a.locale = "en"
    db.session.commit()
    sign_in(client, world.director_a)
    root = Path(client.application.config["UPLOAD_FOLDER"])
    before = set(root.rglob("*"))
    resp = post_receipt(client, world, category, content, name)
    assert resp.status_code == 200
    assert db.session.scalar(select(Expense)) is None
    assert set(root.rglob("*")) == before  # nothing stored


def test_names_are_made_by_the_server(client, world, category, app):
    sign_in(client, world.director_a)
    resp = post_receipt(client, world, category, PDF, "../../../etc/evil\x00name.pdf")
    assert resp.status_code == 302, re.findall(r'alert[^>]*>(.*?)</div>', resp.get_data(as_text=True), re.S)
    expense = db.session.scalar(select(Expense))
    assert re.fullmatch(r"\d{4}/\d{2}/[0-9a-f]{32}\.pdf", expense.receipt_key)
    assert "evil" not in expense.receipt_key and ".." not in expense.receipt_key
    assert expense.receipt_name == "evil_name.pdf"
    root = Path(app.config["UPLOAD_FOLDER"]).resolve()
    assert (root / expense.receipt_key).is_file()
    assert not any("evil" in str(p) for p in root.parent.rglob("*"))  # nothing named by the client, anywhere
    status, headers, _body = fetch(client, f"/plans/expenses/{expense.id}/receipt")
    assert status == 200 and "evil_name.pdf" in headers["Content-Disposition"] and "/" not in \
        headers["Content-Disposition"]


def test_receipts_are_attachments_for_those_who_may_see_the_expense(client, world, category):
    sign_in(client, world.director_a)
    assert post_receipt(client, world, category, PDF, "bus.pdf").status_code == 302
    expense = db.session.scalar(select(Expense))
    url = f"/plans/expenses/{expense.id}/receipt"
    for inline in ("", "?inline=1"):  # a PDF is never shown inline
        status, headers, body = fetch(client, url + inline)
        assert status == 200 and body == PDF
        assert headers["Content-Type"] == "application/pdf"
        assert headers["Content-Disposition"].startswith("attachment;")
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in headers["Content-Security-Policy"]
    for who, status in ((world.rep_a2, 404), (world.director_b, 404), (world.rep_b, 404), (world.admin, 403),
                        (world.rep_a, 200), (world.gm, 200)):
        sign_in(client, who)
        assert fetch(client, url)[0] == status, who.username


def test_training_images_inline_documents_as_attachments(client, world):
    from portal.training.models import TrainingFile

    with client.application.test_request_context():
        course, _quiz = make_course(world.director_a)
    lesson = course.lessons[0]
    sign_in(client, world.director_a)
    for data in ({"file": (io.BytesIO(PNG), "chart.png")},  # an image for the question bank
                 {"lesson_id": lesson.id, "file": (io.BytesIO(PDF), "handout.pdf")},
                 {"lesson_id": lesson.id, "file": (io.BytesIO(b"GIF89a<script>x</script>"), "x.gif")},
                 {"file": (io.BytesIO(PDF), "not-an-image.pdf")}):
        assert client.post(f"/training/courses/{course.id}/files", data=data,
                           content_type="multipart/form-data").status_code == 302
    files = {f.name: f for f in db.session.scalars(select(TrainingFile))}
    assert set(files) == {"chart.png", "handout.pdf"}  # the polyglot and the PDF as an image were refused
    status, headers, _b = fetch(client, f"/training/files/{files['chart.png'].id}")
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert headers["Content-Disposition"].startswith("inline") and headers["X-Content-Type-Options"] == "nosniff"
    status, headers, _b = fetch(client, f"/training/files/{files['handout.pdf'].id}")
    assert status == 200 and headers["Content-Disposition"].startswith("attachment;")
    for who in (world.director_b, world.rep_b, world.rep_a):  # not enrolled, other team
        sign_in(client, who)
        assert fetch(client, f"/training/files/{files['handout.pdf'].id}")[0] == 404, who.username


def test_send_upload_refuses_paths_outside_the_folder(app):
    from werkzeug.exceptions import NotFound

    from portal.core.uploads import send_upload

    secret = Path(app.config["UPLOAD_FOLDER"]).parent / "secret.txt"
    secret.write_text("no")
    with app.test_request_context(), pytest.raises(NotFound):
        send_upload("../secret.txt", "x.txt", "text/plain")
