"""The listening score and the per-person figures, computed from stored spans and turns only.

## How the listening score is computed

The listening score says how attentive a member was while **other members** presented.
It is computed from the stored per-second states, so every figure can be explained.

1. **Others' turns.** The turns of kind `member` or `feature` spoken by someone else (an unknown
   speaker counts as someone else unless it was one of the member's own connections). The
   chair's interjections and remarks are not member turns and do not count.
2. **The member's state at each moment.** When a member is connected more than once (phone and
   laptop), the most favourable state of their connections counts, in this order:
   `engaged` > `unknown` > `looking_away` > `camera_off` > `absent`.
3. During others' turns, measure:
   - `others_turns_s`: the time the member was connected;
   - `unknown_s`: of that, the time nobody could tell (no usable reading, bot disconnected);
   - `camera_off_s`: of that, the time their camera was off;
   - `attentive_s`: of that, the time they were `engaged`.
4. `observable_s = others_turns_s − unknown_s`, and for a member with a camera accommodation
   (`camera_exempt`) also `− camera_off_s`.
5. **score = 100 × attentive_s ÷ observable_s.** Looking away, absent (camera on, nobody
   there) and, without an accommodation, camera off count as not attentive.
6. **No score** ("not enough data", never zero) when `observable_s` is below
   `scoring.min_observable_s` (60 s) or below `scoring.min_observable_share` (30 %) of
   `others_turns_s`.

Visitors, substitutes and absent or opted-out members get no score.

Other figures per person: *time present* (connected, with drops shorter than
`attendance.rejoin_merge_s` bridged), *camera on* (time `engaged`, `looking_away` or `absent`;
the camera-on share is camera on ÷ time present), *own turn time* (the length of their turns of
any kind), and *seconds by state* over the whole meeting (including `not_connected`; they add up
to the meeting's length).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from meetbot.domain import intervals
from meetbot.domain.events import ParticipantId
from meetbot.domain.intervals import Interval
from meetbot.domain.record import ListeningScore, Span, Turn
from meetbot.domain.settings import ScoringSettings
from meetbot.domain.states import State, TurnKind

# Most favourable first: what a person with several connections is taken to be doing.
RANK: tuple[State, ...] = (
    State.ENGAGED,
    State.UNKNOWN,
    State.LOOKING_AWAY,
    State.CAMERA_OFF,
    State.ABSENT,
)
CAMERA_ON: frozenset[State] = frozenset({State.ENGAGED, State.LOOKING_AWAY, State.ABSENT})
LISTENED_TO: frozenset[TurnKind] = frozenset({TurnKind.MEMBER, TurnKind.FEATURE})
NOT_ENOUGH_DATA = "not_enough_data"


@dataclass(frozen=True, slots=True)
class Stretch:
    """A person's state over [start, end), all their connections combined."""

    start: float
    end: float
    state: State


def person_states(spans: Iterable[Span]) -> tuple[Stretch, ...]:
    """Combine one person's connection spans into one non-overlapping sequence of states."""
    edges: list[tuple[float, int, State]] = []
    for span in spans:
        if span.end > span.start:
            edges += [(span.start, 1, span.state), (span.end, -1, span.state)]
    edges.sort(key=lambda e: e[0])
    active = dict.fromkeys(State, 0)  # how many connections are in each state right now
    out: list[Stretch] = []
    for i, (at, step, state) in enumerate(edges):
        active[state] += step
        if i + 1 < len(edges) and edges[i + 1][0] == at:
            continue  # apply every edge at this instant before reading the state
        end = edges[i + 1][0] if i + 1 < len(edges) else at
        now = [s for s, n in active.items() if n > 0]
        if not now or end <= at:
            continue
        best = min(now, key=_rank)
        if out and out[-1].state is best and out[-1].end == at:
            out[-1] = Stretch(out[-1].start, end, best)
        else:
            out.append(Stretch(at, end, best))
    return tuple(out)


def _rank(state: State) -> int:
    return RANK.index(state) if state in RANK else len(RANK)


def seconds_in(stretches: Iterable[Stretch], window: Sequence[Interval]) -> dict[State, float]:
    """Seconds per state within `window` (a disjoint, sorted interval list)."""
    out: dict[State, float] = {}
    for st in stretches:
        inside = intervals.length(intervals.intersect([(st.start, st.end)], window))
        if inside > 0:
            out[st.state] = out.get(st.state, 0.0) + inside
    return out


def seconds_by_state(stretches: Sequence[Stretch], duration: float) -> dict[State, float]:
    """Seconds per state over the whole meeting; the rest of it is `not_connected`."""
    out = seconds_in(stretches, [(0.0, duration)])
    connected = sum(out.values())
    if duration - connected > 0:
        out[State.NOT_CONNECTED] = duration - connected
    return out


def others_turns(
    turns: Iterable[Turn], person: str | None, participants: Iterable[ParticipantId]
) -> tuple[Interval, ...]:
    """When other members held the floor: member and feature turns not spoken by `person`."""
    own = set(participants)
    return intervals.union(
        (t.start, t.end)
        for t in turns
        if t.kind in LISTENED_TO
        and not (person is not None and t.person == person)
        and not own.intersection(t.participants)
    )


def own_turns(
    turns: Iterable[Turn], person: str, participants: Iterable[ParticipantId]
) -> tuple[Turn, ...]:
    own = set(participants)
    return tuple(t for t in turns if t.person == person or own.intersection(t.participants))


def listening_score(
    stretches: Sequence[Stretch],
    others: Sequence[Interval],
    *,
    camera_exempt: bool,
    settings: ScoringSettings,
) -> ListeningScore:
    """The score as the module docstring defines it, with every number that explains it."""
    during = seconds_in(stretches, others)
    others_turns_s = sum(during.values())
    unknown_s = during.get(State.UNKNOWN, 0.0)
    camera_off_s = during.get(State.CAMERA_OFF, 0.0)
    attentive_s = during.get(State.ENGAGED, 0.0)
    observable_s = others_turns_s - unknown_s - (camera_off_s if camera_exempt else 0.0)
    observable_s = max(observable_s, 0.0)  # float dust from the subtraction
    enough = (
        observable_s > 0
        and observable_s >= settings.min_observable_s
        and observable_s >= settings.min_observable_share * others_turns_s
    )
    return ListeningScore(
        value=min(100.0, 100.0 * attentive_s / observable_s) if enough else None,
        attentive_s=attentive_s,
        observable_s=observable_s,
        others_turns_s=others_turns_s,
        camera_off_s=camera_off_s,
        camera_exempt=camera_exempt,
        reason="" if enough else NOT_ENOUGH_DATA,
        unknown_s=unknown_s,
    )


def camera_on_seconds(stretches: Iterable[Stretch]) -> float:
    return sum(st.end - st.start for st in stretches if st.state in CAMERA_ON)
