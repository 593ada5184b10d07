"""Work plans and reports: filing, late marking, missing ones, director comments, cadence, reminders."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import home_html, sign_in
from sqlalchemy import func, select

from portal.comms import queries as q
from portal.comms.cli import remind
from portal.comms.models import WorkPlan, WorkReport
from portal.comms.schedule import current_slot, rules_for, slot_for
from portal.core import settings
from portal.core.db import db
from portal.core.periods import Period, local_today
from portal.notifications.models import Notification

SH = ZoneInfo("Asia/Shanghai")
FUTURE_WEEK = "2027-W10"  # due in the future: filed on time
PAST_WEEK = "2026-W20"  # long past: filed late


def test_rep_files_plan_then_report_against_it(client, world):
    sign_in(client, world.rep_a)
    resp = client.post(f"/comms/plans/new?slot={FUTURE_WEEK}",
                       data={"items": "Visit Hengrui\n- Call Bosch\n\n* Quote for Hikvision", "notes": "busy week"})
    assert resp.status_code == 302
    plan = db.session.scalar(select(WorkPlan))
    assert [i.text for i in plan.items] == ["Visit Hengrui", "Call Bosch", "Quote for Hikvision"]
    assert plan.period_start == Period.parse(FUTURE_WEEK).start and not plan.late
    # Revising keeps one plan and its first filing time.
    first = plan.submitted_at
    client.post(f"/comms/plans/new?slot={FUTURE_WEEK}", data={"items": "Visit Hengrui\nCall Bosch"})
    db.session.refresh(plan)
    assert len(plan.items) == 2 and plan.submitted_at == first
    assert db.session.scalar(select(func.count(WorkPlan.id))) == 1
    form = client.get(f"/comms/reports/new?slot={FUTURE_WEEK}").get_data(as_text=True)
    assert "Visit Hengrui" in form and "Call Bosch" in form
    ids = [i.id for i in plan.items]
    resp = client.post(f"/comms/reports/new?slot={FUTURE_WEEK}", data={
        "lines-0-plan_item_id": ids[0], "lines-0-done": "y", "lines-0-result": "Contract next month",
        "lines-1-plan_item_id": ids[1], "lines-1-result": "", "lines-1-problems": "Buyer away",
        "extra": "Met a new distributor", "summary": "Good week", "problems": "Prices"})
    assert resp.status_code == 302
    report = db.session.scalar(select(WorkReport))
    assert report.plan_id == plan.id and not report.late
    assert [(i.text, i.done, i.plan_item_id is not None) for i in report.items] == [
        ("Visit Hengrui", True, True), ("Call Bosch", False, True), ("Met a new distributor", True, False)]
    assert report.items[1].problems == "Buyer away"
    # The director is told; a second report for the same week is refused (one record).
    assert db.session.scalar(select(Notification).where(Notification.kind == "report_filed")).user_id == \
        world.director_a.id
    client.post(f"/comms/reports/new?slot={FUTURE_WEEK}", data={"summary": "again"})
    assert db.session.scalar(select(func.count(WorkReport.id))) == 1
    # Once reported, the plan is frozen.
    resp = client.post(f"/comms/plans/new?slot={FUTURE_WEEK}", data={"items": "Something else"})
    assert resp.status_code == 200
    db.session.refresh(plan)
    assert len(plan.items) == 2


def test_late_is_marked(client, world):
    sign_in(client, world.rep_a)
    client.post(f"/comms/plans/new?slot={PAST_WEEK}", data={"items": "Late plan"})
    client.post(f"/comms/reports/new?slot={PAST_WEEK}", data={"summary": "Late report"})
    assert db.session.scalar(select(WorkPlan)).late
    assert db.session.scalar(select(WorkReport)).late
    page = client.get("/comms/work").get_data(as_text=True)
    assert "text-bg-danger" in page


def test_report_without_anything_refused(client, world):
    sign_in(client, world.rep_a)
    resp = client.post(f"/comms/reports/new?slot={FUTURE_WEEK}", data={"summary": ""})
    assert resp.status_code == 200 and db.session.scalar(select(func.count(WorkReport.id))) == 0


def test_who_sees_plans_and_comments(client, world):
    sign_in(client, world.rep_a)
    client.post(f"/comms/plans/new?slot={FUTURE_WEEK}", data={"items": "Secret plan"})
    plan = db.session.scalar(select(WorkPlan))
    for person, status in [(world.rep_a, 200), (world.director_a, 200), (world.gm, 200), (world.rep_a2, 404),
                           (world.rep_b, 404), (world.director_b, 404)]:
        sign_in(client, person)
        assert client.get(f"/comms/plans/{plan.id}").status_code == status, person.username
    # Only the team's director comments; the rep is told.
    sign_in(client, world.director_b)
    assert client.post(f"/comms/plans/{plan.id}/comment", data={"comment": "x"}).status_code == 404
    sign_in(client, world.rep_a)
    assert client.post(f"/comms/plans/{plan.id}/comment", data={"comment": "x"}).status_code == 403
    sign_in(client, world.director_a)
    client.post(f"/comms/plans/{plan.id}/comment", data={"comment": "Focus on **big** accounts"})
    db.session.refresh(plan)
    assert plan.comment == "Focus on **big** accounts" and plan.commented_by_id == world.director_a.id
    assert db.session.scalar(select(Notification).where(Notification.kind == "work_comment")).user_id == world.rep_a.id
    sign_in(client, world.rep_a)
    assert "<strong>big</strong>" in client.get(f"/comms/plans/{plan.id}").get_data(as_text=True)


def test_missing_work_on_director_panel(client, world):
    # Thursday 26 November 2026, 20:00: this week's plan (Mon 10:00) is past due; its report (Fri) is not.
    now = datetime(2026, 11, 26, 20, tzinfo=SH).astimezone(UTC)
    db.session.add(WorkPlan(owner_id=world.rep_a.id, team_id=world.team_a.id, cadence="week",
                            period_start=date(2026, 11, 23), due_at=now, submitted_at=now))
    db.session.commit()
    missing = q.missing_work({world.team_a.id}, now=now)
    keys = {(m["rep"].username, m["what"], m["slot"].start) for m in missing}
    assert ("rep_a2", "plan", date(2026, 11, 23)) in keys
    assert ("rep_a", "plan", date(2026, 11, 23)) not in keys
    assert ("rep_a", "report", date(2026, 11, 16)) in keys  # last week's report never came
    assert not any(w == "report" and s == date(2026, 11, 23) for _, w, s in keys)
    assert not any(u == "rep_b" for u, _, _ in keys)  # other teams are not this director's business
    sign_in(client, world.director_a)
    home = home_html(client)
    assert f"<strong>{world.rep_a2.display_name}</strong>" in home  # the missing list, not the roster


def test_daily_cadence_setting(client, world):
    sign_in(client, world.rep_a)
    assert client.get("/comms/team-rules").status_code == 403
    sign_in(client, world.director_a)
    assert client.get("/comms/team-rules").status_code == 200
    resp = client.post("/comms/team-rules", data={
        "report_cadence": "day", "weekly_plan_weekday": 0, "weekly_plan_time": "10:00",
        "weekly_report_weekday": 4, "weekly_report_time": "17:30", "daily_plan_time": "09:00",
        "daily_report_time": "18:30"})
    assert resp.status_code == 302
    rules = rules_for(world.team_a.id)
    assert rules.cadence == "day" and rules.daily_report_time == "18:30"
    assert rules_for(world.team_b.id).cadence == "week"  # the other team keeps the default
    # Bad input is shown again, not a 500.
    resp = client.post("/comms/team-rules", data={"report_cadence": "day", "weekly_plan_time": "25:99"})
    assert resp.status_code == 200
    # A daily slot is a working day, due at the team's time.
    slot = current_slot(rules)
    assert slot.cadence == "day" and slot.report_due.astimezone(SH).strftime("%H:%M") == "18:30"
    sign_in(client, world.rep_a)
    client.post(f"/comms/plans/new?slot={slot.key}", data={"items": "Call five customers"})
    assert db.session.scalar(select(WorkPlan)).cadence == "day"


def test_remind_reports_is_idempotent(app, world):
    settings.put("comms.report_cadence", "week")
    db.session.commit()
    now = datetime(2026, 11, 26, 20, tzinfo=SH).astimezone(UTC)  # Thursday evening
    with app.test_request_context("/"):
        made = remind(now=now)
        db.session.commit()
        again = remind(now=now)
        db.session.commit()
    assert made > 0 and again == 0
    notes = db.session.scalars(select(Notification)).all()
    by = {(n.user_id, n.kind) for n in notes}
    # Friday's report is due within a day: "due" to every rep; this week's plan is missing: "missing"
    # to each rep and to their director.
    for rep in (world.rep_a, world.rep_a2, world.rep_b):
        assert (rep.id, "report_due") in by and (rep.id, "report_missing") in by
    assert (world.director_a.id, "report_missing") in by and (world.director_b.id, "report_missing") in by
    assert not any(n.user_id == world.gm.id for n in notes)


def test_remind_command(runner, world):
    result = runner.invoke(args=["remind-reports"])
    assert result.exit_code == 0 and "notification(s) created" in result.output
    again = runner.invoke(args=["remind-reports"])
    assert again.output.startswith("0 ")


def test_slot_keys_round_trip(app):
    rules = rules_for(None)
    slot = slot_for(rules, local_today())
    assert slot_for(rules, Period.parse(slot.key).start).start == slot.start
    assert slot.start + timedelta(days=7) == slot_for(rules, slot.start + timedelta(days=7)).start
