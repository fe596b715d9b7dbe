"""The people the bot's page shows, and the page facts that end a stay (see room.Room)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from meetbot.connectors.picture_track import PictureTrack
from meetbot.domain.events import ParticipantId
from meetbot.domain.speech_gate import SpeechGate


class Signal(StrEnum):
    """Page facts that end the stay."""

    ENDED = "ended"  # the meeting ended for everyone
    REMOVED = "removed"  # the host removed the bot
    REFUSED = "refused"  # the platform refused the join (wrong room, no such meeting)


@dataclass(slots=True)
class Person:
    key: str  # the platform's handle: "janus:<feed id>" or "name:<display name>"
    name: str
    publishing: bool = True  # sends video the bot may receive (Janus says; pages: assumed)
    track: PictureTrack | None = None  # at the sink while the bot has pictures of them
    started: bool = False  # the domain heard TrackStarted (and no TrackEnded since)
    talking: bool = False
    spoke_at: float = 0.0  # session time of their last SpeechChanged
    gate: SpeechGate | None = None
    on_screen_s: float = 0.0  # tiles mode: seconds with pictures, for the observed share
    present_s: float = 0.0

    @property
    def pid(self) -> ParticipantId:
        return pid_of(self.key)


def pid_of(key: str) -> ParticipantId:
    """The domain's id of the person the platform knows as `key`."""
    return ParticipantId(f"web:{key}")
