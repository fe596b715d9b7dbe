"""Microsoft Teams in a browser, as an anonymous guest (EXPERIMENTAL: written from Teams'
public behaviour, not verified here).

The light-meetings join page asks for a name, then "Join now"; guests wait in the lobby until
admitted. Video arrives over one connection; tiles carry the display name; the roster panel
lists everyone. Chat: the meeting chat panel.
"""

from __future__ import annotations

from meetbot.config.schema import Capture
from meetbot.connectors.browser.profiles.profile import Action, Profile, Roster, Step, Tiles

PROFILE = Profile(
    name="teams",
    url="{url}",
    capture=Capture.TRACKS,
    roster=Roster.DOM,
    join=(
        Step(
            "continue in this browser",
            Action.CLICK,
            'button:has-text("Continue on this browser")',
            True,
        ),
        Step("type the bot's name", Action.FILL_NAME, '[data-tid="prejoin-display-name-input"]'),
        Step("microphone off", Action.CLICK, '[data-tid="toggle-mute"][aria-checked="true"]', True),
        Step("camera off", Action.CLICK, '[data-tid="toggle-video"][aria-checked="true"]', True),
        Step("join now", Action.CLICK, '[data-tid="prejoin-join-button"]'),
    ),
    lobby=':text("Someone in the meeting should let you in soon")',
    admitted='[data-tid="hangup-main-btn"], #hangup-button',
    muted=('button[aria-label*="Unmute"]', 'button[aria-label*="Turn camera on"]'),
    refused=':text("Sorry, but you were denied access to the meeting")',
    removed=("You've been removed from this meeting", "Someone removed you from the meeting"),
    ended=("The meeting has ended", "Meeting ended"),
    leave=(Step("leave", Action.CLICK, '[data-tid="hangup-main-btn"], #hangup-button', True),),
    gallery=(
        Step(
            "view options", Action.CLICK, '[data-tid="view-mode-button"], #view-mode-button', True
        ),
        Step("large gallery", Action.CLICK, ':text("Large gallery")', True),
    ),
    chat=(
        Step("open the chat", Action.CLICK, '[data-tid="chat-button"], #chat-button'),
        Step("post the announcement", Action.FILL_TEXT, '[data-tid="ckeditor"], [role="textbox"]'),
    ),
    tiles=Tiles(
        tile='[data-tid="video-tile"], [data-cid="calling-participant-stream"]',
        name='[data-tid="participant-name"], [data-tid="display-name"]',
        speaking='[data-tid="voice-level-stream-outline"][class*="speaking"]',
        next_page='[data-tid="gallery-next-page"]',
        page_size=49,
    ),
    participants='[data-tid^="participantsInCall-"]',
    participants_open=(
        Step("people", Action.CLICK, '[data-tid="roster-button"], #roster-button', True),
    ),
    scripts=("dom.js",),
)
