"""A detector's `Reading` in domain terms: the one place the two vocabularies meet.

Live sampling and offline analysis both use this, so a file and a meeting judge alike. An
Observation of someone who cannot be judged is the domain's own `unknown`.
"""

from __future__ import annotations

from detectors import Reading, Verdict
from meetbot.domain.events import Observation, ParticipantId
from meetbot.domain.states import State

# the detector's reason for a head bowed down (detectors.judgement)
LOOKING_DOWN = "head_down"

# Spelled out rather than State(verdict.value): a verdict added to detectors later and not mapped
# here becomes `unknown` (never a guess, never a ValueError mid-meeting); a test covers them all.
_STATES: dict[Verdict, State] = {
    Verdict.ENGAGED: State.ENGAGED,
    Verdict.LOOKING_AWAY: State.LOOKING_AWAY,
    Verdict.ABSENT: State.ABSENT,
    Verdict.CAMERA_OFF: State.CAMERA_OFF,
    Verdict.UNKNOWN: State.UNKNOWN,
}


def to_observation(participant: ParticipantId, reading: Reading) -> Observation:
    """Map one reading of `participant` to an Observation dated when the frame was sampled."""
    return Observation(
        at=reading.at,
        participant=participant,
        state=_STATES.get(reading.verdict, State.UNKNOWN),
        confidence=reading.confidence,
        faces=reading.faces,
        yaw=reading.yaw,
        pitch=reading.pitch,
        reason=reading.reason,
        looking_down=reading.reason == LOOKING_DOWN,
    )
