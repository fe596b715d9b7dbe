"""A meeting written as a script — who joins under which name, looks away, turns the camera
off and speaks, and when — turned into the events the edges send, then folded by the real
domain assembly. Test records built this way hold only what the pipeline can produce.

Times are seconds since the start. Each connection is observed every `STEP` seconds while
connected (often enough that a reading never goes stale, few enough to fold quickly).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from meetbot.domain.assemble import assemble
from meetbot.domain.chapter import Chapter
from meetbot.domain.events import (
    Event,
    MeetingEnded,
    Observation,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
    TrackStarted,
)
from meetbot.domain.header import SessionHeader
from meetbot.domain.intervals import Interval
from meetbot.domain.record import SessionRecord
from meetbot.domain.settings import DomainSettings
from meetbot.domain.states import State, TrackKind

STEP = 4.0


@dataclass(frozen=True, slots=True)
class Connection:
    """One connection and what the bot saw and heard of it."""

    display: str
    joined: float = 0.0
    left: float | None = None  # None: stayed to the end
    speaks: tuple[Interval, ...] = ()
    away: tuple[Interval, ...] = ()  # looking away
    camera_off: tuple[Interval, ...] = ()
    unseen: tuple[Interval, ...] = ()  # connected, but no reading the detector could give


def events(script: Sequence[Connection], end: float, step: float = STEP) -> list[Event]:
    """Every event of `script`, in the order the session actor would receive them."""
    out: list[Event] = []
    for i, c in enumerate(script):
        pid = ParticipantId(f"feed-{i + 1:02d}")
        left = end if c.left is None else c.left
        out += [ParticipantJoined(c.joined, pid, c.display), TrackStarted(c.joined, pid, _VIDEO)]
        t = c.joined
        while t < left:
            if not _inside(t, c.unseen):
                out.append(Observation(t, pid, _state(t, c), confidence=0.9))
            t += step
        for start, stop in c.speaks:
            out += [SpeechChanged(start, pid, True), SpeechChanged(stop, pid, False)]
        if c.left is not None:
            out.append(ParticipantLeft(c.left, pid))
    out.append(MeetingEnded(end))
    return sorted(out, key=lambda e: e.at)  # stable: one connection's events keep their order


def record(
    session_id: str,
    chapter: Chapter,
    started_at: datetime,
    script: Sequence[Connection],
    end: float,
    *,
    room: str = "1234",
) -> SessionRecord:
    """The SessionRecord the live session would store for `script`."""
    header = SessionHeader(session_id, chapter, started_at, "janus", room)
    return assemble(header, events(script, end), settings=DomainSettings(), end_at=end)


_VIDEO = TrackKind.VIDEO


def _inside(t: float, spans: tuple[Interval, ...]) -> bool:
    return any(start <= t < stop for start, stop in spans)


def _state(t: float, c: Connection) -> State:
    if _inside(t, c.camera_off):
        return State.CAMERA_OFF
    if _inside(t, c.away):
        return State.LOOKING_AWAY
    return State.ENGAGED
