"""CSV export of one session: one row per attendee, for a chapter's own spreadsheet.

Seconds are plain numbers (one decimal) so they sum and chart in any spreadsheet; times are ISO
8601 with the chapter's UTC offset. A missing score is an empty cell, never 0. Cells that a
spreadsheet would run as a formula (starting with = + - @ or a tab) are prefixed with an
apostrophe, since display names are whatever people typed.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from meetbot.domain.record import Attendee, SessionRecord
from meetbot.domain.states import State
from reports import wording
from reports.summary import is_late, left_early

COLUMNS = (
    "person",
    "role",
    "attendance",
    "late",
    "left_early",
    "substitute_for",
    "joined",
    "left",
    "present_s",
    "camera_on_s",
    *(f"{state.value}_s" for state in State),
    "own_turn_s",
    "turns",
    "listening_score",
    "attentive_s",
    "observable_s",
    "camera_exempt",
    "score_note",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_report(record: SessionRecord, *, timezone: str = "UTC") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for a in record.attendees:
        writer.writerow([_safe(cell) for cell in _row(record, a, timezone)])
    return out.getvalue()


def _row(record: SessionRecord, a: Attendee, timezone: str) -> list[str]:
    score = a.score
    return [
        a.person,
        a.role.value,
        a.attendance.value,
        "yes" if is_late(a) else "",
        "yes" if left_early(a) else "",
        a.substitute_for or "",
        _time(record, a.joined_at, timezone),
        _time(record, a.left_at, timezone),
        _seconds(a.present_s),
        _seconds(a.camera_on_s),
        *(_seconds(a.seconds_by_state.get(state, 0.0)) for state in State),
        _seconds(a.own_turn_s),
        str(a.turns),
        "" if score is None or score.value is None else f"{score.value:.1f}",
        "" if score is None else _seconds(score.attentive_s),
        "" if score is None else _seconds(score.observable_s),
        "yes" if score is not None and score.camera_exempt else "",
        "" if score is None else score.reason,
    ]


def _time(record: SessionRecord, offset: float | None, timezone: str) -> str:
    if offset is None:
        return ""
    moment = wording.local(record.started_at + timedelta(seconds=offset), timezone)
    return moment.isoformat(timespec="seconds")


def _seconds(value: float) -> str:
    return f"{value:.1f}"


def _safe(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_START) else cell
