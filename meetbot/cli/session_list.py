"""What `meetbot sessions` shows of each stored session, as a table line or as JSON.

A lead finds a meeting without opening its report: date, length, attendance and the room's
listening (withheld, as in every report, when too few were scored to keep it anonymous).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import reports
from meetbot.domain.record import SessionRecord
from meetbot.store.rows import StoredSession as Listed
from reports import wording
from reports.comparison import room_listening

ID_WIDTH = 20  # a live session's id ("20261202-071537-48aa"); longer ids widen the column


def header(width: int = ID_WIDTH) -> str:
    return (
        f"{'session':<{width}} {'started (UTC)':<17} {'min':>5}  {'status':<10} {'members':>8} "
        f"{'listening':>9}  chapter"
    )


FOOTNOTE = (
    "members: there or represented by a substitute, of those expected; listening: the room's "
    "figure (— when too few were scored to show it)"
)


def chosen(rows: Sequence[Listed], chapter: str | None, start: datetime | None) -> list[Listed]:
    """Rows of `chapter` (any case) that started at or after `start`, order kept."""
    key = chapter.casefold() if chapter else None
    return [
        r
        for r in rows
        if (key is None or r.chapter.casefold() == key)
        and (start is None or _utc(r.started_at) >= start)
    ]


def as_json(row: Listed, record: SessionRecord | None, min_group: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "session_id": row.session_id,
        "chapter": row.chapter,
        "started_at": _utc(row.started_at).isoformat(),
        "duration_s": round(row.duration_s, 1),
        "status": row.status.value,
        "complete": row.complete,
        "platform": row.platform,
        "room": row.room,
    }
    if record is None:  # still running: no figures yet
        return out
    s = reports.summarize(record)
    listening = room_listening(s, min_group)
    out.update(
        members_expected=s.attended + s.covered + s.absent,
        members_there=s.attended,
        represented_by_substitute=s.covered,
        late=s.late,
        left_early=s.left_early,
        visitors=len(s.visitors),
        attendance_rate=None if s.attendance_rate is None else round(s.attendance_rate, 1),
        room_listening=None if listening is None else round(listening, 1),
    )
    return out


def line(row: Listed, record: SessionRecord | None, min_group: int, width: int = ID_WIDTH) -> str:
    status = row.status.value + ("" if row.complete else "*")
    members, listening = "—", "—"
    if record is not None:
        s = reports.summarize(record)
        members = f"{s.attended + s.covered}/{s.attended + s.covered + s.absent}"
        listening = wording.percent(room_listening(s, min_group))
    return (
        f"{row.session_id:<{width}} {_utc(row.started_at):%Y-%m-%d %H:%M} "
        f"{row.duration_s / 60:>5.1f}  {status:<10} {members:>8} {listening:>9}  {row.chapter}"
    )


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
