"""Closing the loop: courses tagged for the items a rep scored low on, assignable from the sheet.

A course is suggested for an item when one of its tags is the item's code (``calls``), the item's
name in either language, or one of the short keywords below (the words trainers tag courses with).
"""
from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from ..core.db import db
from ..core.errors import ServiceError

LOW = Decimal("2.50")
KEYWORDS = {
    "actual_sales": ["销售技巧", "成交"],
    "new_customers": ["新客户开发", "客户开发"],
    "visits_existing": ["拜访", "客户拜访"],
    "calls": ["电话拜访", "电话销售"],
    "orders_per_week": ["成交", "订单"],
    "growth": ["销售技巧"],
    "new_prospects": ["新客户开发", "潜在客户"],
    "customers_lost": ["丢失客户", "客户维护"],
    "conduct": ["行为纪律", "职业素养"],
    "plan_report_rate": ["工作计划", "汇报"],
    "request_response": ["需求资源", "客户需求"],
}


def weak_items(appraisal) -> list:
    return [i for i in appraisal.items if i.score is not None and i.score < LOW and i.weight > 0]


def suggested_courses(appraisal, viewer) -> list[tuple]:
    """(item, [courses]) for each weak item that has courses tagged for it, the courses carrying most of the
    item's tags first, then by title (as courses_tagged orders them). One query for all the weak items.
    Only courses the viewer may open are offered (training.services.can_see_course): another team's
    course is neither shown nor assignable."""
    from ..training.queries import courses_tagged_each
    from ..training.services import can_see_course

    items = weak_items(appraisal)
    tagged = courses_tagged_each([(i.metric, i.name_zh, i.name_en, *KEYWORDS.get(i.metric, [])) for i in items])
    out = []
    for item, ranked in zip(items, tagged, strict=True):
        courses = [c for c in ranked if can_see_course(viewer, c)]
        if courses:
            out.append((item, courses[:5]))
    return out


def assign_suggested(actor, appraisal, course_id: int | None) -> None:
    allowed = {c.id for _item, courses in suggested_courses(appraisal, actor) for c in courses}
    if course_id not in allowed:
        raise ServiceError(_("Choose one of the suggested courses."))
    from ..training.models import Course
    from ..training.services import assign

    assign(actor, db.session.get(Course, course_id), user_ids=[appraisal.rep_id])
