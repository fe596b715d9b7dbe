"""A chapter's meeting rhythm: the `[schedule]` section of its file, and its occurrences.

Either weekdays + a local start time, or an RFC 5545 RRULE (python-dateutil) with the same start
time. Occurrences are computed as local wall-clock times and only then given the chapter's time
zone, so "Tuesdays 07:00 Europe/London" stays 07:00 across the DST changes (06:00 UTC in summer,
07:00 in winter). An empty section means the chapter has no fixed rhythm: the bot comes only
when invited (`/meetbot invite`).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil import rrule as rr

from meetbot.domain.ranges import Range, check
from meetbot.errors import ConfigError

WEEKDAYS = {
    "monday": rr.MO,
    "tuesday": rr.TU,
    "wednesday": rr.WE,
    "thursday": rr.TH,
    "friday": rr.FR,
    "saturday": rr.SA,
    "sunday": rr.SU,
}
# An RRULE's week count (INTERVAL=2) needs a first day to count from; a Monday long ago keeps
# "every other week" the same weeks no matter when the file was loaded.
DEFAULT_ANCHOR = "2024-01-01"
# A rule with nothing in the next two years is a mistake (BYMONTHDAY=31;BYMONTH=2, an UNTIL
# in the past), not a rhythm.
HORIZON = timedelta(days=2 * 366)
DAY_MIN = 24 * 60.0


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One meeting of one chapter: the key that makes it happen exactly once."""

    chapter: str
    start: datetime  # aware
    length_s: float

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("an occurrence's start must carry its time zone")
        if self.length_s <= 0:
            raise ValueError(f"an occurrence lasts more than 0 s, got {self.length_s}")

    @property
    def key(self) -> str:
        """chapter + scheduled start in UTC: the same meeting gives the same key everywhere."""
        return f"{self.chapter}@{self.start.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.length_s)


@dataclass(frozen=True, slots=True)
class Schedule:
    weekdays: tuple[str, ...] = ()
    start: str = ""  # local HH:MM
    length_min: float = 90.0
    timezone: str = ""  # empty = the chapter's timezone
    rrule: str = ""
    anchor: str = DEFAULT_ANCHOR
    join_before_min: float = 3.0

    def __post_init__(self) -> None:
        # A meeting and its lead are minutes within a day (NaN and inf refused too).
        check(
            self,
            {"length_min": Range(0.0, DAY_MIN, above=True), "join_before_min": Range(0.0, DAY_MIN)},
        )
        if self.timezone:
            zone(self.timezone, "schedule.timezone")
        for day in self.weekdays:
            if _weekday(day) is None:
                raise ConfigError(
                    f"schedule.weekdays: {day!r} is not a weekday; use names such as "
                    "'tuesday' or 'tue'"
                )
        if self.weekdays and self.rrule:
            raise ConfigError("schedule: give weekdays or rrule, not both")
        if not self.active:
            if self.start:
                raise ConfigError(
                    "schedule.start is set but no weekdays or rrule say which days; add "
                    "weekdays = ['tuesday'] (or an rrule)"
                )
            return
        if not self.start:
            raise ConfigError("schedule.start is missing; give the local start time as 'HH:MM'")
        self.start_time()
        self.anchor_date()
        rule = self._rule()
        first = next(self._local(rule, datetime.now(UTC).replace(tzinfo=None)), None)
        if first is None:
            raise ConfigError(
                f"schedule never occurs in the next two years ({self.describe()}); check the "
                "days, BYMONTHDAY/BYMONTH and UNTIL"
            )

    @property
    def active(self) -> bool:
        return bool(self.weekdays or self.rrule)

    def start_time(self) -> time:
        m = re.fullmatch(r"(\d{1,2}):(\d{2})", self.start.strip())
        if m is None or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise ConfigError(f"schedule.start must be HH:MM (24-hour clock), got {self.start!r}")
        return time(int(m.group(1)), int(m.group(2)))

    def anchor_date(self) -> date:
        try:
            return date.fromisoformat(self.anchor)
        except ValueError:
            raise ConfigError(
                f"schedule.anchor must be a date YYYY-MM-DD, got {self.anchor!r}"
            ) from None

    def describe(self) -> str:
        days = f"RRULE {self.rrule}" if self.rrule else "every " + ", ".join(self.weekdays)
        return f"{days} at {self.start}"

    def occurrences(
        self, chapter: str, default_tz: str, after: datetime, count: int
    ) -> list[Occurrence]:
        """The next `count` meetings that start at or after `after` (aware)."""
        if not self.active:
            return []
        tz = zone(self.timezone or default_tz, "schedule.timezone")
        local_after = after.astimezone(tz).replace(tzinfo=None)
        out = []
        for naive in self._local(self._rule(), local_after):
            start = _aware(naive, tz)
            if start < after:
                continue
            out.append(Occurrence(chapter, start, self.length_min * 60))
            if len(out) == count:
                break
        return out

    def _rule(self) -> rr.rrule | rr.rruleset:
        at = self.start_time()
        dtstart = datetime.combine(self.anchor_date(), at)
        if self.weekdays:
            days = [_weekday(d) for d in self.weekdays]
            return rr.rrule(rr.WEEKLY, byweekday=days, dtstart=dtstart)
        text = self.rrule.strip()
        text = text.removeprefix("RRULE:")
        try:
            rule = rr.rrulestr(text, dtstart=dtstart, forceset=False)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"schedule.rrule {self.rrule!r} is not an RFC 5545 RRULE ({exc}); e.g. "
                "'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU'"
            ) from None
        # A rule without BYHOUR takes its time of day from dtstart, i.e. schedule.start.
        return rule

    @staticmethod
    def _local(rule: rr.rrule | rr.rruleset, after: datetime) -> Iterator[datetime]:
        """Naive local starts from `after` on, within the horizon."""
        for found in rule.xafter(after, inc=True):
            if found > after + HORIZON:
                return
            yield found


def _weekday(name: str) -> rr.weekday | None:
    key = name.strip().lower()
    for full, day in WEEKDAYS.items():
        if len(key) >= 2 and full.startswith(key):
            return day
    return None


def _aware(naive: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    """Local wall time in `tz`. A time the spring-forward gap skips becomes the same instant
    written with the new offset (02:30 → 03:30), as a calendar does."""
    aware = naive.replace(tzinfo=tz)
    return aware.astimezone(UTC).astimezone(tz)


def zone(name: str, key: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{key} {name!r} is not a known time zone; use an IANA name such as 'Europe/London'"
        ) from None
