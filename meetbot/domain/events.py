"""Typed events that flow from the edges into the session actor.

Every event carries `at`: seconds since the session started, stamped at the edge by an injected
clock. Domain code never reads a clock, so replaying the same events gives the same record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NewType

from meetbot.domain.states import EndReason, LeaveReason, SpeechSource, State, TrackKind

# A platform-scoped id of one connection (a Janus feed id, a file stem offline). One person
# may have several over a meeting (rejoins, phone + laptop); attendance merges them.
ParticipantId = NewType("ParticipantId", str)


@dataclass(frozen=True, slots=True)
class ParticipantJoined:
    at: float
    participant: ParticipantId
    display_name: str


@dataclass(frozen=True, slots=True)
class ParticipantLeft:
    at: float
    participant: ParticipantId
    reason: LeaveReason = LeaveReason.LEFT


@dataclass(frozen=True, slots=True)
class TrackStarted:
    at: float
    participant: ParticipantId
    kind: TrackKind


@dataclass(frozen=True, slots=True)
class TrackEnded:
    at: float
    participant: ParticipantId
    kind: TrackKind


@dataclass(frozen=True, slots=True)
class SpeechChanged:
    at: float
    participant: ParticipantId
    speaking: bool
    source: SpeechSource = SpeechSource.PLATFORM


@dataclass(frozen=True, slots=True)
class Observation:
    """One judged video sample of one participant (a detector reading mapped to domain terms)."""

    at: float
    participant: ParticipantId
    state: State
    confidence: float = 1.0
    faces: int = 0
    yaw: float | None = None
    pitch: float | None = None
    reason: str = ""
    # Looking away by bowing the head (notes, a phone): the timeline gives it a longer dwell.
    looking_down: bool = False
    # The bot has no picture of them at all now (their tile is off the gallery page it is
    # showing): `unknown` from this moment, not only once the last reading goes stale.
    unseen: bool = False


def unknown(
    participant: ParticipantId, at: float, reason: str, *, unseen: bool = False
) -> Observation:
    """What we say about someone we cannot judge (broken stream, failed detector); `unseen`
    when we have no picture of them at all (off the gallery page): unknown at once."""
    return Observation(
        at=at,
        participant=participant,
        state=State.UNKNOWN,
        confidence=0.0,
        reason=reason,
        unseen=unseen,
    )


@dataclass(frozen=True, slots=True)
class ConnectionLost:
    """The bot itself lost the meeting: nobody can be observed until ConnectionRestored.

    The gap is `unknown` for everyone, never absence.
    """

    at: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ConnectionRestored:
    at: float


@dataclass(frozen=True, slots=True)
class MeetingEnded:
    at: float
    reason: EndReason = EndReason.SCHEDULED


Event = (
    ParticipantJoined
    | ParticipantLeft
    | TrackStarted
    | TrackEnded
    | SpeechChanged
    | Observation
    | ConnectionLost
    | ConnectionRestored
    | MeetingEnded
)
