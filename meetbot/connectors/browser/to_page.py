"""What Python tells the page scripts (page/wire.d.ts types the same for them): the core's
settings and the profile's page facts, set before any page script runs (tab.MeetingTab.
page_config), and pause/resume commands on the page's link (meetbot.connectors.browser.valve).
What the page tells Python is meetbot.connectors.browser.wire.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypedDict


class PageConfig(TypedDict):
    """window.__meetbotConfig: the core's settings (core.js reads them before the page runs)."""

    fps: float
    maxWidth: int
    capture: str  # "tracks" or "tiles"
    perSample: int
    link: str  # the link's ws:// URL; "" for Playwright bindings
    levelsMs: int  # 0: never poll audio levels
    frame: str  # the iframe the client lives in ("" = the top frame): where the scripts run


class ProfileFacts(TypedDict):
    """window.__meetbotProfile: the profile's selectors and page facts (dom.js)."""

    tile: str
    name: str
    video: str
    speaking: str
    nextPage: str
    participants: str
    participantName: str
    ended: list[str]
    removed: list[str]
    pageSize: int
    pageDwellMs: float


class Valve(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"


def command(valve: Valve, ids: list[str]) -> dict[str, Any]:
    """Pause or resume the pictures of the page's tracks `ids` (core.js's link listener)."""
    return {"type": valve.value, "ids": ids}
