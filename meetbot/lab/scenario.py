"""Scenarios as data: what each scripted participant does, and when.

    ALICE = Script("alice", "Alice (Acme Plumbing)",
                   steps=((20, 35, Behaviour.LOOKING_AWAY),), speaks=((0, 10),))
    scenario = Scenario((ALICE, BOB, ...), duration_s=60)
    await run_scenario(janus.url, 1234, scenario, clock)   # meetbot.lab.stage

Times are seconds on the clock handed to `run_scenario` (the bot's session clock in the tests,
so the bot's `at` values and the scripts compare directly). Outside every step a participant is
attentive. A script's `events` list records what actually happened and when, for assertions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from meetbot.domain.states import State
from meetbot.errors import ConfigError

Window = tuple[float, float]


class Behaviour(StrEnum):
    """What a scripted participant shows on camera."""

    ATTENTIVE = "attentive"  # a real face looking at the screen
    LOOKING_AWAY = "looking_away"  # the same face turned well to the side
    AWAY = "away"  # left the chair: the empty room
    CAMERA_OFF = "camera_off"  # black frames, as browsers send for a disabled camera

    @property
    def state(self) -> State:
        """The domain state a correct bot reports for this behaviour."""
        return _STATES[self]


_STATES = {
    Behaviour.ATTENTIVE: State.ENGAGED,
    Behaviour.LOOKING_AWAY: State.LOOKING_AWAY,
    Behaviour.AWAY: State.ABSENT,
    Behaviour.CAMERA_OFF: State.CAMERA_OFF,
}


@dataclass(frozen=True, slots=True)
class Script:
    """One participant's part.

    steps: (start, end, behaviour) windows; attentive elsewhere.
    speaks: (start, end) windows in which the participant's microphone carries a tone.
    joins_at / leaves_at: when they join and say goodbye (`leave`); None = stay to the end.
    unpublished: (start, end) windows in which they stop publishing and then publish again; a
        window from `joins_at` makes them join with camera and microphone off and publish later.
    publishes: False joins with camera and microphone off and never publishes (a silent
        attendee, visible only in rooms with notify_joining).
    crash_at: when their client dies: the socket and media just stop, no goodbye.
    face: an image name in skimage.data with a frontal face (see meetbot.lab.frames).
    """

    name: str
    display_name: str
    steps: tuple[tuple[float, float, Behaviour], ...] = ()
    speaks: tuple[Window, ...] = ()
    joins_at: float = 0.0
    leaves_at: float | None = None
    unpublished: tuple[Window, ...] = ()
    crash_at: float | None = None
    face: str = "astronaut"
    publishes: bool = True

    def __post_init__(self) -> None:
        where = f"script {self.name!r}"
        for start, end, behaviour in self.steps:
            if not start < end:
                raise ConfigError(f"{where}: step ({start}, {end}) must start before it ends")
            Behaviour(behaviour)
        for start, end in (*self.speaks, *self.unpublished):
            if not start < end:
                raise ConfigError(f"{where}: window ({start}, {end}) must start before it ends")
        if self.unpublished and not self.publishes:
            raise ConfigError(f"{where}: give unpublished windows or publishes=False, not both")
        if self.leaves_at is not None and self.crash_at is not None:
            raise ConfigError(f"{where}: give leaves_at or crash_at, not both")
        gone = self.ends_at
        if gone is not None and gone <= self.joins_at:
            raise ConfigError(f"{where}: leaves at {gone} s, before joining at {self.joins_at} s")

    @property
    def ends_at(self) -> float | None:
        return self.crash_at if self.crash_at is not None else self.leaves_at

    def behaviour_at(self, t: float) -> Behaviour:
        for start, end, behaviour in self.steps:
            if start <= t < end:
                return behaviour
        return Behaviour.ATTENTIVE

    def speaking_at(self, t: float) -> bool:
        return any(start <= t < end for start, end in self.speaks)

    def publishing_at(self, t: float) -> bool:
        end = self.ends_at
        if not self.publishes or t < self.joins_at or (end is not None and t >= end):
            return False
        return not any(start <= t < stop for start, stop in self.unpublished)


@dataclass(frozen=True, slots=True)
class Scenario:
    scripts: tuple[Script, ...]
    duration_s: float
    fps: float = 5.0  # low frame rates keep encoding cheap; the bot samples at 1-2 fps
    canvas: tuple[int, int] = (240, 320)  # height, width
    face_px: int = 110  # face width in the frame: well above mediapipe's ~70 px floor

    def __post_init__(self) -> None:
        names = [s.name for s in self.scripts]
        if len(set(names)) != len(names):
            raise ConfigError(f"scenario: script names must be unique, got {names}")


@dataclass(slots=True)
class Happened:
    """What a participant actually did, stamped with the scenario clock (for assertions)."""

    script: Script
    events: list[tuple[float, str]] = field(default_factory=list)

    def add(self, at: float, what: str) -> None:
        self.events.append((at, what))

    def times(self, what: str) -> list[float]:
        return [at for at, name in self.events if name == what]
