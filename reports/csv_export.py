"""CSV export of one session: one row per attendee, for a chapter's own spreadsheet.

Seconds are plain numbers (one decimal) so they sum and chart in any spreadsheet; times are ISO
8601 with the chapter's UTC offset. A missing score is an empty cell, never 0. Cells that a
spreadsheet would run as a formula (starting with = + - @ or a tab) are prefixed with an
apostrophe, since display names are whatever people typed. Column names and the words in
cells (roles, attendance, yes, why a score is missing) are in the report's language; numbers and
times stay machine-readable (a point before the decimal, ISO 8601) in every language.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from meetbot.domain.record import Attendee, SessionRecord
from meetbot.domain.states import Attendance, Role, State
from meetbot.language import N_, SOURCE, Language
from reports import wording
from reports.summary import is_late, left_early

# TRANSLATORS: CSV column names: words joined by underscores, "_s" for a number of seconds.
SECONDS_IN = {
    State.ENGAGED: N_("engaged_s"),
    State.LOOKING_AWAY: N_("looking_away_s"),
    State.ABSENT: N_("absent_s"),
    State.CAMERA_OFF: N_("camera_off_s"),
    State.NOT_CONNECTED: N_("not_connected_s"),
    State.UNKNOWN: N_("unknown_s"),
}
COLUMNS = (
    N_("person"),
    N_("role"),
    N_("attendance"),
    N_("late"),
    N_("left_early"),
    N_("substitute_for"),
    N_("joined"),
    N_("left"),
    N_("present_s"),
    N_("camera_on_s"),
    *(SECONDS_IN[state] for state in State),
    N_("own_turn_s"),
    N_("turns"),
    N_("listening_score"),
    N_("attentive_s"),
    N_("observable_s"),
    N_("camera_exempt"),
    N_("score_note"),
)
# TRANSLATORS: a word in a CSV cell: lower case, words joined by underscores.
ROLES = {Role.MEMBER: N_("member"), Role.LEAD: N_("lead"), Role.VISITOR: N_("visitor")}
ATTENDANCE = {
    Attendance.PRESENT: N_("present"),
    Attendance.LATE: N_("late"),
    Attendance.LEFT_EARLY: N_("left_early"),
    Attendance.ABSENT: N_("absent"),
    Attendance.SUBSTITUTE: N_("substitute"),
    Attendance.VISITOR: N_("visitor"),
    Attendance.OPTED_OUT: N_("opted_out"),
}
REASONS = {"opted_out": N_("opted_out"), "not_enough_data": N_("not_enough_data")}
YES = N_("yes")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_report(record: SessionRecord, *, timezone: str = "UTC", language: str = SOURCE) -> str:
    lang = Language.of(language)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([lang.gettext(column) for column in COLUMNS])
    for a in record.attendees:
        writer.writerow([_safe(cell) for cell in _row(record, a, timezone, lang)])
    return out.getvalue()


def _row(record: SessionRecord, a: Attendee, timezone: str, lang: Language) -> list[str]:
    score = a.score
    yes = lang.gettext(YES)
    reason = "" if score is None else score.reason
    return [
        a.person,
        lang.gettext(ROLES[a.role]),
        lang.gettext(ATTENDANCE[a.attendance]),
        yes if is_late(a) else "",
        yes if left_early(a) else "",
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
        yes if score is not None and score.camera_exempt else "",
        lang.gettext(REASONS[reason]) if reason in REASONS else reason,
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
