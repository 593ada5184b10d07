"""A rep opens an assigned course, reads a lesson, takes the quiz and passes; the director's matrix shows it."""
from __future__ import annotations

from conftest import PASSWORD
from samples_training import assign_to, make_course

from portal.core.db import db
from portal.training.models import Attempt, Question
from tests.browser.conftest import sign_in_page

JOURNEY_GIFT = """::Open question::Which is an open question?
{=What does your buying process look like? ~Are you free today?}

::Listening::A rep should talk more than the customer. {F}

::Calls::12 calls a day for 5 days makes how many calls? {#60}
"""


def test_rep_takes_an_assigned_course_and_the_director_sees_it(page, world, app):
    with app.test_request_context():
        course, quiz = make_course(world.director_a, gift_source=JOURNEY_GIFT, lessons=1, per_page=2,
                                   time_limit_minutes=15, title="顾问式销售 Consultative selling")
        assign_to(world.director_a, course, world.rep_a)
    page.on("dialog", lambda dialog: dialog.accept())

    sign_in_page(page, "rep_a", PASSWORD)
    page.locator("text=顾问式销售 Consultative selling").first.wait_for()  # the home panel (htmx)
    page.goto("/training/my")
    page.click("text=顾问式销售 Consultative selling")
    page.click("text=Lesson 1")
    assert page.locator("article strong").inner_text() == "1"  # the lesson's Markdown
    page.click("button:has-text('标记为完成')")
    page.wait_for_load_state("networkidle")
    page.click("text=Check")
    page.click("button:has-text('开始测验')")
    page.wait_for_url("**/training/attempts/*")
    assert page.locator("#quiz-timer").count() == 1

    page.check("label:has-text('What does your buying process look like?')")
    page.wait_for_selector("#save-status :text('已保存')")  # saved by htmx, no reload
    page.check("label:has-text('错')")
    page.click("button:has-text('下一页')")
    page.wait_for_load_state("networkidle")
    page.fill("input[inputmode=decimal]", "60")
    page.click("#finish-button")
    page.wait_for_load_state("networkidle")
    assert page.locator("text=100.00").count() >= 1
    with app.app_context():
        attempt = db.session.query(Attempt).one()
        assert attempt.state == "finished" and str(attempt.score) == "100.00"
        assert db.session.query(Question).count() == 3

    page.context.clear_cookies()
    sign_in_page(page, "dir_a", PASSWORD)
    page.goto("/training/reports/matrix")
    cell = page.locator("td[data-status=passed]")
    assert cell.count() == 1
    assert "100.00" in cell.inner_text()
