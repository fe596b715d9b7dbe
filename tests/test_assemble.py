"""Golden BNI-style meeting folded end to end into a SessionRecord, and the crash-recovery path.

The meeting (25 min, times in seconds):
- Alice (lead, chair) opens 0-60 and closes 1400-1440, and thanks each speaker in 2 s remarks.
- Six 45 s member turns with 1-2 s pauses: Bob 100, Chloé 150, Dev 200, Erin 250, Sam 300
  (substitute for Hana), Ivan 700; Erin's feature talk 800-1100; opted-out Farid speaks 1150.
- Bob drops at 500 and rejoins at 540 under a new connection; Erin is on laptop + phone;
  Ivan joins late (600); Chloé leaves early (900); visitor "Zoe Li | Acme Ltd"; Gina never joins.
- Chloé looks away during Erin's turn; Dev (camera accommodation) turns his camera off at 300;
  Ivan looks away 900-960 during the feature.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetbot.domain import scoring
from meetbot.domain.assemble import assemble
from meetbot.domain.chapter import AgendaItem, Chapter, Member
from meetbot.domain.events import (
    Event,
    MeetingEnded,
    Observation,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
    TrackEnded,
    TrackStarted,
)
from meetbot.domain.header import SessionHeader
from meetbot.domain.record import Attendee, SessionRecord
from meetbot.domain.settings import DomainSettings
from meetbot.domain.states import Attendance, LeaveReason, Role, State, TrackKind, TurnKind
from meetbot.domain.timeline import TimelineFolder, fold

P = ParticipantId
END = 1500.0
CHAPTER = Chapter(
    name="Riverside",
    chair="Alice Carter",
    roster=(
        Member("Alice Carter", Role.LEAD, discord_id=1),
        Member("Bob Nguyen", aliases=("Bobby N",), discord_id=2),
        Member("Chloé Martin"),
        Member("Dev Patel", camera_exempt=True),
        Member("Erin O'Brien"),
        Member("Farid Haddad", opted_out=True),
        Member("Gina Rossi"),
        Member("Hana Kim"),
        Member("Ivan Petrov"),
    ),
    agenda=(
        AgendaItem("Alice Carter", 60, TurnKind.CHAIR),
        AgendaItem("Bob Nguyen", 45),
        AgendaItem("Chloé Martin", 45),
        AgendaItem("Dev Patel", 45),
        AgendaItem("Erin O'Brien", 45),
        AgendaItem("Hana Kim", 45),
        AgendaItem("Ivan Petrov", 45),
        AgendaItem("Erin O'Brien", 300, TurnKind.FEATURE),
    ),
)
# connection: (display name, joined, left, video)
CONNECTIONS: dict[str, tuple[str, float, float, bool]] = {
    "alice": ("Alice Carter", 0, END, True),
    "bob1": ("Bobby N 🚀", 0, 500, True),
    "bob2": ("Bob Nguyen", 540, END, True),
    "chloe": ("CHLOÉ MARTIN | Martin & Co", 0, 900, True),
    "dev": ("Dev Patel (Patel Ltd)", 0, END, True),
    "erin": ("Erin O'Brien", 0, END, True),
    "erin-phone": ("Erin O'Brien (phone)", 5, END, False),
    "farid": ("Farid Haddad", 0, END, True),
    "sam": ("Sam Jones (sub for Hana)", 0, END, True),
    "zoe": ("Zoe Li | Acme Ltd", 30, END, True),
    "ivan": ("Ivan Petrov", 600, END, True),
}
SPEECH: list[tuple[str, float, float]] = [
    ("alice", 0, 60),
    ("bob1", 100, 120),
    ("bob1", 121.5, 145),
    ("alice", 146, 148),
    ("chloe", 150, 170),
    ("chloe", 171, 195),
    ("alice", 196, 198),
    ("dev", 200, 222),
    ("dev", 224, 245),
    ("erin", 250, 295),
    ("erin-phone", 250, 280),  # the phone's microphone hears her too
    ("sam", 300, 345),
    ("alice", 320, 322),  # an interjection inside Sam's turn
    ("ivan", 700, 745),
    ("erin", 800, 1000),
    ("erin", 1002, 1100),
    ("farid", 1150, 1195),
    ("alice", 1400, 1440),
]
LOOKING_AWAY = {"chloe": (250, 295), "ivan": (900, 960)}


def meeting() -> list[Event]:
    events: list[Event] = []
    for pid, (name, joined, left, video) in CONNECTIONS.items():
        events.append(ParticipantJoined(joined, P(pid), name))
        if video:
            events.append(TrackStarted(joined, P(pid), TrackKind.VIDEO))
        if left < END:
            events.append(ParticipantLeft(left, P(pid), LeaveReason.LOST))
        for t in range(int(joined), int(left)):
            if not video or (pid == "dev" and t >= 300):
                continue
            away = LOOKING_AWAY.get(pid)
            state = State.LOOKING_AWAY if away and away[0] <= t < away[1] else State.ENGAGED
            events.append(Observation(float(t), P(pid), state, confidence=0.9))
    events.append(TrackEnded(300, P("dev"), TrackKind.VIDEO))
    for pid, start, end in SPEECH:
        events += [SpeechChanged(start, P(pid), True), SpeechChanged(end, P(pid), False)]
    events.append(MeetingEnded(END))
    return sorted(events, key=lambda e: e.at)  # stable: joins stay before their readings


HEADER = SessionHeader("s1", CHAPTER, datetime(2026, 1, 5, 7, 0, tzinfo=UTC), "janus", "1234")


def build(events: list[Event], *, chapter: Chapter = CHAPTER, end_at: float = END) -> SessionRecord:
    header = dataclasses.replace(HEADER, chapter=chapter)
    return assemble(header, events, settings=DomainSettings(), end_at=end_at)


@pytest.fixture(scope="module")
def record() -> SessionRecord:
    return build(meeting())


def by_person(record: SessionRecord) -> dict[str, Attendee]:
    return {a.person: a for a in record.attendees}


def test_attendance_in_palms_categories(record: SessionRecord) -> None:
    got = {a.person: (a.role, a.attendance, a.substitute_for) for a in record.attendees}
    assert got == {
        "Alice Carter": (Role.LEAD, Attendance.PRESENT, None),
        "Bob Nguyen": (Role.MEMBER, Attendance.PRESENT, None),
        "Chloé Martin": (Role.MEMBER, Attendance.LEFT_EARLY, None),
        "Dev Patel": (Role.MEMBER, Attendance.PRESENT, None),
        "Erin O'Brien": (Role.MEMBER, Attendance.PRESENT, None),
        "Farid Haddad": (Role.MEMBER, Attendance.OPTED_OUT, None),
        "Gina Rossi": (Role.MEMBER, Attendance.ABSENT, None),
        "Hana Kim": (Role.MEMBER, Attendance.SUBSTITUTE, None),
        "Ivan Petrov": (Role.MEMBER, Attendance.LATE, None),
        "Sam Jones": (Role.VISITOR, Attendance.SUBSTITUTE, "Hana Kim"),
        "Zoe Li": (Role.VISITOR, Attendance.VISITOR, None),
    }


def test_rejoin_and_second_device_merge_into_one_attendee(record: SessionRecord) -> None:
    people = by_person(record)
    bob, erin = people["Bob Nguyen"], people["Erin O'Brien"]
    assert bob.participants == ("bob1", "bob2")
    assert bob.display_names == ("Bobby N 🚀", "Bob Nguyen")
    assert (bob.joined_at, bob.left_at) == (0.0, None)
    assert bob.present_s == END  # the 40 s drop is shorter than rejoin_merge_s
    assert bob.seconds_by_state[State.NOT_CONNECTED] == 40.0  # ... but the states say it
    assert erin.participants == ("erin", "erin-phone")
    # The phone's camera is off, the laptop sees her: the favourable state counts.
    assert erin.seconds_by_state == {State.ENGAGED: END}
    assert (erin.turns, erin.own_turn_s) == (2, 345.0)


def test_turns_named_from_the_agenda(record: SessionRecord) -> None:
    got = [(t.start, t.end, t.person, t.kind, t.label) for t in record.turns]
    M, F, C = TurnKind.MEMBER, TurnKind.FEATURE, TurnKind.CHAIR
    assert got == [
        (0, 60, "Alice Carter", C, "Alice Carter"),
        (100, 145, "Bob Nguyen", M, "Bob Nguyen"),
        (150, 195, "Chloé Martin", M, "Chloé Martin"),
        (200, 245, "Dev Patel", M, "Dev Patel"),
        (250, 295, "Erin O'Brien", M, "Erin O'Brien"),
        (300, 345, "Sam Jones", M, "Sam Jones"),
        (700, 745, "Ivan Petrov", M, "Ivan Petrov"),
        (800, 1100, "Erin O'Brien", F, "Feature: Erin O'Brien"),
        (1150, 1195, None, M, ""),  # opted-out Farid: others listened, he is never named
        (1400, 1440, "Alice Carter", C, "Alice Carter"),
    ]
    assert record.turns[4].participants == ("erin", "erin-phone")
    assert record.turns[8].participants == ()


def test_listening_scores(record: SessionRecord) -> None:
    people = by_person(record)
    # Chloé: others' turns while connected = 5 x 45 + 100 s of the feature; looked away 45 s.
    chloe = people["Chloé Martin"].score
    assert chloe is not None
    assert (chloe.others_turns_s, chloe.attentive_s, chloe.observable_s) == (325, 280, 325)
    assert chloe.value == pytest.approx(100 * 280 / 325)
    # Ivan joined at 600: the feature and Farid's turn (345 s), 60 s of it looking away.
    ivan = people["Ivan Petrov"].score
    assert ivan is not None
    assert ivan.value == pytest.approx(100 * 285 / 345)
    # Dev's camera was off for 435 of 570 s; with his accommodation that time is not judged,
    # and 135 s is under 30 % of 570 s: not enough data, never zero.
    dev = people["Dev Patel"].score
    assert dev is not None
    assert (dev.value, dev.reason, dev.camera_exempt) == (None, "not_enough_data", True)
    assert (dev.camera_off_s, dev.observable_s, dev.attentive_s) == (435, 135, 135)
    assert people["Bob Nguyen"].score is not None
    assert people["Bob Nguyen"].score.value == 100
    for name in ("Sam Jones", "Zoe Li", "Gina Rossi", "Farid Haddad", "Hana Kim"):
        assert people[name].score is None


def test_opted_out_member_leaves_nothing_but_the_category(record: SessionRecord) -> None:
    farid = by_person(record)["Farid Haddad"]
    assert farid == Attendee("Farid Haddad", Role.MEMBER, Attendance.OPTED_OUT)
    assert all(s.participant != "farid" for s in record.spans)


def test_every_attendee_accounts_for_the_whole_meeting(record: SessionRecord) -> None:
    for a in record.attendees:
        if a.attendance is not Attendance.OPTED_OUT:
            assert sum(a.seconds_by_state.values()) == pytest.approx(END), a.person
    dev = by_person(record)["Dev Patel"]
    assert dev.camera_on_s == 300.0
    assert record.duration_s == END
    assert record.complete
    assert record.notes == ()


def test_assemble_equals_assembling_from_folded_spans(record: SessionRecord) -> None:
    events = meeting()
    spans = fold(events, DomainSettings().timeline, END)
    rebuilt = assemble(
        HEADER,
        [e for e in events if not isinstance(e, Observation)],
        spans=spans,
        settings=DomainSettings(),
        end_at=END,
    )
    assert rebuilt == record


def test_crash_recovery_rebuilds_from_checkpointed_spans() -> None:
    crash = 1000.0
    events = [e for e in meeting() if e.at < crash]
    folder = TimelineFolder(DomainSettings().timeline)
    checkpointed = [span for e in events for span in folder.feed(e)]  # open spans are lost
    rebuilt = assemble(
        HEADER,
        [e for e in events if not isinstance(e, Observation)],
        spans=checkpointed,
        settings=DomainSettings(),
        end_at=crash,
        complete=False,
    )
    assert not rebuilt.complete
    assert rebuilt.duration_s == crash
    assert rebuilt.notes
    assert "1000 s" in rebuilt.notes[0]
    people = by_person(rebuilt)
    # The record ends at the crash, so leaving at 900 is within the last 5 minutes of it.
    assert people["Chloé Martin"].attendance is Attendance.PRESENT
    assert people["Chloé Martin"].left_at == 900.0
    assert people["Ivan Petrov"].attendance is Attendance.LATE
    # Alice's engaged span was still open: nothing of it was saved, so it is unknown, not absent.
    assert people["Alice Carter"].seconds_by_state == {State.UNKNOWN: crash}
    for a in rebuilt.attendees:
        if a.attendance is not Attendance.OPTED_OUT:
            assert sum(a.seconds_by_state.values()) == pytest.approx(crash)
    # With the open spans cut at the last checkpoint (990 s), only the last 10 s are unknown.
    with_open = assemble(
        HEADER,
        [e for e in events if not isinstance(e, Observation)],
        spans=[*checkpointed, *folder.open_spans(990.0)],
        settings=DomainSettings(),
        end_at=crash,
        complete=False,
    )
    alice = by_person(with_open)["Alice Carter"]
    assert alice.seconds_by_state == {State.ENGAGED: 990.0, State.UNKNOWN: 10.0}
    # The feature was still running at the crash: it ends there.
    assert rebuilt.turns[-1].end == crash
    assert rebuilt.turns[-1].kind is TurnKind.FEATURE


def test_a_recovered_record_says_it_is_partial_before_the_caller_s_notes() -> None:
    events = [e for e in meeting() if e.at < 600 and not isinstance(e, Observation)]
    rebuilt = assemble(
        HEADER,
        events,
        spans=[],
        settings=DomainSettings(),
        end_at=600.0,
        complete=False,
        notes=("ended by an error: disk full",),
    )
    assert rebuilt.notes[1:] == ("ended by an error: disk full",)
    assert rebuilt.notes[0].startswith("rebuilt from data saved up to 600 s")
    assert (rebuilt.session_id, rebuilt.chapter, rebuilt.room) == ("s1", "Riverside", "1234")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"session_id": " "}, "session_id"),
        ({"started_at": datetime(2026, 1, 5, 7, 0)}, "timezone-aware"),
        ({"platform": ""}, "platform"),
    ],
)
def test_a_session_header_refuses_what_no_record_could_carry(
    change: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(HEADER, **change)  # type: ignore[arg-type]


def test_meeting_ended_event_wins_over_a_later_end_at() -> None:
    rec = build([*meeting()[:-1], MeetingEnded(1200.0)], end_at=1300.0)
    assert rec.duration_s == 1200.0
    assert max(s.end for s in rec.spans) == 1200.0


# -- every stored figure is explained by the stored spans and turns ------------------------

ROSTER3 = Chapter(
    "p", chair="Ann", roster=(Member("Ann"), Member("Ben"), Member("Cat", camera_exempt=True))
)
NAMES = {"ann": "Ann", "ben": "Ben", "ben-phone": "Ben (phone)", "cat": "Cat", "zed": "Zed | Co"}
STATES = [State.ENGAGED, State.LOOKING_AWAY, State.ABSENT, State.CAMERA_OFF, State.UNKNOWN]


@st.composite
def random_meetings(draw: st.DrawFn) -> list[Event]:
    events: list[Event] = []
    for pid, name in NAMES.items():
        if pid in ("ben-phone", "zed") and not draw(st.booleans()):
            continue
        joined = float(draw(st.integers(0, 200)))
        left = draw(st.one_of(st.none(), st.integers(int(joined) + 1, 900)))
        events += [
            ParticipantJoined(joined, P(pid), name),
            TrackStarted(joined, P(pid), TrackKind.VIDEO),
        ]
        end = 900 if left is None else left
        # A few state changes, then a reading every 2 s (few draws keep hypothesis fast).
        changes = sorted(
            draw(st.lists(st.tuples(st.integers(0, 900), st.sampled_from(STATES)), max_size=6))
        )
        gaps = draw(st.sets(st.integers(0, 900), max_size=3))  # stalled stream from here, 20 s
        for t in range(int(joined), end, 2):
            if any(g <= t < g + 20 for g in gaps):
                continue
            state = next((c for at, c in reversed(changes) if at <= t), State.ENGAGED)
            events.append(Observation(float(t), P(pid), state))
        if left is not None:
            events.append(ParticipantLeft(float(left), P(pid)))
        for _ in range(draw(st.integers(1, 5))):
            start = draw(st.integers(int(joined), int(end)))
            events += [
                SpeechChanged(float(start), P(pid), True),
                SpeechChanged(float(start + draw(st.integers(5, 200))), P(pid), False),
            ]
    return sorted(events, key=lambda e: e.at)


@settings(max_examples=60, deadline=None)
@given(random_meetings())
def test_every_figure_is_explained_by_the_record(events: list[Event]) -> None:
    rec = build(events, chapter=ROSTER3, end_at=900.0)
    for a in rec.attendees:
        assert sum(a.seconds_by_state.values()) == pytest.approx(900.0)
        if a.score is None:
            continue
        own = [s for s in rec.spans if s.participant in a.participants]
        stretches = scoring.person_states(own)
        window = scoring.others_turns(rec.turns, a.person, a.participants)
        assert a.score == scoring.listening_score(
            stretches, window, camera_exempt=a.camera_exempt, settings=DomainSettings().scoring
        )
        assert a.score.value is None or 0.0 <= a.score.value <= 100.0
        assert a.score.attentive_s <= a.score.observable_s + 1e-9
        mine = scoring.own_turns(rec.turns, a.person, a.participants)
        assert a.own_turn_s == pytest.approx(sum(t.duration for t in mine))
