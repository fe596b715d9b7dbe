"""Shared phrasing: durations, dates, percentages and safe names.

Every renderer goes through these so a figure reads the same in a Discord post, a card, the
HTML report and the CSV. Nothing here depends on the locale: month and day names are spelled
out below so output is byte-identical on every machine.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Discord Markdown that could restyle a name, quote, spoil, link or start a heading.
_MARKDOWN = re.compile(r"([\\*_`~|>\[\]()#:])")
_WHITESPACE = re.compile(r"\s+")


def zone(name: str) -> tzinfo:
    """The chapter's timezone, or a one-line error saying what a valid name looks like."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown timezone {name!r}: use an IANA name such as 'Europe/London' or 'UTC'"
        ) from exc


def local(moment: datetime, timezone: str) -> datetime:
    """`moment` in the chapter's timezone; a naive datetime is taken as UTC (how we store it)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone(timezone))


def long_date(moment: datetime, timezone: str) -> str:
    """'Tuesday 3 March 2026' in the chapter's timezone."""
    d = local(moment, timezone)
    return f"{WEEKDAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1]} {d.year}"


def short_date(moment: datetime, timezone: str) -> str:
    """'3 Mar 2026': for tables and chart axes where space is short."""
    d = local(moment, timezone)
    return f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}"


def clock(moment: datetime, timezone: str) -> str:
    """'19:05' in the chapter's timezone."""
    return local(moment, timezone).strftime("%H:%M")


def duration(seconds: float) -> str:
    """'45 s', '1 min 15 s', '41 min', '1 h 35 min'.

    Short spans keep their seconds (a member's turn is 30-60 s, so '1 min' would hide the
    difference between 61 and 89 s); long ones are rounded to the minute, which is all a
    person can use when reading about a 90-minute meeting.
    """
    total = int(max(seconds, 0.0) + 0.5)
    if total < 60:
        return f"{total} s"
    if total < 600:
        minutes, rest = divmod(total, 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    minutes = int(total / 60 + 0.5)
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def minutes_pair(part_s: float, whole_s: float) -> str:
    """'41 of 47 minutes' when both are long enough to round; '50 s of 2 min 10 s' otherwise."""
    part, whole = int(part_s / 60 + 0.5), int(whole_s / 60 + 0.5)
    if whole_s >= 600 and part_s >= 60:
        if part < whole or part_s >= whole_s:
            return f"{part} of {whole} minutes"
        # "16 of 16 minutes" for 944 of 976 s would read as a perfect score: say the seconds.
        return f"{_min_s(part_s)} of {_min_s(whole_s)}"
    return f"{duration(part_s)} of {duration(whole_s)}"


def _min_s(seconds: float) -> str:
    minutes, rest = divmod(int(seconds + 0.5), 60)
    return f"{minutes} min {rest} s"


def percent(value: float | None) -> str:
    """'87%', or an em dash where there is no figure (never a misleading 0%)."""
    return "—" if value is None else f"{int(value + 0.5)}%"


def score(value: float | None) -> str:
    """A listening score as people see it: '87 / 100', or 'not enough data'."""
    return "not enough data" if value is None else f"{int(value + 0.5)} / 100"


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 visitor', '2 visitors'."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def joined(items: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plain_name(name: str) -> str:
    """A display name on one line, with '@' made harmless.

    Names come from whatever people typed into the meeting client; '@everyone' or '<@123>'
    must never become a mention anywhere we post, so '@' becomes the full-width '＠', which
    reads the same and which no chat platform treats as a mention.
    """
    return _WHITESPACE.sub(" ", name).strip().replace("@", "＠") or "(no name)"


def md_name(name: str) -> str:
    """A display name safe inside Markdown: no mentions, no styling, no links."""
    return _MARKDOWN.sub(r"\\\1", plain_name(name))
