"""The vocabulary of what a participant can be doing, as stable lowercase values.

Values are stored in rows and printed in reports, so they never change once released.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """What a participant is doing during one stretch of the meeting."""

    ENGAGED = "engaged"
    LOOKING_AWAY = "looking_away"
    ABSENT = "absent"  # camera on, nobody in front of it
    CAMERA_OFF = "camera_off"
    NOT_CONNECTED = "not_connected"
    UNKNOWN = "unknown"  # not enough data to say; never guessed


class Role(StrEnum):
    """A person's role in the chapter, from the roster."""

    MEMBER = "member"
    LEAD = "lead"
    VISITOR = "visitor"


class TrackKind(StrEnum):
    AUDIO = "audio"
    VIDEO = "video"


class SpeechSource(StrEnum):
    """Where the knowledge that someone speaks comes from."""

    PLATFORM = "platform"  # the meeting server's talking events
    AUDIO_LEVEL = "audio_level"  # our own level meter, for platforms without them
    TURNS_FILE = "turns_file"  # offline analysis with a hand-written turns file


class LeaveReason(StrEnum):
    LEFT = "left"  # said goodbye (Janus `leaving`)
    UNPUBLISHED = "unpublished"  # stopped sending media but may still be in the room
    LOST = "lost"  # stream died without a goodbye (crash, network)


class EndReason(StrEnum):
    SCHEDULED = "scheduled"  # --until / --minutes reached
    EMPTY = "empty"  # everyone left
    INTERRUPTED = "interrupted"  # Ctrl-C
    ROOM_CLOSED = "room_closed"
    ERROR = "error"


class Attendance(StrEnum):
    """PALMS attendance categories as chapters already use them."""

    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    ABSENT = "absent"  # roster member who never joined
    SUBSTITUTE = "substitute"
    VISITOR = "visitor"
    OPTED_OUT = "opted_out"


class TurnKind(StrEnum):
    MEMBER = "member"
    FEATURE = "feature"  # the longer feature presentation
    CHAIR = "chair"  # the facilitator; their interjections are not member turns
