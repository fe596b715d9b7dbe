"""The immutable result of one session: what is stored, and what reports render.

Every figure in a report can be recomputed from `spans` and `turns`; the per-attendee numbers
are kept alongside so reports need no domain logic and old sessions survive span retention.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from meetbot.domain.events import ParticipantId
from meetbot.domain.states import Attendance, Role, State, TurnKind


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch [start, end) of one connection in one state; a connection's spans never overlap."""

    participant: ParticipantId
    state: State
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Turn:
    """One speaking turn. `person` is None when who spoke cannot be said with confidence."""

    start: float
    end: float
    person: str | None
    kind: TurnKind = TurnKind.MEMBER
    label: str = ""  # agenda label or display name
    # The connections whose speech made this turn; lets scoring tell "someone else's turn"
    # even when `person` is unknown. Empty for an opted-out speaker (never named).
    participants: tuple[ParticipantId, ...] = ()

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class ListeningScore:
    """How attentive a person was during OTHER members' turns, with everything that explains it."""

    value: float | None  # 0..100, None = not enough data (never zero for lack of data)
    attentive_s: float  # engaged during others' turns
    observable_s: float  # others' turns during which the person could be judged
    others_turns_s: float  # total length of other members' turns while they were connected
    camera_off_s: float  # during others' turns; excluded from observable_s if camera_exempt
    camera_exempt: bool = False
    reason: str = ""  # e.g. "not_enough_data", "opted_out"
    unknown_s: float = 0.0  # during others' turns while connected; never in observable_s


@dataclass(frozen=True, slots=True)
class Attendee:
    """One person (roster member, substitute or visitor), all their connections merged."""

    person: str  # roster name, or the cleaned display name of a visitor
    role: Role
    attendance: Attendance
    # One entry per connection: display_names[i] is the name participants[i] joined under
    # (so repeats are possible; see `names` for the distinct ones).
    display_names: tuple[str, ...] = ()
    participants: tuple[ParticipantId, ...] = ()
    joined_at: float | None = None
    left_at: float | None = None  # None: still there at the end
    present_s: float = 0.0
    camera_on_s: float = 0.0
    seconds_by_state: dict[State, float] = field(default_factory=dict)
    own_turn_s: float = 0.0
    turns: int = 0
    score: ListeningScore | None = None
    discord_id: int | None = None
    substitute_for: str | None = None
    # Facts behind the one PALMS category (a member can be both late and leave early).
    late: bool = False
    left_early: bool = False
    camera_exempt: bool = False  # from the roster, kept so a reclassification can rescore

    @property
    def names(self) -> tuple[str, ...]:
        """The distinct display names, in the order first seen."""
        return tuple(dict.fromkeys(self.display_names))


@dataclass(frozen=True, slots=True)
class SessionRecord:
    session_id: str
    chapter: str
    started_at: datetime  # wall-clock start (UTC), stamped by the edge that opened the session
    duration_s: float
    platform: str  # "janus", "offline", ...
    room: str
    attendees: tuple[Attendee, ...] = ()
    turns: tuple[Turn, ...] = ()
    spans: tuple[Span, ...] = ()
    complete: bool = True  # False when rebuilt from checkpoints after a crash
    notes: tuple[str, ...] = ()
