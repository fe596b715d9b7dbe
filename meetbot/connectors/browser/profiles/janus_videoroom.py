"""Janus's VideoRoom demo client (janus-demos videoroomtest.html): one connection per person.

Verified here against Debian's janus-demos 1.1 and a real Janus. The bot opens the page in
subscriber mode (it never publishes), so it is an attendee the room announces by name. Names:
letters and digits only (the page refuses anything else). No chat: the VideoRoom demo has none,
so the announcement goes to the bot's console and log only. Five tiles; a bigger room is paged
through by page/dom.js (`onePage`; the page itself shows only the first five).
"""

from __future__ import annotations

from meetbot.config.schema import Capture
from meetbot.connectors.browser.profiles.profile import Action, Profile, Roster, Step, Tiles

JOIN = (
    Step("start the demo", Action.CLICK, "#start"),
    Step("the name field", Action.WAIT, "#username"),
    Step("type the bot's name", Action.FILL_NAME, "#username"),
    Step("join the room", Action.CLICK, "#register"),
)
TILES = Tiles(
    tile='.panel:has(> .panel-body[id^="videoremote"])',
    name='.panel-title .label[id^="remote"]',
    video="video",
    page_size=5,
)


def profile(page: str = "videoroomtest.html", name: str = "janus_videoroom") -> Profile:
    return Profile(
        name=name,
        url="{url}?room={room}&subscriber-mode=yes",
        capture=Capture.TRACKS,
        roster=Roster.JANUS,
        join=JOIN,
        admitted="#videos",
        tiles=TILES,
        scripts=("janus_tap.js", "dom.js"),
        refused=".bootbox .bootbox-body",
        ended=("The room has been destroyed",),
        unchecked_media="subscriber mode: the page never publishes a microphone or camera",
        leave=(Step("stop", Action.CLICK, "#start", optional=True),),
        name_pattern="[A-Za-z0-9]+",
        experimental=False,
        notes=(f"{page}: no chat in the page; the announcement is logged only",),
    )


PROFILE = profile()
