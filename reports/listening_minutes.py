"""The room's listening minute by minute, from the stored state spans.

For each minute: of the time scored members could be judged while OTHER members had the floor
(the score's own rules: meetbot/domain/scoring.py), the share they were engaged. Summed over
people and seconds, like the room's figure for the whole meeting, so a minute's figure is the
same kind of number as the one in the summary. Minutes without others' turns have no figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from meetbot.domain import intervals
from meetbot.domain.record import Attendee, SessionRecord, Span
from meetbot.domain.scoring import Stretch, others_turns, person_states
from meetbot.domain.states import Attendance, State

MINUTE = 60.0
# Less judged time than this in a minute (all people together) gives no figure for it.
MIN_JUDGED_S = 10.0


def scored(record: SessionRecord) -> list[Attendee]:
    """The attendees the room's figure is made of: those with a listening score."""
    return [
        a
        for a in record.attendees
        if a.score is not None
        and a.score.value is not None
        and a.attendance is not Attendance.OPTED_OUT
    ]


def states_of(record: SessionRecord, a: Attendee) -> tuple[Stretch, ...]:
    """One person's combined states from the record's spans (empty once spans are purged)."""
    own = set(a.participants)
    return person_states(s for s in record.spans if s.participant in own)


def states_by_person(record: SessionRecord) -> dict[str, tuple[Stretch, ...]]:
    """Everyone's combined states, the spans read once (a big meeting has thousands)."""
    by_connection: dict[str, list[Span]] = {}
    for span in record.spans:
        by_connection.setdefault(span.participant, []).append(span)
    return {
        a.person: person_states(s for pid in a.participants for s in by_connection.get(pid, ()))
        for a in record.attendees
    }


def per_minute(
    record: SessionRecord, states: dict[str, tuple[Stretch, ...]] | None = None
) -> list[float]:
    """Percent engaged for each minute of the meeting; NaN where no figure can be given.

    `states`: states_by_person(record), when the caller has it already."""
    states = states_by_person(record) if states is None else states
    count = max(1, math.ceil(record.duration_s / MINUTE))
    attentive = [0.0] * count
    judged = [0.0] * count
    for a in scored(record):
        others = others_turns(record.turns, a.person, a.participants)
        exempt = a.score is not None and a.score.camera_exempt
        by_state: dict[State, list[tuple[float, float]]] = {}
        for st in states.get(a.person, ()):
            by_state.setdefault(st.state, []).append((st.start, st.end))
        for state, stretches in by_state.items():
            if state is State.UNKNOWN or (exempt and state is State.CAMERA_OFF):
                continue  # left out of the score, so out of the minute's figure too
            for start, end in intervals.intersect(stretches, others):
                for m, seconds in _by_minute(start, end, count):
                    judged[m] += seconds
                    if state is State.ENGAGED:
                        attentive[m] += seconds
    return [
        100.0 * a / j if j >= MIN_JUDGED_S else math.nan
        for a, j in zip(attentive, judged, strict=True)
    ]


def _by_minute(start: float, end: float, count: int) -> list[tuple[int, float]]:
    """[start, end) cut at minute boundaries: (minute, seconds in it)."""
    out = []
    m = int(start // MINUTE)
    while start < end and m < count:
        cut = min(end, (m + 1) * MINUTE)
        out.append((m, cut - start))
        start, m = cut, m + 1
    return out


def any_figure(values: Sequence[float]) -> bool:
    return any(not math.isnan(v) for v in values)
