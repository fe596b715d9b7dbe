"""Jitsi Meet (EXPERIMENTAL: written from Jitsi Meet's public behaviour, not verified here).

The prejoin screen asks for a name; a lobby-enabled room waits for a moderator. Jitsi sends
video over one connection (the bridge ties tracks to names through the tiles); tiles are named
by display-name spans; the dominant speaker tile is marked. Chat: the chat panel.
"""

from __future__ import annotations

from meetbot.config.schema import Capture
from meetbot.connectors.browser.profiles.profile import Action, Profile, Roster, Step, Tiles

PROFILE = Profile(
    name="jitsi",
    url="{url}#config.prejoinConfig.enabled=true&config.startWithAudioMuted=true&config.startWithVideoMuted=true",
    capture=Capture.TRACKS,
    roster=Roster.DOM,
    join=(
        Step(
            "type the bot's name",
            Action.FILL_NAME,
            'input[placeholder*="name"], #premeeting-name-input',
        ),
        Step(
            "join the meeting",
            Action.CLICK,
            '[data-testid="prejoin.joinMeeting"], .prejoin-preview-dropdown-btn, '
            ':text("Join meeting")',
        ),
    ),
    lobby=':text("Asking to join meeting")',
    admitted="#new-toolbox, .toolbox-content",
    muted=(
        '[aria-label*="microphone" i][aria-pressed="true"]',
        '[aria-label*="camera" i][aria-pressed="true"]',
    ),
    refused=':text("The meeting has not started"), :text("Your knock to join was rejected")',
    removed=("You have been kicked", "kicked out of the meeting"),
    ended=("The meeting has been ended",),
    leave=(Step("leave", Action.CLICK, '[aria-label="Leave the meeting"], .hangup-button', True),),
    gallery=(Step("tile view", Action.CLICK, '[aria-label*="tile view"]', True),),
    chat=(
        Step("open the chat", Action.CLICK, '[aria-label*="chat"]'),
        Step("post the announcement", Action.FILL_TEXT, "#chat-input-messagebox, textarea"),
    ),
    tiles=Tiles(
        tile="span.videocontainer[id^='participant_']",
        name=".displayname, [id$='_name']",
        speaking=".active-speaker, .dominant-speaker",
        page_size=49,
    ),
    participants=".participants_pane .participant-item .name, [data-testid^='participant-item']",
    participants_open=(Step("participants", Action.CLICK, '[aria-label*="participants"]', True),),
    scripts=("dom.js",),
)
