"""When work plans and reports are due: the team's cadence and times, on Chinese working days."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from ..core import settings
from ..core.periods import Period, company_tz, is_working_day, local_today

settings.declare("comms.report_cadence", "week")  # "week" or "day" (日报), per team
settings.declare("comms.weekly_plan_weekday", 0)  # Monday
settings.declare("comms.weekly_plan_time", "10:00")
settings.declare("comms.weekly_report_weekday", 4)  # Friday
settings.declare("comms.weekly_report_time", "18:00")
settings.declare("comms.daily_plan_time", "09:30")
settings.declare("comms.daily_report_time", "18:00")

KEYS = ("comms.report_cadence", "comms.weekly_plan_weekday", "comms.weekly_plan_time",
        "comms.weekly_report_weekday", "comms.weekly_report_time", "comms.daily_plan_time",
        "comms.daily_report_time")


@dataclass(frozen=True)
class Rules:
    cadence: str = "week"
    weekly_plan_weekday: int = 0
    weekly_plan_time: str = "10:00"
    weekly_report_weekday: int = 4
    weekly_report_time: str = "18:00"
    daily_plan_time: str = "09:30"
    daily_report_time: str = "18:00"


@dataclass(frozen=True)
class Slot:
    """One plan/report pair: the week (or day) it covers and when each is due."""

    cadence: str
    start: date
    plan_due: datetime | None
    report_due: datetime | None

    @property
    def key(self) -> str:
        return Period.containing("week", self.start).key if self.cadence == "week" else self.start.isoformat()


def rule_values(team_id: int | None) -> dict:
    """The team's values for every comms setting (team, else company, else default)."""
    return {key.removeprefix("comms."): settings.get(key, team_id) for key in KEYS}


def rules_for(team_id: int | None) -> Rules:
    values = rule_values(team_id)
    values["cadence"] = values.pop("report_cadence")
    try:
        return Rules(**values)
    except TypeError:  # pragma: no cover - a malformed stored value: fall back to the defaults
        return Rules()


def _at(day: date, hhmm: str) -> datetime:
    hour, minute = (int(x) for x in str(hhmm).split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=company_tz()).astimezone(UTC)


def due_day_in_week(week_start: date, weekday: int) -> date | None:
    """The chosen weekday if it is a working day; else the nearest earlier working day of the
    same week; else the next working day of that week; None when the whole week is off."""
    wanted = week_start + timedelta(days=weekday)
    for offset in range(weekday, -1, -1):
        day = week_start + timedelta(days=offset)
        if is_working_day(day):
            return day
    for offset in range(weekday + 1, 7):
        day = week_start + timedelta(days=offset)
        if is_working_day(day):
            return day
    return None if not is_working_day(wanted) else wanted


def slot_for(rules: Rules, day: date) -> Slot:
    """The slot that covers ``day`` (its week, or the day itself for daily reports)."""
    if rules.cadence == "day":
        if not is_working_day(day):
            return Slot("day", day, None, None)
        return Slot("day", day, _at(day, rules.daily_plan_time), _at(day, rules.daily_report_time))
    start = day - timedelta(days=day.weekday())
    plan_day = due_day_in_week(start, rules.weekly_plan_weekday)
    report_day = due_day_in_week(start, rules.weekly_report_weekday)
    return Slot("week", start, _at(plan_day, rules.weekly_plan_time) if plan_day else None,
                _at(report_day, rules.weekly_report_time) if report_day else None)


def slots_between(rules: Rules, first: date, end: date) -> list[Slot]:
    """Every slot whose covered week/day starts in [first - 6 days, end): callers filter by due time."""
    out = []
    day = first - timedelta(days=6)
    step = timedelta(days=1)
    if rules.cadence != "day":
        # One slot per week: from the Monday of the first day's week, a week at a time (a day at a time
        # worked out each week's due times seven times over: most of a rep's punctuality panel).
        day, step = day - timedelta(days=day.weekday()), timedelta(days=7)
    while day < end:
        slot = slot_for(rules, day)
        if slot.plan_due or slot.report_due:
            out.append(slot)
        day += step
    return out


def current_slot(rules: Rules, today: date | None = None) -> Slot:
    today = today or local_today()
    slot = slot_for(rules, today)
    if rules.cadence == "day" and slot.report_due is None:
        # A day off: the next working day's plan is the one to write.
        day = today
        for _ in range(30):
            day += timedelta(days=1)
            if is_working_day(day):
                return slot_for(rules, day)
    return slot


def previous_slot(rules: Rules, slot: Slot) -> Slot | None:
    day = slot.start
    for _ in range(30):
        day -= timedelta(days=1 if rules.cadence == "day" else 7)
        prev = slot_for(rules, day)
        if prev.report_due or prev.plan_due:
            return prev
    return None


def parse_slot(rules: Rules, key: str | None) -> Slot:
    """A slot from a key (2026-W48 or 2026-11-26); bad keys give the current slot."""
    if key:
        try:
            if "-W" in key.upper():
                return slot_for(rules, Period.parse(key).start)
            return slot_for(rules, date.fromisoformat(key))
        except ValueError:
            pass
    return current_slot(rules)
