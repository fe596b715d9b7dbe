"""The listening score: the README formula, the accommodation, not-enough-data, and that every
figure is explained by the stored spans (checked against a brute-force second-by-second count)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetbot.domain import intervals, scoring
from meetbot.domain.events import ParticipantId
from meetbot.domain.record import Span, Turn
from meetbot.domain.settings import ScoringSettings
from meetbot.domain.states import State, TurnKind

P = ParticipantId
ME, PHONE, OTHER = P("me"), P("me-phone"), P("other")
E, L, X, C, U = State.ENGAGED, State.LOOKING_AWAY, State.ABSENT, State.CAMERA_OFF, State.UNKNOWN
S = ScoringSettings()  # at least 60 s and 30 % of others' turns judged


def score(
    spans: list[Span], window: list[tuple[float, float]], exempt: bool = False
) -> tuple[object, ...]:
    got = scoring.listening_score(
        scoring.person_states(spans), window, camera_exempt=exempt, settings=S
    )
    return (
        got.value,
        got.attentive_s,
        got.observable_s,
        got.others_turns_s,
        got.camera_off_s,
        got.reason,
    )


CASES = [
    pytest.param(
        [Span(ME, E, 0, 100)], [(0, 100)], False, (100.0, 100, 100, 100, 0, ""), id="all ears"
    ),
    pytest.param(
        [Span(ME, E, 0, 75), Span(ME, L, 75, 100)],
        [(0, 100)],
        False,
        (75.0, 75, 100, 100, 0, ""),
        id="looking away is not attentive",
    ),
    pytest.param(
        [Span(ME, E, 0, 50), Span(ME, X, 50, 100)],
        [(0, 100)],
        False,
        (50.0, 50, 100, 100, 0, ""),
        id="an empty chair is not attentive",
    ),
    pytest.param(
        [Span(ME, E, 0, 60), Span(ME, C, 60, 100)],
        [(0, 100)],
        False,
        (60.0, 60, 100, 100, 40, ""),
        id="camera off counts without an accommodation",
    ),
    pytest.param(
        [Span(ME, E, 0, 60), Span(ME, C, 60, 100)],
        [(0, 100)],
        True,
        (100.0, 60, 60, 100, 40, ""),
        id="camera off is left out with an accommodation",
    ),
    pytest.param(
        [Span(ME, E, 0, 60), Span(ME, U, 60, 100)],
        [(0, 100)],
        False,
        (100.0, 60, 60, 100, 0, ""),
        id="unknown time is never judged",
    ),
    pytest.param(
        [Span(ME, E, 0, 50)],
        [(0, 100)],
        False,
        (None, 50, 50, 50, 0, "not_enough_data"),
        id="under a minute judged: no score, not zero",
    ),
    pytest.param(
        [Span(ME, L, 0, 70), Span(ME, U, 70, 300)],
        [(0, 300)],
        False,
        (None, 0, 70, 300, 0, "not_enough_data"),
        id="under 30 percent judged: no score",
    ),
    pytest.param(
        [Span(ME, E, 0, 200)],
        [(10, 40), (100, 150)],
        False,
        (100.0, 80, 80, 80, 0, ""),
        id="only others' turns count",
    ),
    pytest.param(
        [Span(ME, L, 0, 100), Span(PHONE, C, 0, 50), Span(PHONE, E, 50, 100)],
        [(0, 100)],
        False,
        (50.0, 50, 100, 100, 0, ""),
        id="the most favourable of two devices counts",
    ),
    pytest.param([], [(0, 100)], False, (None, 0, 0, 0, 0, "not_enough_data"), id="never there"),
]


@pytest.mark.parametrize(("spans", "window", "exempt", "expected"), CASES)
def test_listening_score(
    spans: list[Span], window: list[tuple[float, float]], exempt: bool, expected: tuple[object, ...]
) -> None:
    assert score(spans, window, exempt) == expected


def test_others_turns_are_member_and_feature_turns_of_someone_else() -> None:
    turns = [
        Turn(0, 40, "Chair", TurnKind.CHAIR, participants=(OTHER,)),
        Turn(40, 85, "Bob", TurnKind.MEMBER, participants=(OTHER,)),
        Turn(90, 135, "Me", TurnKind.MEMBER, participants=(ME,)),
        Turn(140, 185, None, TurnKind.MEMBER, participants=(PHONE,)),  # my phone, unnamed
        Turn(190, 235, None, TurnKind.MEMBER, participants=(P("x"),)),  # someone unknown
        Turn(240, 540, "Erin", TurnKind.FEATURE, participants=(P("e"),)),
    ]
    assert scoring.others_turns(turns, "Me", (ME, PHONE)) == ((40, 85), (190, 235), (240, 540))
    assert [t.start for t in scoring.own_turns(turns, "Me", (ME, PHONE))] == [90, 140]


def test_seconds_by_state_add_up_to_the_meeting() -> None:
    stretches = scoring.person_states([Span(ME, E, 10, 50), Span(ME, C, 50, 70)])
    assert scoring.seconds_by_state(stretches, 100) == {E: 40, C: 20, State.NOT_CONNECTED: 40}
    assert scoring.camera_on_seconds(stretches) == 40


def test_the_formula_is_documented_in_the_module() -> None:
    doc = scoring.__doc__ or ""
    for words in ("score = 100 × attentive_s ÷ observable_s", "camera_exempt", "not enough data"):
        assert words in doc


# -- every figure is explained by the spans ----------------------------------------------------

STATES = [E, L, X, C, U]


@st.composite
def connection(draw: st.DrawFn, pid: ParticipantId) -> list[Span]:
    spans: list[Span] = []
    t = draw(st.integers(0, 50))
    for _ in range(draw(st.integers(0, 8))):
        gap = draw(st.sampled_from([0, 0, 0, 5, 20]))
        length = draw(st.integers(1, 60))
        spans.append(Span(pid, draw(st.sampled_from(STATES)), t + gap, t + gap + length))
        t += gap + length
    return spans


@st.composite
def windows(draw: st.DrawFn) -> list[tuple[float, float]]:
    starts = sorted(draw(st.sets(st.integers(0, 500), max_size=6)))
    return [(s, s + draw(st.integers(1, 80))) for s in starts]


def brute_force(spans: list[Span], window: list[tuple[float, float]], t: float) -> State | None:
    """The person's state at instant t inside others' turns, or None when not counted."""
    if not any(a <= t < b for a, b in window):
        return None
    states = [s.state for s in spans if s.start <= t < s.end]
    return min(states, key=scoring.RANK.index) if states else None


@settings(max_examples=300, deadline=None)
@given(connection(ME), connection(PHONE), windows(), st.booleans())
def test_score_is_explained_by_the_spans(
    laptop: list[Span], phone: list[Span], window: list[tuple[float, float]], exempt: bool
) -> None:
    spans = laptop + phone
    got = scoring.listening_score(
        scoring.person_states(spans), window, camera_exempt=exempt, settings=S
    )
    # All times are whole seconds, so sampling each half second counts every second exactly.
    seconds: dict[State, float] = {}
    for tick in range(0, 1200):
        state = brute_force(spans, window, tick / 2 + 0.25)
        if state is not None:
            seconds[state] = seconds.get(state, 0.0) + 0.5
    connected = sum(seconds.values())
    off = seconds.get(C, 0.0)
    observable = connected - seconds.get(U, 0.0) - (off if exempt else 0.0)
    assert got.others_turns_s == pytest.approx(connected)
    assert got.attentive_s == pytest.approx(seconds.get(E, 0.0))
    assert got.camera_off_s == pytest.approx(off)
    assert got.observable_s == pytest.approx(observable)
    if got.value is None:
        assert got.reason == "not_enough_data"
        assert observable < S.min_observable_s or observable < S.min_observable_share * connected
    else:
        assert 0.0 <= got.value <= 100.0
        assert got.value == pytest.approx(100 * seconds.get(E, 0.0) / observable)


@settings(max_examples=200, deadline=None)
@given(windows(), windows(), st.integers(0, 5))
def test_interval_arithmetic_matches_counting(
    a: list[tuple[float, float]], b: list[tuple[float, float]], bridge: int
) -> None:
    def covered(parts: tuple[tuple[float, float], ...], t: float) -> bool:
        return any(s <= t < e for s, e in parts)

    merged, both = intervals.union(a, bridge=bridge), intervals.intersect(a, b)
    only_a = intervals.subtract(a, b)
    for before, after in itertools.pairwise(merged):
        assert after[0] - before[1] > bridge  # disjoint, sorted, short gaps closed
    for t in (x + 0.5 for x in range(600)):
        assert covered(intervals.union(a), t) == covered(tuple(a), t)
        assert covered(both, t) == (covered(tuple(a), t) and covered(tuple(b), t))
        assert covered(only_a, t) == (covered(tuple(a), t) and not covered(tuple(b), t))
    assert intervals.length(a) == sum(covered(tuple(a), x + 0.5) for x in range(600))
