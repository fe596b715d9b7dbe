"""Google Meet in a browser, as a guest (EXPERIMENTAL: written from Meet's public behaviour,
not verified here: there is no internet on this machine).

Guests type a name and "Ask to join"; a host admits them from the lobby. Meet sends everyone's
video over one connection (the bridge ties tracks to names through the tiles' <video>
elements); it names tiles in the gallery and lights a speaking indicator. Chat: the "Chat with
everyone" panel. A signed-in bot account (browser.keep_profile) is admitted more readily.
"""

from __future__ import annotations

from meetbot.config.schema import Capture
from meetbot.connectors.browser.profiles.profile import Action, Profile, Roster, Step, Tiles

PROFILE = Profile(
    name="meet",
    url="{url}",
    language_param="hl",
    capture=Capture.TRACKS,
    roster=Roster.DOM,
    join=(
        Step("dismiss the sign-in prompt", Action.CLICK, 'button:has-text("Got it")', True),
        Step("turn the microphone off", Action.CLICK, '[aria-label*="Turn off microphone"]', True),
        Step("turn the camera off", Action.CLICK, '[aria-label*="Turn off camera"]', True),
        Step("type the bot's name", Action.FILL_NAME, 'input[aria-label="Your name"]', True),
        Step(
            "ask to join",
            Action.CLICK,
            'button:has-text("Ask to join"), button:has-text("Join now")',
        ),
    ),
    lobby=':text("Asking to be let in")',
    admitted='[aria-label="Leave call"]',
    muted=(
        '[aria-label*="Turn on microphone"]',
        '[aria-label*="Turn on camera"]',
    ),
    refused=':text("You can\'t join this call"), :text("Check your meeting code")',
    removed=("You've been removed from the meeting",),
    ended=("The call has ended", "You left the meeting"),
    leave=(Step("leave the call", Action.CLICK, '[aria-label="Leave call"]', True),),
    gallery=(
        Step("more options", Action.CLICK, '[aria-label="More options"]', True),
        Step("change layout", Action.CLICK, ':text("Change layout")', True),
        Step("tiled layout", Action.CLICK, ':text("Tiled")', True),
    ),
    chat=(
        Step("open the chat", Action.CLICK, '[aria-label*="Chat with everyone"]'),
        Step("post the announcement", Action.FILL_TEXT, 'textarea[aria-label*="Send a message"]'),
    ),
    tiles=Tiles(
        tile="[data-participant-id]",
        name="[data-self-name], .notranslate",
        speaking='[class*="speaking"], [data-is-speaking="true"]',
        next_page='[aria-label*="Next page"], [aria-label*="next page"]',
        page_size=49,
    ),
    participants='[role="listitem"][aria-label]',
    participants_open=(Step("show everyone", Action.CLICK, '[aria-label*="Show everyone"]', True),),
    scripts=("dom.js",),
)
