"""The bot's own microphone and camera, once it is in: does the page show both off?

Every profile names what its page shows only while they are off (`Profile.muted`, the client's
own toggles offering to turn them on), or says why it cannot (`unchecked_media`). A miss is a
warning, never a failed join: the bot's fake devices send silence and black whatever the
toggles say (launch.fake_devices), and `meetbot probe` reports the answer.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from meetbot.connectors.browser.profiles import Action, Profile, Step
from meetbot.connectors.browser.tab import MeetingTab

log = logging.getLogger(__name__)


class Media(StrEnum):
    """What the page said of the bot's own microphone and camera once it was in."""

    OFF = "off (the page shows both off)"
    NOT_CONFIRMED = "NOT confirmed off (they send silence and black anyway)"
    NOT_CHECKED = "not checked"


async def check(tab: MeetingTab, profile: Profile) -> Media:
    if not profile.muted:
        log.info("%s: microphone and camera not checked: %s", profile.name, profile.unchecked_media)
        return Media.NOT_CHECKED
    for selector in profile.muted:
        shown = Step("microphone and camera off", Action.WAIT, selector, optional=True)
        if not await tab.step(shown, "media check"):
            log.warning(
                "%s does not show the bot muted with its camera off (%s not shown); they send "
                "silence and black, but mend the profile's media_off or muted",
                profile.name,
                selector,
            )
            return Media.NOT_CONFIRMED
    return Media.OFF
