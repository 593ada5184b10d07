"""Periods: week, month, quarter and year boundaries, and working days in the Chinese calendar.

Every feature asks this module for a period's bounds so "this month" means the same everywhere.
A period is a half-open range of local dates [start, end) in the company's time zone; ``bounds_utc``
turns it into the UTC instants the database compares against.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

KINDS = ("week", "month", "quarter", "year")
DEFAULT_TZ = "Asia/Shanghai"


def company_tz() -> ZoneInfo:
    name = current_app.config.get("TIMEZONE", DEFAULT_TZ) if has_app_context() else DEFAULT_TZ
    return ZoneInfo(name)


def local_today() -> date:
    return datetime.now(company_tz()).date()


def local_midnight(day: date) -> datetime:
    """The UTC instant at which a local calendar day starts."""
    return datetime.combine(day, time.min, tzinfo=company_tz()).astimezone(UTC)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(company_tz())


@dataclass(frozen=True, order=True)
class Period:
    kind: str
    start: date  # first day, inclusive
    end: date  # day after the last, exclusive

    @classmethod
    def containing(cls, kind: str, day: date) -> Period:
        if kind == "week":  # weeks start on Monday
            start = day - timedelta(days=day.weekday())
            return cls(kind, start, start + timedelta(days=7))
        if kind == "month":
            start = day.replace(day=1)
            return cls(kind, start, _add_months(start, 1))
        if kind == "quarter":
            start = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
            return cls(kind, start, _add_months(start, 3))
        if kind == "year":
            return cls(kind, date(day.year, 1, 1), date(day.year + 1, 1, 1))
        raise ValueError(f"unknown period kind {kind!r}")

    @classmethod
    def current(cls, kind: str) -> Period:
        return cls.containing(kind, local_today())

    @classmethod
    def parse(cls, key: str) -> Period:
        """Read a key made by ``key``: 2026, 2026-Q4, 2026-11, 2026-W48 (ISO week)."""
        key = key.strip().upper()
        try:
            if "-W" in key:
                year, week = key.split("-W")
                return cls.containing("week", date.fromisocalendar(int(year), int(week), 1))
            if "-Q" in key:
                year, quarter = key.split("-Q")
                if not 1 <= int(quarter) <= 4:
                    raise ValueError
                return cls.containing("quarter", date(int(year), 3 * int(quarter) - 2, 1))
            if "-" in key:
                year, month = key.split("-")
                return cls.containing("month", date(int(year), int(month), 1))
            return cls.containing("year", date(int(key), 1, 1))
        except ValueError as exc:
            raise ValueError(f"not a period: {key!r}") from exc

    @property
    def key(self) -> str:
        if self.kind == "week":
            iso = self.start.isocalendar()
            return f"{iso.year}-W{iso.week:02d}"
        if self.kind == "month":
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}"

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def bounds_utc(self) -> tuple[datetime, datetime]:
        """[start, end) as UTC instants, for filtering timestamp columns."""
        return local_midnight(self.start), local_midnight(self.end)

    def previous(self) -> Period:
        return Period.containing(self.kind, self.start - timedelta(days=1))

    def next(self) -> Period:
        return Period.containing(self.kind, self.end)

    def same_last_year(self) -> Period:
        if self.kind == "week":
            iso = self.start.isocalendar()
            try:
                return Period.containing("week", date.fromisocalendar(iso.year - 1, iso.week, 1))
            except ValueError:  # week 53 has no twin
                return Period.containing("week", self.start - timedelta(days=364))
        return Period.containing(self.kind, self.start.replace(year=self.start.year - 1))

    def children(self, kind: str) -> list[Period]:
        """The periods of a smaller kind that start inside this one (months of a year…)."""
        out, day = [], self.start
        while day < self.end:
            p = Period.containing(kind, day)
            if p.start >= self.start:
                out.append(p)
            day = p.end
        return out

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end

    def elapsed_fraction(self, today: date | None = None) -> float:
        today = today or local_today()
        if today < self.start:
            return 0.0
        if today >= self.end:
            return 1.0
        return (today - self.start).days / self.days

    def working_days(self) -> int:
        return working_days_between(self.start, self.end)

    def working_weeks(self) -> float:
        """Working days / 5: the weeks a rep actually had to sell in."""
        return working_days_between(self.start, self.end) / 5


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """Chinese working days: public holidays off, adjusted Saturdays/Sundays (调休) on.

    Years the chinesecalendar package does not cover yet fall back to Monday–Friday.
    """
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(day))
    except (NotImplementedError, ImportError):
        return day.weekday() < 5


def working_days_between(start: date, end: date) -> int:
    """Working days in [start, end)."""
    n, day = 0, start
    while day < end:
        n += is_working_day(day)
        day += timedelta(days=1)
    return n


def add_working_hours(moment: datetime, hours: float, day_start: int = 9, day_end: int = 18) -> datetime:
    """The instant ``hours`` working hours after ``moment`` (office hours on working days).

    Used for service windows such as "answered within 24 working hours".
    """
    local = to_local(moment)
    remaining = timedelta(hours=hours)
    tz = local.tzinfo
    while True:
        day = local.date()
        open_at = datetime.combine(day, time(day_start), tzinfo=tz)
        close_at = datetime.combine(day, time(day_end), tzinfo=tz)
        if not is_working_day(day) or local >= close_at:
            local = datetime.combine(day + timedelta(days=1), time(day_start), tzinfo=tz)
            continue
        if local < open_at:
            local = open_at
        available = close_at - local
        if remaining <= available:
            return (local + remaining).astimezone(UTC)
        remaining -= available
        local = datetime.combine(day + timedelta(days=1), time(day_start), tzinfo=tz)
