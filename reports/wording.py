"""Shared phrasing: durations, dates, percentages, lists and safe names.

Every renderer goes through these so a figure reads the same in a Discord post, a card, the
HTML report and the CSV. Words come from the language's catalog and numbers, dates and
percentages are written by Babel for its locale (meetbot.language), never from the machine's
locale, so output is byte-identical on every machine. `lang` defaults to English, the language
the messages are written in.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from meetbot.language import ENGLISH, Language

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


def long_date(moment: datetime, timezone: str, lang: Language = ENGLISH) -> str:
    """'Tuesday 3 March 2026' ('Dienstag, 3. März 2026') in the chapter's timezone."""
    return lang.long_date(local(moment, timezone).date())


def short_date(moment: datetime, timezone: str, lang: Language = ENGLISH) -> str:
    """'3 Mar 2026': for tables and chart axes where space is short."""
    return lang.short_date(local(moment, timezone).date())


def clock(moment: datetime, timezone: str, lang: Language = ENGLISH) -> str:
    """'19:05' in the chapter's timezone."""
    return lang.clock(local(moment, timezone).time())


def duration(seconds: float, lang: Language = ENGLISH) -> str:
    """'45 s', '1 min 15 s', '41 min', '1 h 35 min' ('1 Min. 15 Sek.' in German).

    Short spans keep their seconds (a member's turn is 30-60 s, so '1 min' would hide the
    difference between 61 and 89 s); long ones are rounded to the minute, which is all a
    person can use when reading about a 90-minute meeting.
    """
    total = int(max(seconds, 0.0) + 0.5)
    if total < 60:
        return lang.gettext("{seconds} s", seconds=lang.number(total))
    if total < 600:
        return _min_s(total, lang)
    minutes = int(total / 60 + 0.5)
    if minutes < 60:
        return lang.gettext("{minutes} min", minutes=lang.number(minutes))
    hours, rest = divmod(minutes, 60)
    if rest:
        return lang.gettext(
            "{hours} h {minutes} min", hours=lang.number(hours), minutes=lang.number(rest)
        )
    return lang.gettext("{hours} h", hours=lang.number(hours))


def minutes_pair(part_s: float, whole_s: float, lang: Language = ENGLISH) -> str:
    """'41 of 47 minutes' when both are long enough to round; '50 s of 2 min 10 s' otherwise."""
    part, whole = int(part_s / 60 + 0.5), int(whole_s / 60 + 0.5)
    long_enough = whole_s >= 600 and part_s >= 60
    if long_enough and (part < whole or part_s >= whole_s):
        return lang.ngettext(
            "{part} of {count} minute", "{part} of {count} minutes", whole, part=lang.number(part)
        )
    if long_enough:
        # "16 of 16 minutes" for 944 of 976 s would read as a perfect score: say the seconds.
        part_text, whole_text = _min_s(int(part_s + 0.5), lang), _min_s(int(whole_s + 0.5), lang)
    else:
        part_text, whole_text = duration(part_s, lang), duration(whole_s, lang)
    return lang.gettext("{part} of {whole}", part=part_text, whole=whole_text)


def _min_s(total: int, lang: Language) -> str:
    minutes, rest = divmod(total, 60)
    if not rest:
        return lang.gettext("{minutes} min", minutes=lang.number(minutes))
    return lang.gettext(
        "{minutes} min {seconds} s", minutes=lang.number(minutes), seconds=lang.number(rest)
    )


def percent(value: float | None, lang: Language = ENGLISH) -> str:
    """'87%' ('87 %' in German), or an em dash where there is no figure (never a misleading 0%)."""
    return lang.percent(value)


def score(value: float | None, lang: Language = ENGLISH) -> str:
    """A listening score as people see it: '87 / 100', or 'not enough data'."""
    if value is None:
        return lang.gettext("not enough data")
    return lang.gettext("{score} / 100", score=lang.number(int(value + 0.5)))


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 visitor', '2 visitors': English only, for the renderers not yet in the catalogs
    (a translated count is `Language.ngettext` with the whole phrase)."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def joined(items: list[str], lang: Language = ENGLISH) -> str:
    """'A', 'A and B', 'A, B and C'."""
    if len(items) <= 1:
        return "".join(items)
    return lang.gettext("{items} and {last}", items=", ".join(items[:-1]), last=items[-1])


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
