"""Folding events into state spans: dwell, staleness, camera, bot drops, and invariants."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetbot.domain.events import (
    ConnectionLost,
    ConnectionRestored,
    Event,
    MeetingEnded,
    Observation,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    TrackEnded,
    TrackStarted,
)
from meetbot.domain.record import Span
from meetbot.domain.settings import TimelineSettings
from meetbot.domain.spans import merge_adjacent
from meetbot.domain.states import State, TrackKind
from meetbot.domain.timeline import TimelineFolder, fold

A = ParticipantId("a")
B = ParticipantId("b")
E, L, X, C, U = (
    State.ENGAGED,
    State.LOOKING_AWAY,
    State.ABSENT,
    State.CAMERA_OFF,
    State.UNKNOWN,
)
S = TimelineSettings()  # dwell: away 5, absent 5, camera off 3, engaged 2; stale 5


def joined(at: float = 0.0, pid: ParticipantId = A) -> list[Event]:
    return [ParticipantJoined(at, pid, pid.upper()), TrackStarted(at, pid, TrackKind.VIDEO)]


def readings(
    states: str, start: float = 0.0, pid: ParticipantId = A, conf: float = 1.0
) -> list[Event]:
    """One reading per second from `start`; letters e/l/x/c/u, '.' = no reading that second."""
    code = {"e": E, "l": L, "x": X, "c": C, "u": U}
    return [
        Observation(start + i, pid, code[ch], confidence=conf)
        for i, ch in enumerate(states)
        if ch != "."
    ]


def spans_of(events: list[Event], end: float) -> list[tuple[State, float, float]]:
    return [(s.state, s.start, s.end) for s in fold(events, S, end)]


CASES = [
    pytest.param(
        joined() + readings("e" * 10 + "lll" + "e" * 7),
        20,
        [(E, 0, 20)],
        id="a glance shorter than the dwell stays engaged",
    ),
    pytest.param(
        joined() + readings("e" * 10 + "l" * 7 + "e" * 13),
        30,
        [(E, 0, 10), (L, 10, 17), (E, 17, 30)],
        id="looking away past the dwell is dated from its first reading",
    ),
    pytest.param(
        joined() + readings("e" * 10 + "xxxx" + "e" * 6),
        20,
        [(E, 0, 20)],
        id="leaning out of frame briefly is not absence",
    ),
    pytest.param(
        joined() + readings("e" * 10 + "x" * 10 + "e" * 10),
        30,
        [(E, 0, 10), (X, 10, 20), (E, 20, 30)],
        id="an empty chair for 10 s is absent",
    ),
    pytest.param(
        joined() + readings("e" * 10 + "l" * 10 + "e" + "l" * 9),
        30,
        [(E, 0, 10), (L, 10, 30)],
        id="one engaged reading does not end looking away",
    ),
    pytest.param(
        [
            *joined(),
            *readings("e" * 10),
            TrackEnded(10, A, TrackKind.VIDEO),
            TrackStarted(20, A, TrackKind.VIDEO),
            *readings("e" * 10, start=20),
        ],
        30,
        [(E, 0, 10), (C, 10, 20), (E, 20, 30)],
        id="video track ended while connected is camera off",
    ),
    pytest.param(
        [
            *joined(),
            *readings("e" * 10),
            TrackEnded(10, A, TrackKind.VIDEO),
            TrackStarted(11.5, A, TrackKind.VIDEO),
            *readings("e" * 18, start=12),
        ],
        30,
        [(E, 0, 30)],
        id="a camera back within the dwell is a glitch",
    ),
    pytest.param(
        joined() + readings("e" * 10),
        30,
        [(E, 0, 14), (U, 14, 30)],
        id="no reading for stale_after_s is unknown, never absent",
    ),
    pytest.param(
        joined() + readings("e" * 10) + readings("e" * 20, start=10, conf=0.2),
        30,
        [(E, 0, 14), (U, 14, 30)],
        id="low-confidence readings count as no reading",
    ),
    pytest.param(
        [
            *joined(),
            *readings("e" * 10),
            ConnectionLost(10),
            ConnectionRestored(20),
            *readings("e" * 10, start=20),
        ],
        30,
        [(E, 0, 10), (U, 10, 20), (E, 20, 30)],
        id="the bot losing the meeting is unknown for everyone",
    ),
    pytest.param(
        [*joined(), *readings("e" * 15), ParticipantLeft(15, A), *readings("l" * 9, start=16)],
        30,
        [(E, 0, 15)],
        id="spans end when the connection leaves; later readings are ignored",
    ),
    pytest.param(
        [ParticipantJoined(0, A, "A")],
        30,
        [(C, 0, 30)],
        id="no video at all after joining is camera off from the start",
    ),
    pytest.param(
        joined(),
        30,
        [(U, 0, 30)],
        id="video but never a reading is unknown",
    ),
    pytest.param(
        [
            *joined(),
            TrackEnded(5, A, TrackKind.VIDEO),
            ConnectionLost(10),
            ConnectionRestored(20),
        ],
        40,
        [(U, 0, 5), (C, 5, 10), (U, 10, 20), (C, 20, 40)],
        id="after a reconnect, no video for no_video_after_s is camera off again",
    ),
    pytest.param(
        [*joined(), *readings("e" * 10), MeetingEnded(12), *readings("l" * 10, start=12)],
        30,
        [(E, 0, 12)],
        id="meeting ended closes everything",
    ),
    pytest.param(
        joined() + readings("." * 3 + "e" * 7),
        10,
        [(U, 0, 3), (E, 3, 10)],
        id="leaving unknown needs no dwell",
    ),
]


@pytest.mark.parametrize(("events", "end", "expected"), CASES)
def test_fold(events: list[Event], end: float, expected: list[tuple[State, float, float]]) -> None:
    assert spans_of(events, end) == expected


def test_feed_returns_the_spans_each_event_closes() -> None:
    folder = TimelineFolder(S)
    closed: list[list[Span]] = [folder.feed(e) for e in joined() + readings("e" * 10)]
    assert all(c == [] for c in closed)  # nothing has ended yet
    assert folder.open_states() == {A: E}
    # The reading at 15 finds the connection stale since 14 (engaged ends there), and a reading
    # after unknown takes over at once (unknown ends too).
    assert folder.feed(Observation(15, A, L)) == [Span(A, E, 0, 14), Span(A, U, 14, 15)]
    assert folder.feed(ParticipantLeft(20, A)) == [Span(A, L, 15, 20)]
    assert folder.close(30) == []
    assert folder.feed(Observation(31, A, E)) == []  # after the end nothing changes


def test_open_spans_cut_at_a_checkpoint_complete_the_closed_ones() -> None:
    folder = TimelineFolder(S)
    closed = [span for e in joined() + readings("e" * 10 + "l" * 10) for span in folder.feed(e)]
    assert closed == [Span(A, E, 0, 10)]
    assert folder.open_spans(19.5) == [Span(A, L, 10, 19.5)]
    assert folder.open_spans(19.5) == [Span(A, L, 10, 19.5)]  # asking changes nothing
    assert folder.close(20) == [Span(A, L, 10, 20)]
    assert folder.open_spans(25) == []


def test_late_events_never_rewrite_closed_time() -> None:
    events = [*joined(), *readings("e" * 10), ParticipantLeft(10, A), Observation(9.5, A, L)]
    assert spans_of(events, 20) == [(E, 0, 10)]


def test_unseen_is_unknown_at_once_and_a_reading_ends_it_at_once() -> None:
    """Off the gallery page the bot has no picture at all: unknown from that moment, not 5 s
    later when the last reading goes stale (nor absent); back on the page, the first reading
    takes over without a dwell. An ordinary unknown reading still waits for staleness."""
    unseen = Observation(6, A, U, confidence=0.0, reason="off_screen", unseen=True)
    events = [*joined(), *readings("eeeeee"), unseen, *readings("eee", start=9)]
    assert spans_of(events, 12) == [(E, 0, 6), (U, 6, 9), (E, 9, 12)]
    plain = Observation(6, A, U, confidence=0.0, reason="detector failed")
    events = [*joined(), *readings("eeeeee"), plain, *readings("eee", start=9)]
    assert spans_of(events, 12) == [(E, 0, 12)]


def down(start: float, seconds: int, pid: ParticipantId = A) -> list[Event]:
    """One look-down reading a second (head bowed over notes or a phone) from `start`."""
    return [
        Observation(start + i, pid, L, reason="head_down", looking_down=True)
        for i in range(seconds)
    ]


def test_note_taking_looks_down_for_a_few_seconds_and_stays_engaged() -> None:
    """Writing a referral down: 8 s of head down (longer than the 5 s look-away dwell, shorter
    than the look-down one) and back to the meeting: engaged throughout."""
    assert S.looking_away_dwell_s < 8 < S.looking_down_dwell_s
    events = [*joined(), *readings("e" * 10), *down(10, 8), *readings("e" * 10, start=18)]
    assert spans_of(events, 28) == [(E, 0, 28)]
    # the same 8 s turned aside is looking away
    events = [*joined(), *readings("e" * 10 + "l" * 8 + "e" * 10)]
    assert spans_of(events, 28) == [(E, 0, 10), (L, 10, 18), (E, 18, 28)]


def test_a_head_that_stays_down_is_looking_away_from_when_it_went_down() -> None:
    events = [*joined(), *readings("e" * 10), *down(10, 20), *readings("e" * 5, start=30)]
    assert spans_of(events, 35) == [(E, 0, 10), (L, 10, 30), (E, 30, 35)]


def test_a_look_down_that_turns_aside_takes_the_ordinary_dwell() -> None:
    """Down for 3 s, then turned aside: one look away of 6 s, past the 5 s dwell."""
    events = [*joined(), *readings("e" * 10), *down(10, 3), *readings("lll", start=13)]
    events += readings("e" * 5, start=16)
    assert spans_of(events, 21) == [(E, 0, 10), (L, 10, 16), (E, 16, 21)]


def test_connections_are_folded_independently() -> None:
    events = sorted(
        joined(0, A) + joined(5, B) + readings("e" * 20, 0, A) + readings("l" * 15, 5, B),
        key=lambda e: e.at,
    )
    spans = fold(events, S, 20)
    assert [(s.participant, s.state, s.start, s.end) for s in spans] == [
        (A, E, 0, 20),
        (B, L, 5, 20),
    ]


def test_merge_adjacent_resolves_overlaps_from_provisional_spans() -> None:
    # A checkpoint saved L [10, 40) while open; engaged was later dated back to 36.
    saved = [Span(A, E, 0, 10), Span(A, L, 10, 40), Span(A, L, 10, 36), Span(A, E, 36, 50)]
    assert merge_adjacent(saved) == (Span(A, E, 0, 10), Span(A, L, 10, 36), Span(A, E, 36, 50))
    # A provisional span that is later closed longer is one span.
    assert merge_adjacent([Span(A, L, 10, 40), Span(A, L, 10, 55)]) == (Span(A, L, 10, 55),)


def test_merge_adjacent_joins_touching_equal_spans_only() -> None:
    parts = [Span(A, E, 0, 5), Span(A, E, 5, 9), Span(A, L, 9, 12), Span(B, E, 9, 12)]
    assert merge_adjacent(parts) == (Span(A, E, 0, 9), Span(A, L, 9, 12), Span(B, E, 9, 12))


# -- properties ---------------------------------------------------------------------------

PIDS = [A, B, ParticipantId("c")]
STATES = [E, L, X, C, U, State.NOT_CONNECTED]


@st.composite
def meetings(draw: st.DrawFn) -> tuple[list[Event], float]:
    """Random but well-formed event streams: times never go back, as the edges stamp them."""
    n = draw(st.integers(0, 80))
    t = 0.0
    events: list[Event] = []
    for _ in range(n):
        t += draw(st.sampled_from([0.0, 0.5, 1.0, 1.0, 2.0, 7.0]))
        pid = draw(st.sampled_from(PIDS))
        kind = draw(st.integers(0, 9))
        if kind == 0:
            events.append(ParticipantJoined(t, pid, pid))
        elif kind == 1:
            events.append(ParticipantLeft(t, pid))
        elif kind == 2:
            events.append(TrackEnded(t, pid, TrackKind.VIDEO))
        elif kind == 3:
            events.append(TrackStarted(t, pid, TrackKind.VIDEO))
        elif kind == 4:
            bot: Event = ConnectionLost(t) if draw(st.booleans()) else ConnectionRestored(t)
            events.append(bot)
        else:
            state = draw(st.sampled_from(STATES))
            conf = draw(st.sampled_from([1.0, 0.9, 0.3]))
            events.append(Observation(t, pid, state, confidence=conf))
    end = t + draw(st.sampled_from([0.0, 3.0, 20.0]))
    return events, end


def connected_time(events: list[Event], end: float) -> dict[ParticipantId, float]:
    """What the spans must add up to, worked out independently of the folder."""
    opened: dict[ParticipantId, float] = {}
    total: dict[ParticipantId, float] = {}
    for e in events:
        if isinstance(e, ParticipantJoined) and e.participant not in opened:
            opened[e.participant] = e.at
        elif isinstance(e, ParticipantLeft) and e.participant in opened:
            pid = e.participant
            total[pid] = total.get(pid, 0.0) + e.at - opened.pop(pid)
    for pid, start in opened.items():
        total[pid] = total.get(pid, 0.0) + end - start
    return {pid: t for pid, t in total.items() if t > 0}


@settings(max_examples=300, deadline=None)
@given(meetings())
def test_spans_never_overlap_and_add_up_to_connected_time(
    meeting: tuple[list[Event], float],
) -> None:
    events, end = meeting
    spans = fold(events, S, end)
    by_pid: dict[ParticipantId, list[Span]] = {}
    for span in spans:
        assert span.end > span.start
        assert span.state is not State.NOT_CONNECTED  # not connected is the time between spans
        by_pid.setdefault(span.participant, []).append(span)
    for run in by_pid.values():
        run.sort(key=lambda s: s.start)
        for before, after in itertools.pairwise(run):
            assert before.end <= after.start
            if before.end == after.start:
                assert before.state is not after.state  # adjacent equal states are merged
    totals = {pid: sum(s.duration for s in run) for pid, run in by_pid.items()}
    assert totals == pytest.approx(connected_time(events, end))


@settings(max_examples=300, deadline=None)
@given(meetings())
def test_fold_is_deterministic_and_equals_incremental_feeding(
    meeting: tuple[list[Event], float],
) -> None:
    events, end = meeting
    folder = TimelineFolder(S)
    fed = [span for e in events for span in folder.feed(e)] + folder.close(end)
    assert fold(events, S, end) == fold(list(events), S, end) == merge_adjacent(fed)
    # The folder skips its per-event scan until something is due; scanning at every event
    # (the plain definition) must give the same spans, in the same order.
    scanning = TimelineFolder(S)
    plain: list[Span] = []
    for e in events:
        scanning._due = float("-inf")  # white-box: force the scan the shortcut skips
        plain += scanning.feed(e)
    scanning._due = float("-inf")
    assert plain + scanning.close(end) == fed


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([A, B]),
            st.sampled_from(STATES[:5]),
            st.integers(0, 50),
            st.integers(1, 20),
        ),
        max_size=12,
    )
)
def test_merge_adjacent_output_is_canonical(
    raw: list[tuple[ParticipantId, State, int, int]],
) -> None:
    spans = [Span(pid, state, float(start), float(start + n)) for pid, state, start, n in raw]
    out = merge_adjacent(spans)
    assert merge_adjacent(out) == out
    for pid in (A, B):
        run = [s for s in out if s.participant == pid]
        for before, after in itertools.pairwise(run):
            assert before.end <= after.start
            assert before.end < after.start or before.state is not after.state
        # The time covered is what the input covered.
        covered = {
            t for s in spans if s.participant == pid for t in range(int(s.start), int(s.end))
        }
        assert {t for s in run for t in range(int(s.start), int(s.end))} == covered


def off_beat(states: str, offsets: dict[int, float], start: float = 0.0) -> list[Event]:
    """`readings`, some of them stamped off the beat: {index: seconds late (or early, < 0)}."""
    return [
        Observation(o.at + offsets.get(i, 0.0), o.participant, o.state, confidence=o.confidence)
        for i, o in enumerate(readings(states, start))
        if isinstance(o, Observation)
    ]


def test_a_dwell_takes_as_many_readings_as_it_is_long_whatever_their_stamps_jitter() -> None:
    """Camera off (dwell 3 s) from the reading at 10: four readings at one a second. The first
    taken 40 ms late, their stamps span 2.96 s: still shown at the fourth, dated to the first."""
    events = [*joined(), *off_beat("e" * 10 + "cccc", {10: 0.04})]
    folder = TimelineFolder(S)
    shown_at = None
    for event in events:
        folder.feed(event)
        if shown_at is None and folder.open_states()[A] is C:
            shown_at = event.at
    assert shown_at == 13.0
    assert spans_of(events, 14) == [(E, 0, 10.04), (C, 10.04, 14)]


@pytest.mark.parametrize(
    ("states", "offsets"),
    [
        ("e" * 10 + "ccc" + "e" * 4, {}),  # three readings: 2 s of camera off
        ("e" * 10 + "ccc" + "e" * 4, {12: 0.95}),  # a late third: 2.95 s but three readings
        ("e" * 10 + "cccc" + "e" * 4, {10: 0.3}),  # four, but spanning 2.7 s: beyond jitter
    ],
)
def test_readings_short_of_the_dwell_beyond_jitter_never_switch(
    states: str, offsets: dict[int, float]
) -> None:
    events = [*joined(), *off_beat(states, offsets)]
    assert [s for s, _, _ in spans_of(events, 20)] == [E]
