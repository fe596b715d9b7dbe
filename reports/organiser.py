"""The organiser's view of one session: every figure of the HTML and Markdown reports, as text.

Both renderers show exactly these rows, so the two formats never disagree. Attendees are listed
members first, then substitutes and visitors, alphabetically within each: never by score.
Scores and each person's observed share appear only when the group is large enough
(`min_group`), as in the lead comparison. Every word is in the report's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from meetbot.domain.record import Attendee, SessionRecord, Turn
from meetbot.domain.states import Attendance, TurnKind
from meetbot.language import N_, SOURCE, Language
from reports import wording
from reports.card import attendance_words, explanation
from reports.comparison import room_listening, table, trends
from reports.summary import chronological, is_member, observed_share, represented, summarize

# Mirrors the formula documented in meetbot/domain/scoring.py; keep the two in step.
FORMULA = N_(
    "Listening score = 100 × time engaged ÷ time that could be judged, counted only while "
    "OTHER members (the feature presenter included) had the floor and the person was "
    "connected. Looking away, an empty chair and camera-off count as not attentive; moments "
    "nobody could tell count neither way; with a camera accommodation, camera-off time is left "
    "out too. The chair's remarks and the person's own turn do not count. Too little judged "
    "time gives “not enough data”, never zero. Visitors and substitutes are not scored."
)
OBSERVED = N_(
    "Observed = the share of the time a person was connected that meetbot had their picture "
    "and could tell what it showed. Where the meeting client shows only some people at a time, "
    "meetbot pages through the gallery and the others are out of view in turn; time not "
    "observed is unknown and is never counted against anyone, in the listening score or "
    "anywhere else."
)
_GROUP_ORDER = {Attendance.SUBSTITUTE: 1, Attendance.VISITOR: 2}
_KIND_WORDS = {
    TurnKind.MEMBER: N_("member"),
    TurnKind.FEATURE: N_("feature"),
    TurnKind.CHAIR: N_("chair"),
}


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
    formula: str
    observed: str


def organiser_report(
    record: SessionRecord,
    history: Sequence[SessionRecord] = (),
    *,
    timezone: str = "UTC",
    min_group: int = 5,
    language: str = SOURCE,
) -> OrganiserReport:
    lang = Language.of(language)
    s = summarize(record)
    start, end = record.started_at, record.started_at + timedelta(seconds=record.duration_s)
    scores_shown = s.members >= min_group
    listening = room_listening(s, min_group)
    n = lang.number
    presenters = [wording.plain_name(p) for p in s.feature_presenters]
    facts = [
        (lang.gettext("Length"), wording.duration(record.duration_s, lang)),
        (
            lang.gettext("Members there"),
            lang.gettext(
                "{part} of {whole}", part=n(s.attended), whole=n(s.attended + s.covered + s.absent)
            ),
        ),
        (lang.gettext("Attendance rate"), wording.percent(s.attendance_rate, lang)),
        (lang.gettext("Late"), n(s.late)),
        (lang.gettext("Left early"), n(s.left_early)),
        (lang.gettext("Represented by a substitute"), n(s.covered)),
        (lang.gettext("Absent"), n(s.absent)),
        (lang.gettext("Visitors"), n(len(s.visitors))),
        (lang.gettext("Member turns"), n(s.member_turns)),
        (lang.gettext("Feature"), wording.joined(presenters, lang) or "—"),
        (lang.gettext("Room listening"), wording.percent(listening, lang)),
    ]
    notes = list(record.notes)
    if not record.complete:
        notes.insert(
            0,
            lang.gettext("Rebuilt from checkpoints after an interruption: figures may be partial."),
        )
    if not scores_shown:
        notes.append(
            lang.ngettext(
                "Individual scores and observed shares are not shown: the group has fewer than "
                "{count} member.",
                "Individual scores and observed shares are not shown: the group has fewer than "
                "{count} members.",
                min_group,
            )
        )
    past = [r for r in history if r.session_id != record.session_id]
    summaries = [summarize(r) for r in chronological([*past, record])] if past else []
    date = wording.long_date(start, timezone, lang)
    return OrganiserReport(
        title=f"{wording.plain_name(record.chapter)} — {date}",
        when=lang.gettext(
            "{date}, {start}–{end} ({timezone})",
            date=date,
            start=wording.clock(start, timezone, lang),
            end=wording.clock(end, timezone, lang),
            timezone=timezone,
        ),
        session_id=record.session_id,
        facts=tuple(facts),
        attendees=tuple(
            _attendee_row(record, a, scores_shown, timezone, lang)
            for a in sorted(record.attendees, key=attendee_order)
        ),
        scores_shown=scores_shown,
        turns=tuple(
            _turn_row(record, t, timezone, lang) for t in sorted(record.turns, key=_turn_key)
        ),
        history_table=tuple(table(summaries, min_group, timezone, lang)) if summaries else (),
        history_trends=tuple(trends(summaries, min_group, lang)) if summaries else (),
        notes=tuple(notes),
        formula=lang.gettext(FORMULA),
        observed=lang.gettext(OBSERVED),
    )


def attendee_order(a: Attendee) -> tuple[int, str]:
    return (
        0 if is_member(a) else _GROUP_ORDER.get(a.attendance, 3),
        a.person.casefold(),
    )


def _attendee_row(
    record: SessionRecord, a: Attendee, scores_shown: bool, timezone: str, lang: Language
) -> AttendeeRow:
    attendance = attendance_words(a, lang=lang)
    if a.attendance in (Attendance.ABSENT, Attendance.OPTED_OUT) or represented(a):
        blank = "—"
        return AttendeeRow(wording.plain_name(a.person), attendance, *[blank] * 8)
    value = a.score.value if a.score is not None else None
    score = lang.number(int(value + 0.5)) if value is not None else lang.gettext("no data")
    return AttendeeRow(
        person=wording.plain_name(a.person),
        attendance=attendance,
        joined=_at(record, a.joined_at, timezone, lang),
        left=_at(record, a.left_at, timezone, lang),
        present=wording.duration(a.present_s, lang),
        camera_on=wording.duration(a.camera_on_s, lang),
        own_turn=wording.duration(a.own_turn_s, lang) if a.turns else "—",
        observed=_observed(a, lang) if scores_shown else "—",
        score=score if scores_shown else "—",
        explanation=explanation(a.score, lang) if scores_shown else "",
    )


def _observed(a: Attendee, lang: Language) -> str:
    share = observed_share(a)
    return wording.percent(None if share is None else 100 * share, lang)


def _turn_row(record: SessionRecord, t: Turn, timezone: str, lang: Language) -> TurnRow:
    speaker = t.person or t.label or lang.gettext("unidentified")
    kind = _KIND_WORDS.get(t.kind)
    return TurnRow(
        at=_at(record, t.start, timezone, lang),
        speaker=wording.plain_name(speaker),
        kind=lang.gettext(kind) if kind else str(t.kind),
        length=wording.duration(t.duration, lang),
    )


def _turn_key(t: Turn) -> tuple[float, float]:
    return (t.start, t.end)


def _at(record: SessionRecord, offset: float | None, timezone: str, lang: Language) -> str:
    if offset is None:
        return "—"
    return wording.clock(record.started_at + timedelta(seconds=offset), timezone, lang)
