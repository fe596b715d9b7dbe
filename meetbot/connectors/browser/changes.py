"""What the page's readers say changed in the room, for `room.Room.apply`, the one place that
changes it (tells the domain, touches the sink).

A reader turns one page message into a tuple of these and imports nothing from the room: the
Janus signalling (janus_tap.JanusTap), the page's tiles and lists (dom_reader.DomReader, and
dom_reader.ScreenTime for what a tiles-mode gallery shows), and any reader a platform's in-page
API adds. People are named by their key on the platform ("janus:<feed id>", "name:<display>").
"""

from __future__ import annotations

from dataclasses import dataclass

from meetbot.connectors.browser.people import Signal
from meetbot.domain.states import LeaveReason, SpeechSource


@dataclass(frozen=True, slots=True)
class Arrived:
    """`name` is here as `key` (told once); `publishing`: sends video the bot may receive."""

    key: str
    name: str
    publishing: bool = True


@dataclass(frozen=True, slots=True)
class Left:
    key: str
    reason: LeaveReason


@dataclass(frozen=True, slots=True)
class EveryoneLeft:
    reason: LeaveReason


@dataclass(frozen=True, slots=True)
class HereNow:
    """Back in the room, these keys are here: anyone else the domain was told is here left
    while the bot was away."""

    keys: frozenset[str]


@dataclass(frozen=True, slots=True)
class Unpublished:
    """`key` stays but stopped sending video: their pictures end, and so does their speech."""

    key: str


@dataclass(frozen=True, slots=True)
class Talking:
    key: str
    talking: bool
    source: SpeechSource
    at: float  # session time the page heard it


@dataclass(frozen=True, slots=True)
class Named:
    """The page shows the person called `name` in its track `track_id`."""

    track_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Gallery:
    """Tiles mode: the gallery page the bot shows holds `names`, `step_s` after the last report
    (time each person here counts as present, and on screen if shown); anyone here and not
    shown is unknown from `at` on."""

    names: frozenset[str]
    step_s: float
    at: float


@dataclass(frozen=True, slots=True)
class MeetingClosed:
    """The platform closed the meeting for everyone (the domain hears MeetingEnded)."""


@dataclass(frozen=True, slots=True)
class StayEnds:
    """The page's fact that ends the bot's stay; applied last."""

    signal: Signal


Change = (
    Arrived
    | Left
    | EveryoneLeft
    | HereNow
    | Unpublished
    | Talking
    | Named
    | Gallery
    | MeetingClosed
    | StayEnds
)
