"""Platform profiles: one table of selectors and page facts per web client.

`meeting.platform` names one of these (or "janus" for the aiortc connector). The three Janus demo
clients (two rooms, one call with a chat) are verified here with real parts; Meet, Teams, Zoom
and Jitsi are experimental.
"""

from __future__ import annotations

import importlib

from meetbot.config.schema import BROWSER_PLATFORMS
from meetbot.connectors.browser.profiles.profile import Action, Profile, Roster, Step, Tiles
from meetbot.errors import ConfigError

NAMES = BROWSER_PLATFORMS

__all__ = ["NAMES", "Action", "Profile", "Roster", "Step", "Tiles", "load"]


def load(name: str) -> Profile:
    if name not in NAMES:
        raise ConfigError(
            f"meeting.platform {name!r} has no browser profile; use janus or one of "
            + ", ".join(NAMES)
        )
    module = importlib.import_module(f"meetbot.connectors.browser.profiles.{name}")
    profile: Profile = module.PROFILE
    return profile
