"""to_observation: every verdict maps to the same-named state; numbers carry over unchanged."""

from __future__ import annotations

import pytest

from detectors import Reading, Verdict
from meetbot.domain.events import Observation, ParticipantId, unknown
from meetbot.domain.states import State
from meetbot.media.observation import to_observation

P = ParticipantId("feed-7")


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_maps_to_the_state_of_the_same_name(verdict: Verdict) -> None:
    obs = to_observation(P, Reading(at=3.5, verdict=verdict, confidence=0.8))
    assert obs.state == State(verdict.value)
    assert obs.at == 3.5
    assert obs.participant == P


def test_pose_faces_confidence_and_reason_carry_over() -> None:
    reading = Reading(
        at=12.0,
        verdict=Verdict.LOOKING_AWAY,
        confidence=0.75,
        faces=2,
        yaw=31.5,
        pitch=-4.0,
        roll=2.0,
        gaze=(1.0, 2.0),
        reason="yaw",
    )
    assert to_observation(P, reading) == Observation(
        at=12.0,
        participant=P,
        state=State.LOOKING_AWAY,
        confidence=0.75,
        faces=2,
        yaw=31.5,
        pitch=-4.0,
        reason="yaw",
    )


def test_a_head_bowed_down_is_a_look_down_for_the_timeline() -> None:
    """The detector's head_down (bowed over notes or a phone) gets the timeline's longer dwell;
    a look away to the side or up does not."""
    down = Reading(at=1.0, verdict=Verdict.LOOKING_AWAY, confidence=0.9, reason="head_down")
    assert to_observation(P, down).looking_down
    for reason in ("head_yaw", "head_pitch", "turned_away"):
        aside = Reading(at=1.0, verdict=Verdict.LOOKING_AWAY, confidence=0.9, reason=reason)
        assert not to_observation(P, aside).looking_down


def test_unknown_has_no_confidence_and_says_why() -> None:
    obs = unknown(P, 4.0, "stream_ended")
    assert (obs.state, obs.confidence, obs.reason, obs.at) == (
        State.UNKNOWN,
        0.0,
        "stream_ended",
        4.0,
    )
