"""Speaking turns: pauses, interjections, the chair, overlaps, agenda names, unknown speakers."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetbot.domain import turns
from meetbot.domain.chapter import AgendaItem, Chapter, Member
from meetbot.domain.events import (
    Event,
    MeetingEnded,
    ParticipantId,
    ParticipantLeft,
    SpeechChanged,
)
from meetbot.domain.settings import TurnSettings
from meetbot.domain.states import TurnKind

P = ParticipantId
S = TurnSettings()  # min 8 s, merge gaps <= 3 s, chair 30 s, feature 240 s
CHAPTER = Chapter(
    "c",
    chair="Alice",
    roster=(Member("Alice"), Member("Bob"), Member("Cy"), Member("Fay", opted_out=True)),
)
PEOPLE: dict[ParticipantId, str | None] = {
    P("a"): "Alice",
    P("b"): "Bob",
    P("b-phone"): "Bob",
    P("c"): "Cy",
    P("f"): "Fay",
    P("u1"): None,
    P("u2"): None,
}
M, F, C = TurnKind.MEMBER, TurnKind.FEATURE, TurnKind.CHAIR


def talk(*parts: tuple[str, float, float]) -> list[Event]:
    events: list[Event] = []
    for pid, start, end in parts:
        events += [SpeechChanged(start, P(pid), True), SpeechChanged(end, P(pid), False)]
    return sorted(events, key=lambda e: e.at)


def fold(events: list[Event], chapter: Chapter = CHAPTER) -> list[tuple[object, ...]]:
    return [
        (t.start, t.end, t.person, t.kind, t.label)
        for t in turns.fold(events, S, PEOPLE, chapter, end_at=1000)
    ]


CASES = [
    pytest.param(
        talk(("b", 0, 20), ("b", 21.5, 45)), [(0, 45, "Bob", M, "Bob")], id="short pause merged"
    ),
    pytest.param(
        talk(("b", 0, 20), ("b", 23, 45)), [(0, 45, "Bob", M, "Bob")], id="3 s pause merged"
    ),
    pytest.param(
        talk(("b", 0, 20), ("b", 25, 45)),
        [(0, 20, "Bob", M, "Bob"), (25, 45, "Bob", M, "Bob")],
        id="long pause splits",
    ),
    pytest.param(talk(("b", 0, 7.9)), [], id="a remark is not a turn"),
    pytest.param(
        talk(("a", 0, 5), ("b", 6, 50), ("a", 51, 53), ("a", 54, 64)),
        [(6, 50, "Bob", M, "Bob")],
        id="chair interjections are not turns",
    ),
    pytest.param(
        talk(("a", 0, 40), ("b", 41, 90)),
        [(0, 40, "Alice", C, "Alice"), (41, 90, "Bob", M, "Bob")],
        id="a long chair stretch is a chair turn",
    ),
    pytest.param(
        talk(("b", 0, 60), ("c", 20, 30)),
        [(0, 60, "Bob", M, "Bob")],
        id="a question inside a turn is dropped",
    ),
    pytest.param(
        talk(("b", 0, 60), ("c", 55, 100)),
        [(0, 60, "Bob", M, "Bob"), (60, 100, "Cy", M, "Cy")],
        id="overlapping handover starts when the first ends",
    ),
    pytest.param(
        talk(("b", 0, 60), ("c", 50, 62)),
        [(0, 60, "Bob", M, "Bob")],
        id="what is left after an overlap must still be a turn",
    ),
    pytest.param(
        talk(("b", 0, 30), ("b-phone", 10, 45)),
        [(0, 45, "Bob", M, "Bob")],
        id="two devices of one person are one turn",
    ),
    pytest.param(
        talk(("u1", 0, 20), ("u2", 21, 40)),
        [(0, 20, None, M, "unknown speaker"), (21, 40, None, M, "unknown speaker")],
        id="unknown speakers stay unknown and apart",
    ),
    pytest.param(
        talk(("f", 0, 45), ("c", 50, 95)),
        [(0, 45, None, M, ""), (50, 95, "Cy", M, "Cy")],
        id="an opted-out member's turn is kept unnamed",
    ),
    pytest.param(
        talk(("b", 0, 45), ("c", 50, 350), ("b", 360, 700)),
        [(0, 45, "Bob", M, "Bob"), (50, 350, "Cy", M, "Cy"), (360, 700, "Bob", F, "Feature: Bob")],
        id="without an agenda the longest long turn is the feature",
    ),
    pytest.param(
        [SpeechChanged(0, P("b"), True), ParticipantLeft(30, P("b"))],
        [(0, 30, "Bob", M, "Bob")],
        id="leaving ends speech",
    ),
    pytest.param(
        [SpeechChanged(0, P("b"), True), MeetingEnded(50)],
        [(0, 50, "Bob", M, "Bob")],
        id="the meeting end ends speech",
    ),
]


@pytest.mark.parametrize(("events", "expected"), CASES)
def test_fold(events: list[Event], expected: list[tuple[object, ...]]) -> None:
    assert fold(events) == expected


def test_agenda_names_turns_and_marks_the_feature() -> None:
    chapter = Chapter(
        "c",
        chair="Alice",
        roster=CHAPTER.roster,
        agenda=(
            AgendaItem("Alice", 60, C),
            AgendaItem("Bob", 60, M),
            AgendaItem("Cy", 60, M),
            AgendaItem("Bob", 200, F),
        ),
    )
    events = talk(("a", 0, 40), ("b", 50, 95), ("c", 100, 150), ("b", 160, 260), ("c", 270, 300))
    assert fold(events, chapter) == [
        (0, 40, "Alice", C, "Alice"),
        (50, 95, "Bob", M, "Bob"),
        (100, 150, "Cy", M, "Cy"),
        (160, 260, "Bob", F, "Feature: Bob"),  # the longer of Bob's turns fills the feature slot
        (270, 300, "Cy", M, "Cy"),  # beyond the agenda: still a member turn
    ]


def test_without_a_chair_unknown_speakers_are_not_taken_for_one() -> None:
    no_chair = Chapter("c", roster=CHAPTER.roster)
    assert fold(talk(("u1", 0, 10), ("a", 20, 30)), no_chair) == [
        (0, 10, None, M, "unknown speaker"),
        (20, 30, "Alice", M, "Alice"),
    ]


def test_turns_keep_the_connections_that_spoke() -> None:
    (turn,) = turns.fold(talk(("b", 0, 30), ("b-phone", 10, 45)), S, PEOPLE, CHAPTER)
    assert turn.participants == ("b", "b-phone")


SPEAKERS = ["a", "b", "b-phone", "c", "f", "u1", "u2"]


@st.composite
def speech(draw: st.DrawFn) -> list[Event]:
    events: list[Event] = []
    t = 0.0
    for _ in range(draw(st.integers(0, 60))):
        t += draw(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 40.0]))
        events.append(SpeechChanged(t, P(draw(st.sampled_from(SPEAKERS))), draw(st.booleans())))
    return events


@settings(max_examples=300, deadline=None)
@given(speech(), st.sampled_from([CHAPTER, Chapter("c", roster=CHAPTER.roster)]))
def test_turns_never_overlap_and_are_long_enough(events: list[Event], chapter: Chapter) -> None:
    got = turns.fold(events, S, PEOPLE, chapter, end_at=2000)
    assert got == turns.fold(list(events), S, PEOPLE, chapter, end_at=2000)
    for turn in got:
        chair = turn.person is not None and turn.person == chapter.chair
        shortest = S.chair_min_turn_s if chair else S.min_turn_s
        assert (turn.kind is C) == chair
        assert turn.duration >= shortest
    for before, after in itertools.pairwise(got):
        assert before.end <= after.start
    assert sum(t.kind is F for t in got) <= 1
