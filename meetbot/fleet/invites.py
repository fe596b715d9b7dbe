"""One-off meetings: an organiser invites the bot (`/meetbot invite`), and when it comes next.

An invitation is planned like a scheduled meeting (one claims row, chapter + start), so the
scheduler queues it and the claim keeps it to one bot; inviting twice for the same start is
the same meeting.
"""

from __future__ import annotations

import asyncio
import re
import urllib.parse
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from meetbot.config.schedule import Occurrence
from meetbot.config.schema import JANUS
from meetbot.errors import ConfigError
from meetbot.fleet.chapters import Chapters
from meetbot.fleet.claims import Claims, State


@dataclass(frozen=True, slots=True)
class Link:
    """A Janus meeting link: its WebSocket API and the VideoRoom, e.g. wss://host/janus#1234
    or wss://host/janus?room=1234."""

    url: str
    room: int

    @classmethod
    def parse(cls, text: str) -> Link:
        parts = urllib.parse.urlsplit(text.strip())
        room = parts.fragment or urllib.parse.parse_qs(parts.query).get("room", [""])[0]
        if parts.scheme not in ("ws", "wss") or not parts.netloc or not room.isdigit():
            raise ConfigError(
                f"{text!r} is not a meeting link meetbot can join; give the Janus address with "
                "its room, e.g. wss://meet.example.org/janus#1234"
            )
        query = urllib.parse.urlencode(
            [(k, v) for k, v in urllib.parse.parse_qsl(parts.query) if k != "room"]
        )
        url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))
        return cls(url, int(room))


def parse_start(text: str | None, timezone: str, now: datetime) -> datetime:
    """'HH:MM' (the next such local time), an ISO date-time, or nothing (now)."""
    if not text:
        return now
    tz = zoneinfo.ZoneInfo(timezone)
    if m := re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip()):
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 23 or minute > 59:
            raise ConfigError(f"start {text!r} is not a time of day; use HH:MM")
        local = now.astimezone(tz).replace(hour=hour, minute=minute, second=0, microsecond=0)
        return local if local >= now - timedelta(minutes=5) else local + timedelta(days=1)
    try:
        start = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"start {text!r} is not a time; use HH:MM (today, in the chapter's time zone) or "
            "2026-03-03T07:00"
        ) from None
    return start if start.tzinfo else start.replace(tzinfo=tz)


def invite(
    chapters: Chapters,
    claims: Claims,
    chapter: str,
    link: str,
    start: str | None = None,
    now: datetime | None = None,
) -> Occurrence:
    """Plan a one-off meeting of `chapter` at `link`; the scheduler queues it when due."""
    settings = chapters.get(chapter)
    if settings.meeting.platform != JANUS:
        # A Janus link would reach the worker as the page Chromium opens and fail it there.
        raise ConfigError(
            f"chapter {chapter!r} joins through the {settings.meeting.platform} web client; an "
            "invitation takes a Janus link only, so set [meeting] url in its chapter file instead"
        )
    now = now or datetime.now(UTC)
    where = Link.parse(link)
    begins = parse_start(start, settings.chapter.timezone, now).replace(microsecond=0)
    if begins < now - timedelta(minutes=5):
        raise ConfigError(f"start {start!r} is in the past; give a time still to come")
    occurrence = Occurrence(chapter, begins, settings.schedule.length_min * 60)
    claims.plan(
        occurrence,
        join_before_s=settings.schedule.join_before_min * 60,
        url=where.url,
        room=where.room,
        one_off=True,
    )
    return occurrence


def next_visit(
    chapters: Chapters, claims: Claims, chapter: str, now: datetime | None = None
) -> datetime | None:
    """When the bot comes to `chapter` next: a planned or running meeting, or its schedule."""
    settings = chapters.get(chapter)
    now = now or datetime.now(UTC)
    planned = [
        r.starts_at
        for r in claims.all(chapter)
        if r.state in (State.DUE, State.QUEUED, State.RUNNING) and r.ends_at > now
    ]
    scheduled = settings.schedule.occurrences(chapter, settings.chapter.timezone, now, 1)
    found = planned + [o.start for o in scheduled]
    return min(found) if found else None


class Invitations:
    """The `/meetbot invite` and `/meetbot next` seam for the Discord bot (async, threaded)."""

    def __init__(self, chapters: Chapters, claims: Claims) -> None:
        self.chapters, self.claims = chapters, claims

    async def invite(self, chapter: str, link: str, start: str | None) -> datetime:
        done = await asyncio.to_thread(invite, self.chapters, self.claims, chapter, link, start)
        return done.start

    async def next_visit(self, chapter: str) -> datetime | None:
        return await asyncio.to_thread(next_visit, self.chapters, self.claims, chapter)
