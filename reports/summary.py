"""Group-level figures of one session, computed once and shared by every renderer.

PALMS attendance as chapters count it: a roster member is there in person (present, late or
left early), represented by a substitute, or absent; visitors and substitutes are guests, not
members. The domain files both sides of a substitution as `substitute`: the member who stayed
away (PALMS "S") and the guest who stood in, a visitor by role who names that member
(`represented` and `stands_in` tell them apart).

The listening figure of the room is time-weighted (all attentive seconds over all judged
seconds of the scored attendees), so a member with little judged time moves it less than one
who was watched for the whole meeting, and nobody's figure can be read back from it once enough
people are scored (see `recap`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from meetbot.domain.record import Attendee, SessionRecord
from meetbot.domain.states import Attendance, Role, State, TurnKind

IN_PERSON = frozenset({Attendance.PRESENT, Attendance.LATE, Attendance.LEFT_EARLY})
MEMBER_ATTENDANCE = IN_PERSON | {Attendance.ABSENT, Attendance.OPTED_OUT}


@dataclass(frozen=True, slots=True)
class Substitute:
    name: str
    substitute_for: str | None


@dataclass(frozen=True, slots=True)
class MeetingFigures:
    """The group-level figures of one session (not a stored session: see meetbot.store)."""

    session_id: str
    chapter: str
    started_at: datetime
    duration_s: float
    complete: bool
    members: int  # roster members in the record, opted-out ones included
    attended: int  # roster members there in person (present, late or left early)
    late: int
    left_early: int
    covered: int  # members away but represented by a substitute
    absent: int  # members neither there nor represented
    substitutes: tuple[Substitute, ...]
    visitors: tuple[str, ...]
    member_turns: int
    member_turn_s: float
    feature_presenters: tuple[str, ...]  # empty when the feature speaker is not named
    feature_s: float
    scored: int  # attendees with a listening score (not None)
    attentive_s: float
    observable_s: float

    @property
    def attendance_rate(self) -> float | None:
        """Percent of members there in person or represented; None without members."""
        expected = self.attended + self.covered + self.absent
        if expected == 0:
            return None
        return 100.0 * (self.attended + self.covered) / expected

    @property
    def listening(self) -> float | None:
        """The room's listening figure in percent, or None when nobody could be scored."""
        if self.scored == 0 or self.observable_s <= 0:
            return None
        return 100.0 * self.attentive_s / self.observable_s


def summarize(record: SessionRecord) -> MeetingFigures:
    members = [a for a in record.attendees if is_member(a)]
    subs = tuple(
        Substitute(a.person, a.substitute_for)
        for a in record.attendees
        if a.attendance is Attendance.SUBSTITUTE and not represented(a)
    )
    covered_names = {s.substitute_for for s in subs if s.substitute_for}
    covered_names |= {a.person for a in members if represented(a)}
    away = [a for a in members if a.attendance is Attendance.ABSENT or represented(a)]
    covered = sum(1 for a in away if a.person in covered_names)
    scored = [a for a in record.attendees if _has_score(a)]
    member_turns = [t for t in record.turns if t.kind is TurnKind.MEMBER]
    features = [t for t in record.turns if t.kind is TurnKind.FEATURE]
    presenters: list[str] = []
    for turn in features:
        # Only a known person is thanked by name: a turn without one may be an opted-out
        # speaker, whose label must not end up in a public post.
        if turn.person and turn.person not in presenters:
            presenters.append(turn.person)
    return MeetingFigures(
        session_id=record.session_id,
        chapter=record.chapter,
        started_at=record.started_at,
        duration_s=record.duration_s,
        complete=record.complete,
        members=len(members),
        attended=sum(1 for a in members if a.attendance in IN_PERSON),
        late=sum(1 for a in members if is_late(a)),
        left_early=sum(1 for a in members if left_early(a)),
        covered=covered,
        absent=len(away) - covered,
        substitutes=subs,
        visitors=tuple(a.person for a in record.attendees if a.attendance is Attendance.VISITOR),
        member_turns=len(member_turns),
        member_turn_s=sum(t.duration for t in member_turns),
        feature_presenters=tuple(presenters),
        feature_s=sum(t.duration for t in features),
        scored=len(scored),
        attentive_s=sum(a.score.attentive_s for a in scored if a.score),
        observable_s=sum(a.score.observable_s for a in scored if a.score),
    )


def chronological(records: Sequence[SessionRecord]) -> list[SessionRecord]:
    """Oldest first, ties broken by id, so the same sessions always render in the same order."""
    return sorted(records, key=lambda r: (r.started_at, r.session_id))


def find(record: SessionRecord, person: str) -> Attendee | None:
    """The attendee `person` names: exact roster name first, then case-insensitively by name
    or one of the display names they joined under. Ambiguity matches nobody."""
    for a in record.attendees:
        if a.person == person:
            return a
    key = person.casefold().strip()
    hits = [
        a
        for a in record.attendees
        if a.person.casefold() == key or any(d.casefold() == key for d in a.display_names)
    ]
    return hits[0] if len(hits) == 1 else None


def represented(a: Attendee) -> bool:
    """A roster member who did not come but sent a substitute.

    The domain gives them the PALMS category `substitute` too (the chapter's sheet marks the
    member's row 'S'); unlike the substitute, they have no connection and stand in for nobody.
    """
    return (
        a.attendance is Attendance.SUBSTITUTE
        and a.substitute_for is None
        and not a.participants
        and a.role is not Role.VISITOR
    )


def stands_in(a: Attendee) -> bool:
    """The guest who came in a member's place."""
    return a.attendance is Attendance.SUBSTITUTE and not represented(a)


def is_member(a: Attendee) -> bool:
    """A roster member of this session: there, away, represented or opted out."""
    return a.attendance in MEMBER_ATTENDANCE or represented(a)


def is_late(a: Attendee) -> bool:
    """PALMS keeps one category per person; `late` also marks a late arrival who left early."""
    return a.attendance is Attendance.LATE or (a.late and a.attendance in IN_PERSON)


def left_early(a: Attendee) -> bool:
    return a.attendance is Attendance.LEFT_EARLY or (a.left_early and a.attendance in IN_PERSON)


def observed_share(a: Attendee) -> float | None:
    """The share (0..1) of the time `a` was connected that the bot could tell their state: it
    had their picture and read it. The rest is `unknown` (off the gallery page the bot was
    showing, the bot's own connection lost, nothing readable) and counts for and against
    nobody. None when they were never connected."""
    connected = sum(
        s for state, s in a.seconds_by_state.items() if state is not State.NOT_CONNECTED
    )
    if connected <= 0:
        return None
    return max(0.0, connected - a.seconds_by_state.get(State.UNKNOWN, 0.0)) / connected


def _has_score(a: Attendee) -> bool:
    return (
        a.score is not None
        and a.score.value is not None
        and a.attendance is not Attendance.OPTED_OUT
    )
