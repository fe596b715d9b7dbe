"""Hand-built SessionRecords with explicit numbers, for the report tests and golden files.

Built directly (not through the domain's assembly) so a report test fails only when a report
changes. Every figure is written out; the comments say what each person is there to exercise.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from meetbot.domain.events import ParticipantId
from meetbot.domain.record import Attendee, ListeningScore, SessionRecord, Span, Turn
from meetbot.domain.states import Attendance, Role, State, TurnKind

CHAPTER = "Riverside Business Builders"
TIMEZONE = "Europe/London"
START = datetime(2026, 3, 3, 6, 45, tzinfo=UTC)  # a Tuesday; 06:45 GMT in London too
LENGTH = 5400.0  # 90 minutes

# People the public recap must never name: they are neither thanked nor welcomed.
LOOKED_AWAY = "Erin O'Brien"
CAMERA_OFF = "Grace Kim"


def score(
    attentive: float,
    observable: float,
    others: float,
    camera_off: float = 0.0,
    *,
    exempt: bool = False,
) -> ListeningScore:
    return ListeningScore(
        value=round(100.0 * attentive / observable, 1),
        attentive_s=attentive,
        observable_s=observable,
        others_turns_s=others,
        camera_off_s=camera_off,
        camera_exempt=exempt,
    )


def no_score(observable: float, others: float, reason: str = "not_enough_data") -> ListeningScore:
    return ListeningScore(
        value=None,
        attentive_s=0.0,
        observable_s=observable,
        others_turns_s=others,
        camera_off_s=0.0,
        reason=reason,
    )


def states(
    engaged: float,
    looking_away: float = 0.0,
    camera_off: float = 0.0,
    absent: float = 0.0,
    unknown: float = 0.0,
) -> dict[State, float]:
    found = {
        State.ENGAGED: engaged,
        State.LOOKING_AWAY: looking_away,
        State.ABSENT: absent,
        State.CAMERA_OFF: camera_off,
        State.UNKNOWN: unknown,
    }
    return {state: seconds for state, seconds in found.items() if seconds}


def pid(name: str) -> ParticipantId:
    return ParticipantId("feed-" + "-".join(name.lower().split()[:1]))


def there(
    name: str,
    attendance: Attendance,
    joined: float,
    left: float,
    by_state: dict[State, float],
    turn_s: float,
    listening: ListeningScore | None,
    *,
    role: Role = Role.MEMBER,
    turns: int = 1,
    substitute_for: str | None = None,
    display: str | None = None,
    late: bool = False,
) -> Attendee:
    present = left - joined
    return Attendee(
        person=name,
        role=role,
        attendance=attendance,
        display_names=(display or name,),
        participants=(pid(name),),
        joined_at=joined,
        left_at=left,
        present_s=present,
        camera_on_s=present - by_state.get(State.CAMERA_OFF, 0.0),
        seconds_by_state=by_state,
        own_turn_s=turn_s,
        turns=turns if turn_s else 0,
        score=listening,
        substitute_for=substitute_for,
        late=late,
    )


def away(name: str, attendance: Attendance = Attendance.ABSENT) -> Attendee:
    return Attendee(person=name, role=Role.MEMBER, attendance=attendance)


def chapter_session() -> SessionRecord:
    """A full 90-minute meeting: 9 expected members, a substitute, two visitors.

    Members' scores (rounded) are 91, 78, 89, 64, 73 and 96; the room's figure is 82. Visitors
    and substitutes are not scored (as meetbot/domain/scoring.py says). No individual score
    may appear in the public recap.
    """
    # fmt: off
    attendees = (
        there("Alice Carter", Attendance.PRESENT, 0, 5400, states(5100, 300), 55,
              score(2462, 2700, 2760), role=Role.LEAD),
        away("Bob Nguyen"),  # represented by Sam Jones
        # The feature presenter: thanked by name in public.
        there("Chloé Martin", Attendance.PRESENT, 0, 5400, states(4800, 600), 650,
              score(1646, 2100, 2160), turns=2),
        # Camera accommodation: 10 min camera off, not counted.
        there("Dev Patel", Attendance.PRESENT, 30, 5400, states(4500, 270, camera_off=600),
              48, score(2126, 2400, 3000, camera_off=600, exempt=True)),
        # Joined late and looked away a lot: never named in public.
        there(LOOKED_AWAY, Attendance.LATE, 540, 5400, states(3600, 1260), 41,
              score(1568, 2440, 2520), late=True, display="Erin O'Brien | Acme"),
        # Camera off for 6 minutes: a fact on her own card only.
        there(CAMERA_OFF, Attendance.PRESENT, 0, 5400, states(4900, 140, camera_off=360),
              59, score(1970, 2700, 2760, camera_off=360)),
        # Left early with too little judged time: "not enough data", never zero.
        there("Hiro Tanaka", Attendance.LEFT_EARLY, 0, 1500, states(1380, 0, unknown=120),
              0, no_score(40, 300)),
        away("Ines Duarte"),
        there("Jon Park", Attendance.PRESENT, 0, 5400, states(5350, 50), 57,
              score(2584, 2700, 2700)),
        away("Farid Haddad", Attendance.OPTED_OUT),
        there("Sam Jones", Attendance.SUBSTITUTE, 0, 5400, states(4400, 1000), 52,
              None, role=Role.VISITOR, substitute_for="Bob Nguyen",
              display="Sam Jones (sub for Bob Nguyen)"),
        there("Zoe Li", Attendance.VISITOR, 120, 5400, states(5100, 180), 45, None,
              role=Role.VISITOR),
        # A hostile display name: Markdown and a mass mention must be defused everywhere.
        there("Max_Power @everyone", Attendance.VISITOR, 60, 5400, states(5200, 140), 0, None,
              role=Role.VISITOR),
    )
    # fmt: on
    turns = (
        Turn(0, 300, "Alice Carter", TurnKind.CHAIR, "Welcome"),
        Turn(300, 355, "Alice Carter"),
        Turn(355, 405, "Chloé Martin"),
        Turn(405, 453, "Dev Patel"),
        Turn(600, 641, LOOKED_AWAY),
        Turn(641, 700, CAMERA_OFF),
        Turn(700, 757, "Jon Park"),
        Turn(757, 809, "Sam Jones"),
        Turn(809, 854, "Zoe Li"),
        Turn(854, 880, None, TurnKind.MEMBER, "unidentified"),
        Turn(1800, 2400, "Chloé Martin", TurnKind.FEATURE, "Feature: Chloé Martin"),
    )
    spans = (
        Span(pid("Jon Park"), State.ENGAGED, 0, 2000),
        Span(pid("Jon Park"), State.LOOKING_AWAY, 2000, 2050),
        Span(pid("Jon Park"), State.ENGAGED, 2050, 5400),
    )
    return SessionRecord(
        session_id="2026-03-03-riverside",
        chapter=CHAPTER,
        started_at=START,
        duration_s=LENGTH,
        platform="janus",
        room="1234",
        attendees=attendees,
        turns=turns,
        spans=spans,
    )


# Earlier weekly sessions: per person (attendance, listening score or None).
P, L, A, S, V = (
    Attendance.PRESENT,
    Attendance.LATE,
    Attendance.ABSENT,
    Attendance.SUBSTITUTE,
    Attendance.VISITOR,
)
# fmt: off
HISTORY: tuple[tuple[int, dict[str, tuple[Attendance, float | None]]], ...] = (
    (4, {"Alice Carter": (P, 88.0), "Bob Nguyen": (P, 70.0), "Chloé Martin": (P, 75.0),
         "Dev Patel": (P, 90.0), "Erin O'Brien": (L, 60.0), "Grace Kim": (P, 80.0),
         "Hiro Tanaka": (A, None), "Ines Duarte": (P, 77.0), "Jon Park": (P, 93.0),
         "Visitor One": (V, None)}),
    (3, {"Alice Carter": (P, 90.0), "Bob Nguyen": (P, 72.0), "Chloé Martin": (A, None),
         "Dev Patel": (P, 85.0), "Erin O'Brien": (P, 66.0), "Grace Kim": (P, 79.0),
         "Hiro Tanaka": (P, 81.0), "Ines Duarte": (A, None), "Jon Park": (P, 95.0)}),
    (2, {"Alice Carter": (P, 92.0), "Bob Nguyen": (L, 74.0), "Chloé Martin": (P, 80.0),
         "Dev Patel": (P, 87.0), "Erin O'Brien": (P, 70.0), "Grace Kim": (P, None),
         "Hiro Tanaka": (P, 83.0), "Ines Duarte": (P, 76.0), "Jon Park": (P, 94.0),
         "Pat Sub": (S, None), "Visitor Two": (V, None), "Visitor Three": (V, None)}),
    (1, {"Alice Carter": (P, 89.0), "Bob Nguyen": (P, 71.0), "Chloé Martin": (P, 79.0),
         "Dev Patel": (L, 86.0), "Erin O'Brien": (A, None), "Grace Kim": (P, 75.0),
         "Hiro Tanaka": (P, 84.0), "Ines Duarte": (P, 78.0), "Jon Park": (P, 96.0)}),
)
# fmt: on


def earlier_sessions() -> tuple[SessionRecord, ...]:
    """Four weekly meetings before `chapter_session`, oldest first, with 2400 s of others'
    turns per person and the listed scores."""
    out = []
    for weeks_before, people in HISTORY:
        attendees = []
        member_turns = []
        for i, (name, (attendance, value)) in enumerate(people.items()):
            if attendance is A:
                attendees.append(away(name))
                continue
            role = Role.VISITOR if attendance in (S, V) else Role.MEMBER
            listening = score(24 * value, 2400, 2400) if value is not None else no_score(30, 2400)
            attendees.append(
                there(name, attendance, 0, 5400, states(5000, 400), 50, listening, role=role)
            )
            member_turns.append(Turn(300 + 60 * i, 350 + 60 * i, name))
        started = START - timedelta(weeks=weeks_before)
        out.append(
            SessionRecord(
                session_id=f"{started:%Y-%m-%d}-riverside",
                chapter=CHAPTER,
                started_at=started,
                duration_s=LENGTH,
                platform="janus",
                room="1234",
                attendees=tuple(attendees),
                turns=tuple(member_turns),
            )
        )
    return tuple(out)


def small_session() -> SessionRecord:
    """Three members: too few for per-member detail or a public listening figure."""
    return SessionRecord(
        session_id="2026-03-04-tiny",
        chapter="Tiny Chapter",
        started_at=datetime(2026, 3, 4, 23, 30, tzinfo=UTC),  # already 5 March in Tokyo
        duration_s=1800.0,
        platform="janus",
        room="7",
        attendees=(
            there("Ann Lee", P, 0, 1800, states(1700, 100), 60, score(900, 1000, 1000)),
            there("Bo Chen", P, 0, 1800, states(1500, 300), 60, score(700, 1000, 1000)),
            away("Cy Diaz"),
        ),
        turns=(Turn(100, 160, "Ann Lee"), Turn(160, 220, "Bo Chen")),
    )


def large_session(members: int = 60, weeks_before: int = 0) -> SessionRecord:
    """A big chapter: `members` roster members with long names, every 7th absent, every 5th
    late, three visitors. Figures follow simple arithmetic on the member's index."""
    attendees: list[Attendee] = []
    turns: list[Turn] = []
    for i in range(members):
        name = f"Member Number {i:02d} Longname-Doublebarrel"
        if i % 7 == 3:
            attendees.append(away(name))
            continue
        late = i % 5 == 1
        joined = 420.0 if late else 0.0
        value_s = 1800.0 + 10 * i + 5 * weeks_before
        attendees.append(
            there(
                name,
                Attendance.LATE if late else Attendance.PRESENT,
                joined,
                LENGTH,
                states(LENGTH - joined - 200, 200),
                50,
                score(value_s, 2400, 2460),
            )
        )
        turns.append(Turn(600 + 55 * i, 650 + 55 * i, name))
    for v in range(3):
        attendees.append(
            there(
                f"Visitor {v} of Some Company Ltd",
                Attendance.VISITOR,
                0,
                LENGTH,
                states(LENGTH),
                45,
                None,
                role=Role.VISITOR,
            )
        )
    started = START - timedelta(weeks=weeks_before)
    return SessionRecord(
        session_id=f"{started:%Y-%m-%d}-large",
        chapter="A Chapter With A Fairly Long Name Indeed",
        started_at=started,
        duration_s=LENGTH,
        platform="janus",
        room="1",
        attendees=tuple(attendees),
        turns=(*turns, Turn(4000, 4600, attendees[0].person, TurnKind.FEATURE)),
    )


def with_spans(record: SessionRecord) -> SessionRecord:
    """`record` with per-second state spans for everyone there, matching their seconds by
    state: engaged throughout, other states laid out in a few stretches after their join."""
    spans: list[Span] = []
    for a in record.attendees:
        if a.joined_at is None or not a.participants:
            continue
        start = a.joined_at
        end = a.left_at if a.left_at is not None else record.duration_s
        cursor = start + 0.2 * (end - start)  # the first fifth engaged, then the others
        pieces: list[tuple[State, float, float]] = []
        others = [(s, v) for s, v in a.seconds_by_state.items() if s is not State.ENGAGED]
        for state, seconds in sorted(others):
            chunks = 3 if state is State.LOOKING_AWAY else 1
            gap = (end - cursor) / (len(others) * chunks + 1)
            for _ in range(chunks):
                piece = min(seconds / chunks, gap * 0.8)
                pieces.append((state, cursor + 0.1 * gap, cursor + 0.1 * gap + piece))
                cursor += gap
        at = start
        for state, s, e in pieces:
            spans.append(Span(a.participants[0], State.ENGAGED, at, s))
            spans.append(Span(a.participants[0], state, s, e))
            at = e
        spans.append(Span(a.participants[0], State.ENGAGED, at, end))
    return replace(record, spans=tuple(s for s in spans if s.end > s.start))
