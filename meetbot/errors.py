"""One exception tree. Edges translate library errors into these with `raise ... from exc`.

Every message is written for the person who has to act on it: what was wrong and what to do.
"""

from __future__ import annotations


class MeetbotError(Exception):
    """Base of every error meetbot raises on purpose."""


class ConfigError(MeetbotError):
    """A config file, option or environment variable is wrong. The message names the key."""


class ConnectError(MeetbotError):
    """The meeting server could not be reached, refused us, or the room does not exist."""


class NeverJoined(ConnectError):
    """The bot never got into the meeting, so nothing happened that could be recorded."""


class StoppedWhileJoining(NeverJoined):
    """Ctrl-C, the stop event or the end time (--until) came before the bot was admitted."""

    def __init__(self, *, interrupted: bool) -> None:
        self.interrupted = interrupted
        why = "interrupted" if interrupted else "the end time (--until/--minutes) came"
        super().__init__(f"{why} before the bot was admitted to the meeting; nothing was recorded")


class DetectorError(MeetbotError):
    """The vision models could not be loaded or run at all (per-frame trouble is `unknown`)."""


class StorageError(MeetbotError):
    """The session store could not be opened, migrated, read or written."""


class PublishError(MeetbotError):
    """A report could not be delivered now; it stays in the outbox for a retry."""


class SessionNotFound(StorageError):
    """No stored session matches the id or prefix the user gave."""
