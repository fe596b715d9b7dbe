"""One-off meetings: an organiser invites the bot (`/meetbot invite`), and when it comes next.

An invitation is planned like a scheduled meeting (one claims row, chapter + start), so the
scheduler queues it and the claim keeps it to one bot; inviting twice for the same start is
the same meeting.
"""

from __future__ import annotations

import asyncio
import re
import zoneinfo
from datetime import UTC, datetime, timedelta

from meetbot.config import links
from meetbot.config.schedule import Occurrence
from meetbot.errors import ConfigError
from meetbot.fleet.chapters import Chapters
from meetbot.fleet.claims import Claims, State
from meetbot.fleet.occurrences import URL_MAX


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
    now = now or datetime.now(UTC)
    # The link picks the platform (a Teams link for a Janus chapter joins Teams); the worker
    # reads the stored link again the same way (jobs.settings_for).
    where = links.resolve(link, settings.meeting)
    if len(where.url) > URL_MAX:
        raise ConfigError(
            f"that link is {len(where.url)} characters long, more than the {URL_MAX} the fleet "
            "keeps; paste the meeting's own join link, not a redirect around it"
        )
    begins = parse_start(start, settings.chapter.timezone, now).replace(microsecond=0)
    if begins < now - timedelta(minutes=5):
        raise ConfigError(f"start {start!r} is in the past; give a time still to come")
    occurrence = Occurrence(chapter, begins, settings.schedule.length_min * 60)
    claims.plan(
        occurrence,
        join_before_s=settings.schedule.join_before_min * 60,
        url=where.url,
        room=where.room,  # None: the chapter's room (a web client's link names its meeting)
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
