"""What a platform's web client looks like to the bot: one table per platform.

A profile holds every selector and page fact the bridge needs for one client, so a change in a
platform's page is a one-line mend in its profile module. The generic page core
(page/core.js) does the rest for any WebRTC client.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from meetbot.config.schema import Capture
from meetbot.errors import ConfigError


class Roster(StrEnum):
    """Where a profile learns who is in the meeting."""

    JANUS = "janus"  # the page's Janus VideoRoom signalling (page/janus_tap.js)
    DOM = "dom"  # the page's participant list and tile labels (page/dom.js)


class Action(StrEnum):
    CLICK = "click"
    FILL_NAME = "fill_name"  # type the bot's display name
    FILL_TEXT = "fill_text"  # type the step's text (e.g. the announcement), then Enter
    WAIT = "wait"  # wait until the selector is visible
    PRESS_ENTER = "press_enter"


@dataclass(frozen=True, slots=True)
class Step:
    """One thing the bot does on the page; `what` names it in errors."""

    what: str
    action: Action
    selector: str
    optional: bool = False  # absent on some variants of the page: skip it, don't fail


@dataclass(frozen=True, slots=True)
class Tiles:
    """How the gallery is drawn: each tile holds a video and a name label."""

    tile: str  # one per person on screen
    name: str  # inside a tile: where the display name is (a name source, see Profile)
    video: str = "video"  # inside a tile: the rendered video
    speaking: str = ""  # inside a tile: present while that person speaks (""= no signal)
    next_page: str = ""  # button that shows the next page of tiles ("" = page script pages)
    page_size: int = 9  # tiles on one page


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    url: str  # "{url}" and "{room}" from [meeting]; what the bot opens
    capture: Capture  # TRACKS or TILES: what the profile uses by default
    roster: Roster
    join: tuple[Step, ...]  # from the landing page to asking to enter
    admitted: str  # visible once the bot is in the meeting (not in the lobby)
    tiles: Tiles
    scripts: tuple[str, ...] = ()  # page scripts after core.js (page/*.js)
    lobby: str = ""  # visible while waiting to be let in
    answer: str = ""  # while waiting: clicked whenever it shows (a call to the bot: "Answer")
    refused: str = ""  # its text says the join was refused (wrong code, no such room)
    removed: tuple[str, ...] = ()  # page text when the host removed the bot
    ended: tuple[str, ...] = ()  # page text when the meeting ended for everyone
    leave: tuple[Step, ...] = ()
    media_off: tuple[Step, ...] = ()  # once in: camera and microphone off (clients that
    # cannot join with them off, e.g. a call answered with both on)
    # Once in, each of these is visible only while the bot's microphone and camera are off
    # (the page's own toggles): the bot checks it is muted. A profile that cannot check says
    # why in `unchecked_media` (every shipped profile does one or the other: a test holds it).
    muted: tuple[str, ...] = ()
    unchecked_media: str = ""
    gallery: tuple[Step, ...] = ()  # switch to the largest gallery view
    chat: tuple[Step, ...] = ()  # post the announcement; () = the client has no chat
    participants: str = ""  # a participant-list entry (DOM roster)
    # inside an entry: where the name is. A name source is "selector" (that element's text),
    # "selector@attribute" or "@attribute" (the element's own); "" = the entry's whole text.
    participant_name: str = ""
    participants_open: tuple[Step, ...] = ()  # open the participant list once in
    # The iframe the client lives in (Zoom's iframe#webclient): the page scripts run there
    # instead of in the top frame ("" = the top frame; every other frame is ignored).
    frame: str = ""
    language_param: str = ""  # the link's parameter for the client's UI language ("hl"): English
    name_pattern: str = ""  # display names the page accepts ("" = any)
    experimental: bool = True  # written from public behaviour, not verified here
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.capture is Capture.PROFILE:
            raise ConfigError(f"profile {self.name}: capture must be tracks or tiles")
        if self.name_pattern:
            re.compile(self.name_pattern)
        if "{url}" not in self.url:
            raise ConfigError(f"profile {self.name}: url must contain {{url}}")
        for source in (self.tiles.name, self.participant_name):
            if source.count("@") > 1:
                raise ConfigError(
                    f"profile {self.name}: name source {source!r} has more than one @; write "
                    '"selector", "selector@attribute" or "@attribute"'
                )

    def page_url(self, url: str, room: int) -> str:
        page = self.url.format(url=url, room=room)
        if not self.language_param:
            return page
        # The selectors and phrases are English: the link asks for English whatever it said.
        parts = urlsplit(page)
        query = [
            (key, value)
            for key, value in parse_qsl(parts.query, keep_blank_values=True)
            if key != self.language_param
        ]
        query.append((self.language_param, "en"))
        return urlunsplit(parts._replace(query=urlencode(query)))

    def check_name(self, display_name: str, where: str = "") -> None:
        """One-line error when the page would refuse the bot's display name (`config check`
        and the connector both ask here); `where` names the file or variable that set it."""
        if self.name_pattern and not re.fullmatch(self.name_pattern, display_name):
            raise ConfigError(
                f"{where}{': ' if where else ''}meeting.display_name {display_name!r} is refused "
                f"by the {self.name} page (it accepts only {self.name_pattern}); set [meeting] "
                'display_name in the chapter file, e.g. display_name = "meetbot"'
            )
