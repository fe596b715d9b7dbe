"""Janus's VideoCall demo client (janus-demos videocalltest.html): a one-to-one call with a chat.

Verified here against Debian's janus-demos 1.1 and a real Janus, with a real Chromium calling
the bot. It is the one demo client with a chat (a data channel, "#datasend"), so it is where
the announcement is proven to reach the other side. The bot registers under its display name
(letters and digits only) and waits to be called: that wait is its lobby, and it answers the
first call. The page answers with camera and microphone on (it offers nothing else), so the bot
turns both off at once; what it would have sent is Chromium's fake device, never a camera.

The page never writes the peer's name as text: it keeps it in the "#peer" field, which the page
script reads as the tile's label. Nothing in the page says a call is over: when the peer hangs
up, they leave, and the bot stays registered until the meeting's end time.
"""

from __future__ import annotations

from meetbot.config.schema import Capture
from meetbot.connectors.browser.profiles.profile import Action, Profile, Roster, Step, Tiles

PROFILE = Profile(
    name="janus_videocall",
    url="{url}",
    capture=Capture.TRACKS,
    roster=Roster.DOM,
    join=(
        Step("start the demo", Action.CLICK, "#start"),
        Step("the name field", Action.WAIT, "#username"),
        Step("type the bot's name", Action.FILL_NAME, "#username"),
        Step("register", Action.CLICK, "#register"),
    ),
    lobby="#phone",  # registered: waiting for a call
    answer=".bootbox:not(.bootbox-alert) .btn-success",  # "Incoming call from …": Answer
    # the caller's first track: their video, or the page's "No webcam available"
    admitted="#videoright video, #videoright .no-video-container",
    refused=".bootbox-alert .bootbox-body",  # e.g. "Username 'meetbot' already taken"
    media_off=(
        Step("turn the microphone off", Action.CLICK, '#toggleaudio:has-text("Disable")'),
        Step("turn the camera off", Action.CLICK, '#togglevideo:has-text("Disable")'),
    ),
    muted=('#toggleaudio:has-text("Enable audio")', '#togglevideo:has-text("Enable video")'),
    chat=(Step("post the announcement", Action.FILL_TEXT, "#datasend:enabled"),),
    leave=(Step("hang up", Action.CLICK, '#call:has-text("Hangup")', optional=True),),
    tiles=Tiles(tile="#videocall", name="#peer", video="#videoright video", page_size=1),
    participants="#peer",
    scripts=("dom.js",),
    name_pattern="[A-Za-z0-9]+",
    experimental=False,
    notes=("videocalltest.html: a one-to-one call; the bot answers the first call",),
)
