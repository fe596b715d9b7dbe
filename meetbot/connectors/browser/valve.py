"""The browser bridge's Valve: the page takes and encodes a person's pictures only when asked.

The sampler (meetbot.media.pausing) resumes a video `sampling.resume_lead_s` before each sample
and pauses it after. Here that is a command over the page's link (meetbot.connectors.browser.
link) naming the page's tracks of that person: the page then sends the first frame it decodes
after a resume, and nothing while paused. So the picture judged was taken just before its
sample, not up to half a period earlier, and the page encodes one picture a sample instead of
`browser.frames_per_sample`. Turning it costs a few bytes on loopback and the next picture is
clean (the page decodes every frame either way): an `instant` valve, used in any room.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from meetbot.connectors.base import Keyframe
from meetbot.connectors.browser.to_page import Valve, command

Command = Callable[[dict[str, Any]], Awaitable[None]]


class PageValve:
    """Pauses and resumes the pictures of the page tracks `ids()` names (a person's tracks,
    looked up at each turn: a renegotiation may give them new ones)."""

    sees_keyframes = False
    instant = True

    def __init__(self, command: Command, ids: Callable[[], list[str]]) -> None:
        self._command = command
        self._ids = ids

    def last_keyframe(self) -> Keyframe | None:
        return None

    async def pause(self) -> None:
        await self._command(command(Valve.PAUSE, self._ids()))

    async def resume(self) -> None:
        await self._command(command(Valve.RESUME, self._ids()))
