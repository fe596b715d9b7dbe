"""A member's own recent scores, for the trend sentence and line on their private card."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from meetbot.domain.record import Attendee, SessionRecord
from reports.summary import chronological, find

# Trends compare against this many of the member's previous sessions.
TREND_SESSIONS = 5


@dataclass(frozen=True, slots=True)
class Point:
    started_at: datetime
    score: float | None  # None: no score that time (absent, not enough data)


def earlier_scores(
    record: SessionRecord, a: Attendee, history: Sequence[SessionRecord]
) -> list[Point]:
    """`a`'s scores in up to TREND_SESSIONS sessions before `record`, oldest first; sessions
    they were not part of at all are left out."""
    earlier = [
        r
        for r in chronological(history)
        if r.session_id != record.session_id and r.started_at < record.started_at
    ][-TREND_SESSIONS:]
    out = []
    for r in earlier:
        them = find(r, a.person)
        if them is not None:
            out.append(Point(r.started_at, them.score.value if them.score else None))
    return out


def recent_scores(
    record: SessionRecord, a: Attendee, history: Sequence[SessionRecord]
) -> list[Point]:
    """The earlier scores and this session's, oldest first."""
    now = Point(record.started_at, a.score.value if a.score else None)
    return [*earlier_scores(record, a, history), now]
