"""The question bank: questions written in GIFT with a live preview, GIFT import and export."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ...authz import ADMIN, DIRECTOR, policy
from ...core.db import db
from ...core.errors import ServiceError
from ...core.pagination import paginate
from .. import bp, gift, services
from ..forms import QTYPE_LABELS, FileForm, ImportForm, QuestionForm
from ..models import Question, QuestionCategory, TrainingFile
from .common import editable_course_or_404, question_or_404

BUILDERS = DIRECTOR | ADMIN
MAX_IMPORT_BYTES = 2 * 1024 * 1024


@bp.route("/courses/<int:course_id>/bank")
@policy(BUILDERS)
def bank(course_id: int):
    course = editable_course_or_404(course_id)
    stmt = select(Question).options(joinedload(Question.category)).where(Question.course_id == course.id)
    category_id = request.args.get("category", type=int)
    if category_id:
        stmt = stmt.where(Question.category_id == category_id)
    page = paginate(stmt.order_by(Question.category_id, Question.id))
    categories = list(db.session.scalars(select(QuestionCategory).where(QuestionCategory.course_id == course.id)
                                         .order_by(QuestionCategory.name)))
    images = list(db.session.scalars(select(TrainingFile).where(TrainingFile.course_id == course.id,
                                                                TrainingFile.lesson_id.is_(None))))
    return render_template("training/bank.html", course=course, page=page, categories=categories,
                           category_id=category_id, qtypes=QTYPE_LABELS, images=images, file_form=FileForm())


def _question_form(course, question: Question | None):
    form = QuestionForm()
    if request.method == "GET" and question is not None:
        form.source.data = gift.export_question({**services.question_as_gift(question), "category": None})
        form.category.data = question.category.name if question.category else ""
        form.mark.data = question.mark
        form.case_sensitive.data = question.case_sensitive
    if form.validate_on_submit():
        try:
            question = services.save_question(current_user, course, question, source=form.source.data,
                                              category=form.category.data, mark=form.mark.data,
                                              case_sensitive=form.case_sensitive.data)
        except ServiceError as err:
            err.attach(form)
        else:
            flash(_("Question saved."), "success")
            return redirect(url_for("training.bank", course_id=course.id))
    preview, error = _preview(form.source.data)
    return render_template("training/question_form.html", form=form, course=course, question=question,
                           preview=preview, error=error, qtypes=QTYPE_LABELS)


def _preview(source: str | None):
    if not source or not source.strip():
        return None, None
    try:
        return gift.parse_question(source), None
    except gift.GiftError as err:
        return None, err.message


@bp.route("/courses/<int:course_id>/questions/new", methods=["GET", "POST"])
@policy(BUILDERS)
def question_new(course_id: int):
    course = editable_course_or_404(course_id)
    return _question_form(course, None)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@policy(BUILDERS)
def question_edit(question_id: int):
    question = question_or_404(question_id)
    return _question_form(editable_course_or_404(question.course_id), question)


@bp.route("/courses/<int:course_id>/questions/preview", methods=["POST"])
@policy(BUILDERS)
def question_preview(course_id: int):
    """The htmx preview beside the GIFT editor: how the question reads, or why it cannot be read."""
    editable_course_or_404(course_id)
    preview, error = _preview(request.form.get("source"))
    return render_template("training/_question_preview.html", preview=preview, error=error, qtypes=QTYPE_LABELS)


@bp.route("/questions/<int:question_id>/delete", methods=["POST"])
@policy(BUILDERS)
def question_delete(question_id: int):
    question = question_or_404(question_id)
    course_id = question.course_id
    try:
        services.delete_question(current_user, question)
    except ServiceError as err:
        flash(err.message, "warning")
    else:
        flash(_("Question deleted."), "success")
    return redirect(url_for("training.bank", course_id=course_id))


@bp.route("/courses/<int:course_id>/import", methods=["GET", "POST"])
@policy(BUILDERS)
def gift_import(course_id: int):
    """Upload or paste GIFT; see every question found and every line that failed; then import."""
    course = editable_course_or_404(course_id)
    form = ImportForm()
    result, source = None, None
    if form.validate_on_submit():
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            raw = upload.read(MAX_IMPORT_BYTES + 1)
            if len(raw) > MAX_IMPORT_BYTES:
                form.file.errors = [_("The file is larger than 2 MB.")]
            else:
                try:
                    source = raw.decode("utf-8-sig")
                except UnicodeDecodeError:
                    form.file.errors = [_("The file is not UTF-8 text.")]
        else:
            source = form.source.data or ""
        if source is not None and not source.strip() and not form.file.errors:
            form.source.errors = [_("Choose a file or paste some GIFT text.")]
            source = None
        if source is not None:
            if request.form.get("action") == "import":
                made, errors = services.import_gift(current_user, course, source)
                flash(_("%(n)s questions imported; %(bad)s could not be read.", n=len(made), bad=len(errors)),
                      "success" if made else "warning")
                return redirect(url_for("training.bank", course_id=course.id))
            result = gift.parse(source)
            form.source.data = source
    return render_template("training/import.html", form=form, course=course, result=result, qtypes=QTYPE_LABELS)


@bp.route("/courses/<int:course_id>/export.gift")
@policy(BUILDERS)
def gift_export(course_id: int):
    course = editable_course_or_404(course_id)
    text = gift.export([services.question_as_gift(q) for q in services.bank_questions(course)])
    return Response(text, mimetype="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=course-{course.id}.gift"})

