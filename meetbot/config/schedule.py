"""A chapter's meeting rhythm: the `[schedule]` section of its file, and its occurrences.

Either weekdays + a local start time, or an RFC 5545 RRULE (python-dateutil) with the same start
time. Occurrences are computed as local wall-clock times and only then given the chapter's time
zone, so "Tuesdays 07:00 Europe/London" stays 07:00 across the DST changes (06:00 UTC in summer,
07:00 in winter). An empty section means the chapter has no fixed rhythm: the bot comes only
when invited (`/meetbot invite`).

A chapter has one bot, so a rule is refused unless its meetings can follow one another: at most
daily (FREQ=DAILY or slower), at most PER_DAY a day, each start at least length_min +
join_before_min after the one before. Every check looks at the two years from the anchor, never
at the clock, and ends in bounded time whatever the rule.
"""

from __future__ import annotations

import functools
import itertools
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
# dateutil counts every occurrence from the anchor on: a century bounds how far that is.
ANCHORS = (date(2000, 1, 1), date(2099, 12, 31))
# A rule with nothing in the two years from its anchor is a mistake (BYMONTHDAY=31;BYMONTH=2,
# an UNTIL before the anchor), not a rhythm.
HORIZON = timedelta(days=2 * 366)
DAY_MIN = 24 * 60.0
# HOURLY, MINUTELY and SECONDLY start a meeting before the last one ends (and listing two years
# of SECONDLY took longer than anyone waits).
FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
PER_DAY = 4  # meetings a day at most (on average over the two years checked)
CHECKED = PER_DAY * HORIZON.days
# The Gregorian calendar repeats every 400 years (146097 days, a whole number of weeks).
CYCLE_YEARS = 400


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
        # Added in UTC: on the start's own zone Python would add on the wall clock, an hour
        # off for a meeting that spans a DST change.
        return (self.start.astimezone(UTC) + timedelta(seconds=self.length_s)).astimezone(
            self.start.tzinfo
        )


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
        starts = _first_starts(self)
        if not starts:
            raise ConfigError(
                f"schedule never occurs in the two years from schedule.anchor {self.anchor} "
                f"({self.describe()}); check the days, BYMONTHDAY/BYMONTH, UNTIL and the anchor"
            )
        if len(starts) > CHECKED:
            raise ConfigError(
                f"schedule.rrule {self.rrule!r} starts more than {PER_DAY} meetings a day; a "
                f"chapter meets at most {PER_DAY} times a day, each start at least length_min "
                "+ join_before_min after the one before"
            )

    def check_spacing(self, default_tz: str) -> None:
        """Refuse meetings closer than length_min + join_before_min: the chapter's one bot
        joins join_before_min early and stays length_min. Needs the chapter's zone (a DST
        change moves meetings 1 h closer), so the loader asks, not __post_init__."""
        if not self.active:
            return
        tz = zone(self.timezone or default_tz, "schedule.timezone")
        need = timedelta(minutes=self.length_min + self.join_before_min)
        # In UTC: Python subtracts two times of one zone on the wall clock, blind to DST.
        starts = sorted(_aware(naive, tz).astimezone(UTC) for naive in _first_starts(self))
        for first, second in itertools.pairwise(starts):
            if second - first < need:
                key = "schedule.rrule" if self.rrule else "schedule.weekdays"
                one, two = first.astimezone(tz), second.astimezone(tz)
                raise ConfigError(
                    f"{key}: meetings start {_duration(second - first)} apart "
                    f"({one:%Y-%m-%d %H:%M:%S %Z} and {two:%Y-%m-%d %H:%M:%S %Z}, {tz.key}); "
                    "one bot serves a chapter, so each start must be at least length_min + "
                    f"join_before_min ({_duration(need)}) after the one before"
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
            day = date.fromisoformat(self.anchor)
        except ValueError:
            day = None
        if day is None or not ANCHORS[0] <= day <= ANCHORS[1]:
            raise ConfigError(
                f"schedule.anchor must be a date YYYY-MM-DD from {ANCHORS[0]} to "
                f"{ANCHORS[1]}, got {self.anchor!r}"
            )
        return day

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

    def _rule(self) -> rr.rrule:
        at = self.start_time()
        dtstart = datetime.combine(self.anchor_date(), at)
        if self.weekdays:
            days = [_weekday(d) for d in self.weekdays]
            return rr.rrule(rr.WEEKLY, byweekday=days, dtstart=dtstart)
        text = self.rrule.strip()
        text = text.removeprefix("RRULE:")
        example = "e.g. 'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU'"
        if ":" in text or "\n" in text:
            # A DTSTART line would replace schedule.anchor and start; EXDATE/RDATE make a set.
            raise ConfigError(
                f"schedule.rrule {self.rrule!r} must be one RRULE (no DTSTART, EXDATE or "
                f"RDATE lines; the first day is schedule.anchor); {example}"
            )
        try:
            rule = rr.rrulestr(text, dtstart=dtstart, forceset=False)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                f"schedule.rrule {self.rrule!r} is not an RFC 5545 RRULE ({exc}); {example}"
            ) from None
        assert isinstance(rule, rr.rrule)  # one line, forceset=False
        # dateutil writes the rule back in its canonical form (FREQ=..., upper case).
        canonical = str(rule)
        freq = re.search(r"FREQ=(\w+)", canonical)
        if freq is None or freq.group(1) not in FREQS:
            raise ConfigError(
                f"schedule.rrule {self.rrule!r} starts meetings more often than daily; use "
                f"FREQ={', '.join(FREQS)} (at most {PER_DAY} meetings a day), {example}"
            )
        if "BYEASTER" in canonical:
            # dateutil's own extension, and Easter does not repeat with the calendar (below).
            raise ConfigError(f"schedule.rrule {self.rrule!r}: BYEASTER is not RFC 5545")
        # A rule without BYHOUR takes its time of day from dtstart, i.e. schedule.start.
        return rule

    @staticmethod
    def _local(rule: rr.rrule, after: datetime) -> Iterator[datetime]:
        """Naive local starts from `after` on, within the horizon."""
        for found in rule.xafter(after, inc=True):
            if found > after + HORIZON:
                return
            yield found


@functools.lru_cache(maxsize=1024)
def _first_starts(schedule: Schedule) -> tuple[datetime, ...]:
    """Naive local starts in the two years from the anchor, at most CHECKED + 1 of them.

    Loading a chapter builds its Schedule more than once; the same value is counted once.
    """
    rule = schedule._rule()
    first = datetime.combine(schedule.anchor_date(), schedule.start_time())
    # dateutil walks period after period until a start matches, up to the year 9999 even past
    # UNTIL: a rule that never matches (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) took 14 s. The same
    # rule counted from the same day 400·k years later gives the same starts 400·k years later,
    # so count there, in the last cycle before 9999, where that walk ends within 400 years.
    cycles = (date.max.year - 3 - first.year) // CYCLE_YEARS
    late = first.replace(year=first.year + cycles * CYCLE_YEARS)
    probe = rule.replace(dtstart=late, until=late + HORIZON, count=None)
    found = sum(1 for _ in itertools.islice(probe, CHECKED + 1))
    # The rule's own UNTIL or COUNT can only end it sooner: its starts are the first of these,
    # and each step to the next one is short since that one exists.
    return tuple(itertools.islice(rule, found))


def _duration(span: timedelta) -> str:
    seconds = span.total_seconds()
    if seconds < 60:
        return f"{seconds:g} s"
    if seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min"


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
