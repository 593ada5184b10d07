"""A director assigns a task to two reps, one completes it, the director sees 1/2 done; a rep raises a
difficulty, the director answers inline and escalates it, the general manager replies."""
from __future__ import annotations

from datetime import timedelta

from conftest import PASSWORD

from portal.core.periods import local_today
from tests.browser.conftest import sign_in_page


def _switch(page, username):
    page.context.clear_cookies()
    sign_in_page(page, username, PASSWORD)


def test_task_assigned_completed_and_counted(page, world):
    sign_in_page(page, "dir_a", PASSWORD)
    page.goto("/comms/tasks/new")
    page.fill("#title", "拜访重点客户")
    page.fill("#description", "本周内完成，**提交**拜访记录。")
    page.fill("#due_on", (local_today() + timedelta(days=5)).isoformat())
    page.check(f"input[name=assignee_ids][value='{world.rep_a.id}']")
    page.check(f"input[name=assignee_ids][value='{world.rep_a2.id}']")
    page.click("form.js-once button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/comms/tasks/" in page.url
    task_url = page.url
    assert page.locator("#progress-count").inner_text().startswith("0/2")

    _switch(page, "rep_a")
    page.goto("/inbox/")
    assert page.locator("text=拜访重点客户").count() >= 1
    page.goto(task_url)
    page.fill("textarea[name=report]", "已拜访 5 家客户")
    page.click("form[action$='/complete'] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.locator("text=已拜访 5 家客户").count() == 1

    _switch(page, "dir_a")
    page.goto(task_url)
    assert page.locator("#progress-count").inner_text().startswith("1/2")
    assert page.locator("#nav-unread").inner_text().strip() == "1"  # the rep's "done" notification


def test_difficulty_escalated_and_answered_by_gm(page, world):
    sign_in_page(page, "rep_a", PASSWORD)
    page.goto("/comms/threads/new")
    page.select_option("#kind", "difficulty")
    page.fill("#subject", "客户要求延长账期")
    page.fill("#body", "恒瑞医药要求 120 天账期。")
    page.click("form.js-once button[type=submit]")
    page.wait_for_load_state("networkidle")
    thread_url = page.url
    assert "/comms/threads/" in thread_url

    _switch(page, "dir_a")
    page.goto(thread_url)
    page.fill("#thread-conversation textarea[name=body]", "我先和财务确认。<script>alert(1)</script>")
    page.click("#thread-conversation button[type=submit]")
    page.wait_for_selector("text=我先和财务确认。")
    assert page.url == thread_url  # answered inline, no reload
    assert page.locator("#thread-conversation textarea[name=body]").input_value() == ""
    assert page.locator("#thread-messages li").count() == 2
    assert "<script>alert(1)</script>" in page.locator("#thread-messages").inner_text()  # shown as text
    page.click("#escalate-btn")
    page.wait_for_load_state("networkidle")
    assert page.locator("#escalate-btn").count() == 0

    _switch(page, "the_gm")
    page.goto("/")
    page.locator("text=客户要求延长账期").first.wait_for()  # on the GM's escalations panel (htmx)
    page.goto(thread_url)
    assert page.locator("text=恒瑞医药要求 120 天账期。").count() == 1  # the history stays
    page.fill("#thread-conversation textarea[name=body]", "可以给 90 天。")
    page.click("#thread-conversation button[type=submit]")
    page.wait_for_selector("text=可以给 90 天。")
    assert page.locator("#thread-messages li").count() == 4  # question, answer, escalation, GM reply

    _switch(page, "rep_a")
    page.goto(thread_url)
    assert page.locator("text=可以给 90 天。").count() == 1
    # The rep sees that the director and the GM have read the question (receipts sent by the pages).
    receipt = page.locator(".read-receipt").first.inner_text()
    assert world.director_a.display_name in receipt and world.gm.display_name in receipt
