"""What identifies a session before anything happens in it: the header every record starts from.

The live actor, crash recovery and offline analysis each open a session with one of these and
hand it to `assemble`, so the five facts travel together instead of as loose keywords.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from meetbot.domain.chapter import Chapter


@dataclass(frozen=True, slots=True)
class SessionHeader:
    session_id: str
    # The roster snapshot the session is judged against (opt-outs applied by whoever opens it).
    chapter: Chapter
    started_at: datetime  # wall-clock start, timezone-aware (stored as UTC epoch seconds)
    platform: str  # "janus", "offline", ...
    room: str = ""

    def __post_init__(self) -> None:
        if not self.session_id.strip():
            raise ValueError("a session needs a non-empty session_id")
        if self.started_at.utcoffset() is None:
            raise ValueError(
                f"started_at must be timezone-aware (e.g. tzinfo=UTC), got {self.started_at}"
            )
        if not self.platform.strip():
            raise ValueError("a session needs its platform, e.g. 'janus' or 'offline'")
