"""The organiser's view of one session: every figure of the HTML and Markdown reports, as text.

Both renderers show exactly these rows, so the two formats never disagree. Attendees are listed
members first, then substitutes and visitors, alphabetically within each: never by score.
Scores and each person's observed share appear only when the group is large enough
(`min_group`), as in the lead comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from meetbot.domain.record import Attendee, SessionRecord, Turn
from meetbot.domain.states import Attendance, TurnKind
from reports import wording
from reports.card import attendance_words, explanation
from reports.comparison import room_listening, table, trends
from reports.summary import chronological, is_member, observed_share, represented, summarize

# Mirrors the formula documented in meetbot/domain/scoring.py; keep the two in step.
FORMULA = (
    "Listening score = 100 × time engaged ÷ time that could be judged, counted only while "
    "OTHER members (the feature presenter included) had the floor and the person was "
    "connected. Looking away, an empty chair and camera-off count as not attentive; moments "
    "nobody could tell count neither way; with a camera accommodation, camera-off time is left "
    "out too. The chair's remarks and the person's own turn do not count. Too little judged "
    "time gives “not enough data”, never zero. Visitors and substitutes are not scored."
)
OBSERVED = (
    "Observed = the share of the time a person was connected that meetbot had their picture "
    "and could tell what it showed. Where the meeting client shows only some people at a time, "
    "meetbot pages through the gallery and the others are out of view in turn; time not "
    "observed is unknown and is never counted against anyone, in the listening score or "
    "anywhere else."
)
_GROUP_ORDER = {Attendance.SUBSTITUTE: 1, Attendance.VISITOR: 2}
_KIND_WORDS = {TurnKind.MEMBER: "member", TurnKind.FEATURE: "feature", TurnKind.CHAIR: "chair"}


@dataclass(frozen=True, slots=True)
class AttendeeRow:
    person: str  # plain text: each renderer escapes for its own format
    attendance: str
    joined: str
    left: str
    present: str
    camera_on: str
    own_turn: str
    observed: str  # the observed share; "—" where individual figures are not shown
    score: str
    explanation: str


@dataclass(frozen=True, slots=True)
class TurnRow:
    at: str
    speaker: str
    kind: str
    length: str


@dataclass(frozen=True, slots=True)
class OrganiserReport:
    title: str
    when: str  # "Tuesday 3 March 2026, 06:45–08:15 (Europe/London)"
    session_id: str
    facts: tuple[tuple[str, str], ...]  # label, value
    attendees: tuple[AttendeeRow, ...]
    scores_shown: bool
    turns: tuple[TurnRow, ...]
    history_table: tuple[str, ...]  # fixed-width lines, empty without history
    history_trends: tuple[str, ...]
    notes: tuple[str, ...]
    formula: str = FORMULA
    observed: str = OBSERVED


def organiser_report(
    record: SessionRecord,
    history: Sequence[SessionRecord] = (),
    *,
    timezone: str = "UTC",
    min_group: int = 5,
) -> OrganiserReport:
    s = summarize(record)
    start, end = record.started_at, record.started_at + timedelta(seconds=record.duration_s)
    scores_shown = s.members >= min_group
    listening = room_listening(s, min_group)
    facts = [
        ("Length", wording.duration(record.duration_s)),
        ("Members there", f"{s.attended} of {s.attended + s.covered + s.absent}"),
        ("Attendance rate", wording.percent(s.attendance_rate)),
        ("Late", str(s.late)),
        ("Left early", str(s.left_early)),
        ("Represented by a substitute", str(s.covered)),
        ("Absent", str(s.absent)),
        ("Visitors", str(len(s.visitors))),
        ("Member turns", str(s.member_turns)),
        ("Feature", wording.joined([wording.plain_name(p) for p in s.feature_presenters]) or "—"),
        ("Room listening", wording.percent(listening)),
    ]
    notes = list(record.notes)
    if not record.complete:
        notes.insert(0, "Rebuilt from checkpoints after an interruption: figures may be partial.")
    if not scores_shown:
        notes.append(
            "Individual scores and observed shares are not shown: the group has fewer than "
            f"{min_group} members."
        )
    past = [r for r in history if r.session_id != record.session_id]
    summaries = [summarize(r) for r in chronological([*past, record])] if past else []
    return OrganiserReport(
        title=f"{wording.plain_name(record.chapter)} — {wording.long_date(start, timezone)}",
        when=(
            f"{wording.long_date(start, timezone)}, {wording.clock(start, timezone)}–"
            f"{wording.clock(end, timezone)} ({timezone})"
        ),
        session_id=record.session_id,
        facts=tuple(facts),
        attendees=tuple(
            _attendee_row(record, a, scores_shown, timezone)
            for a in sorted(record.attendees, key=attendee_order)
        ),
        scores_shown=scores_shown,
        turns=tuple(_turn_row(record, t, timezone) for t in sorted(record.turns, key=_turn_key)),
        history_table=tuple(table(summaries, min_group, timezone)) if summaries else (),
        history_trends=tuple(trends(summaries, min_group)) if summaries else (),
        notes=tuple(notes),
    )


def attendee_order(a: Attendee) -> tuple[int, str]:
    return (
        0 if is_member(a) else _GROUP_ORDER.get(a.attendance, 3),
        a.person.casefold(),
    )


def _attendee_row(
    record: SessionRecord, a: Attendee, scores_shown: bool, timezone: str
) -> AttendeeRow:
    attendance = attendance_words(a)
    if a.attendance in (Attendance.ABSENT, Attendance.OPTED_OUT) or represented(a):
        blank = "—"
        return AttendeeRow(wording.plain_name(a.person), attendance, *[blank] * 8)
    value = a.score.value if a.score is not None else None
    return AttendeeRow(
        person=wording.plain_name(a.person),
        attendance=attendance,
        joined=_at(record, a.joined_at, timezone),
        left=_at(record, a.left_at, timezone),
        present=wording.duration(a.present_s),
        camera_on=wording.duration(a.camera_on_s),
        own_turn=wording.duration(a.own_turn_s) if a.turns else "—",
        observed=_observed(a) if scores_shown else "—",
        score=(str(int(value + 0.5)) if value is not None else "no data") if scores_shown else "—",
        explanation=explanation(a.score) if scores_shown else "",
    )


def _observed(a: Attendee) -> str:
    share = observed_share(a)
    return wording.percent(None if share is None else 100 * share)


def _turn_row(record: SessionRecord, t: Turn, timezone: str) -> TurnRow:
    speaker = t.person or t.label or "unidentified"
    return TurnRow(
        at=_at(record, t.start, timezone),
        speaker=wording.plain_name(speaker),
        kind=_KIND_WORDS.get(t.kind, str(t.kind)),
        length=wording.duration(t.duration),
    )


def _turn_key(t: Turn) -> tuple[float, float]:
    return (t.start, t.end)


def _at(record: SessionRecord, offset: float | None, timezone: str) -> str:
    if offset is None:
        return "—"
    return wording.clock(record.started_at + timedelta(seconds=offset), timezone)
