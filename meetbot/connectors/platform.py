"""Which connector joins the configured meeting: `meeting.platform`.

"janus" is the aiortc connector (the bot speaks Janus's API itself); any other value names a
browser profile (meetbot.connectors.browser.profiles), joined through a real Chromium.
Imports are deferred: aiortc or Playwright load only for the platform in use.
"""

from __future__ import annotations

from pathlib import Path

from meetbot.config.schema import JANUS, Settings
from meetbot.connectors.base import Clock, Connector


def connector_for(settings: Settings, clock: Clock, home: Path) -> Connector:
    if settings.meeting.platform == JANUS:
        from meetbot.connectors.janus import JanusConnector

        return JanusConnector(
            settings.meeting, clock, subscribe_audio=settings.sampling.speech_from_audio
        )
    from meetbot.connectors.browser.connector import BrowserConnector

    return BrowserConnector(settings, clock, home=home)
