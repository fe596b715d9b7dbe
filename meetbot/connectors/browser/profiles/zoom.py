"""Zoom's web client (app.zoom.us/wc/join), as a guest (EXPERIMENTAL: written from the web
client's public behaviour, not verified here).

Zoom's web client draws video into canvases, so this profile captures tiles (the rendered
gallery, named by the tile labels), not tracks. Gallery pages hold 25-49 tiles: the bridge
turns the pages so everyone is sampled in turn. Chat: the in-meeting chat panel.
"""

from __future__ import annotations

from meetbot.config.schema import Capture
from meetbot.connectors.browser.profiles.profile import Action, Profile, Roster, Step, Tiles

PROFILE = Profile(
    name="zoom",
    url="{url}",
    capture=Capture.TILES,
    roster=Roster.DOM,
    join=(
        Step("type the bot's name", Action.FILL_NAME, "#input-for-name"),
        Step("join", Action.CLICK, 'button:has-text("Join")'),
        Step(
            "join without audio",
            Action.CLICK,
            ':text("Continue without microphone and camera")',
            True,
        ),
    ),
    lobby=':text("Please wait, the meeting host will let you in soon")',
    admitted='[aria-label*="Leave"], .footer__leave-btn',
    muted=(
        'button[aria-label*="unmute my microphone" i]',
        'button[aria-label*="start my video" i]',
    ),
    refused=':text("Invalid meeting ID"), :text("This meeting ID is not valid")',
    removed=("You have been removed from this meeting by the host",),
    ended=("This meeting has been ended by host",),
    leave=(Step("leave", Action.CLICK, '[aria-label*="Leave"], .footer__leave-btn', True),),
    gallery=(
        Step("view", Action.CLICK, '[aria-label="View"], .full-screen-icon', True),
        Step("gallery view", Action.CLICK, ':text("Gallery View")', True),
    ),
    chat=(
        Step("open the chat", Action.CLICK, '[aria-label*="chat"]'),
        Step(
            "post the announcement", Action.FILL_TEXT, ".chat-box__chat-textarea, [contenteditable]"
        ),
    ),
    tiles=Tiles(
        tile=".gallery-video-container__video-frame, .video-avatar__avatar",
        name=".video-avatar__avatar-footer, .video-avatar__avatar-name",
        video="video, canvas",
        speaking='[class*="active-speaker"]',
        next_page=".gallery-video-container__switch-button--right",
        page_size=25,
    ),
    participants=".participants-item__display-name",
    participants_open=(Step("participants", Action.CLICK, '[aria-label*="participants"]', True),),
    scripts=("dom.js",),
)
