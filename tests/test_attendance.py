"""PALMS attendance from joins and leaves, merging connections, and the organiser's reclassify."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from meetbot.domain import attendance
from meetbot.domain.assemble import assemble
from meetbot.domain.chapter import Chapter, Member
from meetbot.domain.events import (
    Event,
    Observation,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
    TrackStarted,
)
from meetbot.domain.header import SessionHeader
from meetbot.domain.reclassify import ReclassifyError, reclassify
from meetbot.domain.record import SessionRecord
from meetbot.domain.settings import DomainSettings
from meetbot.domain.states import Attendance, Role, State, TrackKind

P = ParticipantId
END = 3600.0
ROSTER = (
    Member("Bob Nguyen", aliases=("Bobby N",)),
    Member("Chloé Martin"),
    Member("Hana Kim", substitutes=("Sam Jones",)),
    Member("Ivan Petrov"),
    Member("Val Visitor", Role.VISITOR),  # a regular visitor on the roster
)
CHAPTER = Chapter("c", roster=ROSTER)


def stay(pid: str, name: str, joined: float, left: float | None = None) -> list[Event]:
    events: list[Event] = [ParticipantJoined(joined, P(pid), name)]
    return events + ([ParticipantLeft(left, P(pid))] if left is not None else [])


def categories(events: list[Event], chapter: Chapter = CHAPTER) -> dict[str, tuple[object, ...]]:
    rec = record(events, chapter)
    return {a.person: (a.attendance, a.late, a.left_early) for a in rec.attendees}


def record(events: list[Event], chapter: Chapter = CHAPTER) -> SessionRecord:
    header = SessionHeader("s", chapter, datetime(2026, 1, 5, tzinfo=UTC), "offline", "r")
    return assemble(
        header, sorted(events, key=lambda e: e.at), settings=DomainSettings(), end_at=END
    )


A, L, E = Attendance, True, False
CASES = [
    pytest.param(stay("b", "Bob Nguyen", 0), "Bob Nguyen", (A.PRESENT, E, E), id="on time"),
    pytest.param(stay("b", "Bob Nguyen", 300), "Bob Nguyen", (A.PRESENT, E, E), id="within grace"),
    pytest.param(stay("b", "Bob Nguyen", 301), "Bob Nguyen", (A.LATE, L, E), id="late"),
    pytest.param(stay("b", "Bob", 0, 3000), "Bob", (A.VISITOR, E, L), id="first name only"),
    pytest.param(stay("b", "BOBBY N 🎯", 0, 3000), "Bob Nguyen", (A.LEFT_EARLY, E, L), id="alias"),
    pytest.param(stay("b", "Bob Nguyen", 0, 3300), "Bob Nguyen", (A.PRESENT, E, E), id="near end"),
    pytest.param(stay("b", "Bob Nguyen", 400, 900), "Bob Nguyen", (A.LATE, L, L), id="late+early"),
    pytest.param(
        stay("b1", "Bob Nguyen", 0, 1000) + stay("b2", "Bob Nguyen", 2000),
        "Bob Nguyen",
        (A.PRESENT, E, E),
        id="left and came back",
    ),
    pytest.param(
        stay("s", "Sam Jones | Jones Plumbing", 0),
        "Sam Jones",
        (A.SUBSTITUTE, E, E),
        id="listed sub",
    ),
    pytest.param(
        stay("s", "Pat Lee (sub for Ivan)", 0), "Pat Lee", (A.SUBSTITUTE, E, E), id="sub by hint"
    ),
    pytest.param(stay("z", "Zoe Li | Acme Ltd", 0), "Zoe Li", (A.VISITOR, E, E), id="visitor"),
    pytest.param(
        stay("v", "val visitor", 0), "Val Visitor", (A.VISITOR, E, E), id="roster visitor"
    ),
    pytest.param([], "Chloé Martin", (A.ABSENT, E, E), id="never joined"),
]


@pytest.mark.parametrize(("events", "person", "expected"), CASES)
def test_categories(events: list[Event], person: str, expected: tuple[object, ...]) -> None:
    assert categories(events)[person] == expected


def test_a_substitute_marks_the_member_substitute_not_absent() -> None:
    got = categories(stay("s", "Pat Lee (sub for Ivan Petrov)", 0))
    assert got["Ivan Petrov"] == (A.SUBSTITUTE, False, False)
    assert got["Hana Kim"] == (A.ABSENT, False, False)


def test_roster_visitor_who_stays_away_is_not_listed() -> None:
    assert "Val Visitor" not in categories([])


def test_same_visitor_on_two_devices_is_one_attendee() -> None:
    rec = record(stay("z1", "Zoe Li | Acme Ltd", 0) + stay("z2", "zoe li (phone)", 60))
    zoe = [a for a in rec.attendees if a.role is Role.VISITOR]
    assert len(zoe) == 1
    assert zoe[0].participants == ("z1", "z2")
    assert zoe[0].names == ("Zoe Li | Acme Ltd", "zoe li (phone)")


def test_ambiguous_names_match_nobody() -> None:
    chapter = Chapter("c", roster=(Member("Sam Lee"), Member("Sam Li", aliases=("Sam (phone)",))))
    parties = attendance.group(
        attendance.connections(stay("x", "Lee Sam", 0) + stay("y", "sam", 0), END), chapter
    )
    assert [(p.person, [c.participant for c in p.connections]) for p in parties] == [
        ("Sam Lee", ["x"]),  # same words in another order
        ("Sam Li", ["y"]),  # "Sam (phone)" and "sam" share the key "sam"
    ]


def test_connections_end_at_the_meeting_end() -> None:
    conns = attendance.connections(stay("a", "A", 10, 20) + stay("a", "A", 30), 100)
    assert conns == (attendance.Connection(P("a"), "A", ((10.0, 20.0), (30.0, 100.0))),)


# -- reclassify ---------------------------------------------------------------------------


def watched(
    pid: str, name: str, joined: float, talk: tuple[float, float] | None = None
) -> list[Event]:
    """A connection that is seen engaged every second and may talk once."""
    events: list[Event] = [
        ParticipantJoined(joined, P(pid), name),
        TrackStarted(joined, P(pid), TrackKind.VIDEO),
        *(Observation(float(t), P(pid), State.ENGAGED) for t in range(int(joined), int(END))),
    ]
    if talk is not None:
        events += [SpeechChanged(talk[0], P(pid), True), SpeechChanged(talk[1], P(pid), False)]
    return events


MEETING = (
    watched("bob", "Bob Nguyen", 0, (100, 160))
    + watched("phone", "iPhone 13", 5, (200, 260))
    + watched("sam", "Sam Jones", 0, (300, 360))
    + watched("zoe", "Zoe Li | Acme Ltd", 0)
    + watched("ivan", "Ivan Petrov", 400, (500, 560))
)
BASE = record(MEETING, Chapter("c", roster=(*ROSTER[:2], Member("Hana Kim"), ROSTER[3])))


def people(rec: SessionRecord) -> dict[str, tuple[object, ...]]:
    return {a.person: (a.attendance, a.substitute_for, a.participants) for a in rec.attendees}


def test_reclassify_a_visitor_as_substitute() -> None:
    assert people(BASE)["Sam Jones"] == (A.VISITOR, None, ("sam",))
    assert people(BASE)["Hana Kim"] == (A.ABSENT, None, ())
    rec = reclassify(BASE, "Sam Jones", A.SUBSTITUTE, "Hana Kim")
    assert people(rec)["Sam Jones"] == (A.SUBSTITUTE, "Hana Kim", ("sam",))
    assert people(rec)["Hana Kim"] == (A.SUBSTITUTE, None, ())
    assert rec.notes == ("organiser marked 'Sam Jones' as substitute for Hana Kim",)
    unchanged = ("Bob Nguyen", "Ivan Petrov", "Zoe Li", "iPhone 13", "Chloé Martin")
    assert [a for a in rec.attendees if a.person in unchanged] == [
        a for a in BASE.attendees if a.person in unchanged
    ]
    # ... and back: the member is absent again.
    back = reclassify(rec, "Sam Jones", A.VISITOR)
    assert people(back)["Hana Kim"] == (A.ABSENT, None, ())
    assert people(back)["Sam Jones"] == (A.VISITOR, None, ("sam",))


def test_reclassify_an_unknown_phone_as_a_members_own_equals_knowing_the_alias() -> None:
    rec = reclassify(BASE, "iphone 13", A.PRESENT, "Bob Nguyen")
    assert "iPhone 13" not in people(rec)
    bob = next(a for a in rec.attendees if a.person == "Bob Nguyen")
    # As if the roster had listed the phone's name as Bob's alias from the start.
    chapter = Chapter(
        "c",
        roster=(
            dataclasses.replace(ROSTER[0], aliases=("Bobby N", "iPhone 13")),
            ROSTER[1],
            Member("Hana Kim"),
            ROSTER[3],
        ),
    )
    known = record(MEETING, chapter)
    assert bob == next(a for a in known.attendees if a.person == "Bob Nguyen")
    assert rec.turns == known.turns
    assert dataclasses.replace(rec, notes=()) == known


def test_reclassify_a_wrongly_matched_member_as_a_visitor() -> None:
    rec = reclassify(BASE, "Bob Nguyen", A.VISITOR)  # a namesake, not our Bob
    assert people(rec)["Bob Nguyen"] == (A.ABSENT, None, ())
    assert people(rec)["Bob Nguyen (guest)"] == (A.VISITOR, None, ("bob",))
    assert [t.person for t in rec.turns if "bob" in t.participants] == ["Bob Nguyen (guest)"]
    guest = next(a for a in rec.attendees if a.person == "Bob Nguyen (guest)")
    assert (guest.score, guest.turns, guest.own_turn_s) == (None, 1, 60.0)


def test_reclassify_forces_a_category_by_person_name() -> None:
    assert people(BASE)["Ivan Petrov"][0] is A.LATE
    rec = reclassify(BASE, "Ivan Petrov", A.PRESENT)  # excused: the organiser knew
    ivan = next(a for a in rec.attendees if a.person == "Ivan Petrov")
    assert (ivan.attendance, ivan.late) == (A.PRESENT, True)  # the fact stays
    chloe = reclassify(BASE, "Chloé Martin", A.SUBSTITUTE)  # a never-joined member, by name
    assert people(chloe)["Chloé Martin"][0] is A.SUBSTITUTE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("Nobody Here", A.VISITOR), "nobody joined as 'Nobody Here'"),
        (("Sam Jones", A.SUBSTITUTE), "give the roster member's name"),
        (("Sam Jones", A.SUBSTITUTE, "Zoe Li"), "'Zoe Li' is not a roster member"),
        (("Sam Jones", A.VISITOR, "Hana Kim"), "stands in for nobody"),
        (("Bob Nguyen", A.OPTED_OUT), "use the opt-out command"),
    ],
)
def test_reclassify_refuses_with_a_clear_message(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ReclassifyError, match=message) as caught:
        reclassify(BASE, *args)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)
    assert "\n" not in str(caught.value)
