"""The Janus VideoRoom connector: the bot in a real meeting.

    async with JanusConnector(settings.meeting, clock) as conn:
        print(conn.announce)
        await conn.run(emit, sink)

It joins `meeting.room` on `meeting.url` as a participant that never publishes, under a display
name that says what it is, subscribes to every publisher's video (and audio when asked, for the
audio-level fallback), hands each remote track to the sink at once, and turns Janus's room
events into domain events: ParticipantJoined/Left, TrackStarted/Ended, SpeechChanged and
MeetingEnded(ROOM_CLOSED). In a room with `notify_joining = true` someone who joins with camera
and microphone off is ParticipantJoined at once (and camera off in the domain), and turning
both off later ends their tracks, not their stay; without it Janus tells the bot only about
publishers, so such people look absent and turning both off looks like leaving.

Recovery: if the connection drops or Janus restarts after a successful join, it emits
ConnectionLost (the gap is unknown for everyone, never absence), rejoins with capped exponential
backoff, emits ConnectionRestored, re-emits joins for everyone there and a LOST leave for anyone
who vanished meanwhile. If only the bot's subscription to one person breaks, that person stays
present and is subscribed again with the same backoff (meetbot.connectors.janus_stay).

Talking events and joining events need room settings only the organiser can set (Janus reads
them only when the room is created; `edit` ignores notify_joining): `audiolevel_ext = true`,
`audiolevel_event = true`, `audio_level_average = 40`, `audio_active_packets = 50` and
`notify_joining = true` in the room's janus.plugin.videoroom.jcfg entry or `create` request.
The connector logs a warning when a public room lacks the audio-level ones (`list` shows them)
and, once, when any room lacks notify_joining (the join answer shows it).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from types import TracebackType
from typing import TYPE_CHECKING, Self

import aiohttp

from meetbot.config.schema import MeetingSettings
from meetbot.connectors.base import Clock, Connector, Emit, TrackSink
from meetbot.connectors.janus_session import JanusError, JanusHandle, JanusSession
from meetbot.connectors.janus_stay import Stay, participant_id
from meetbot.connectors.janus_videoroom import (
    MISSING_ELEMENT,
    NO_SUCH_ROOM,
    UNAUTHORIZED,
    Joined,
    join_room,
    room_listing,
)
from meetbot.domain.events import (
    ConnectionRestored,
    ParticipantId,
)
from meetbot.domain.states import TrackKind
from meetbot.errors import ConnectError, NeverJoined

__all__ = ["JanusConnector", "participant_id"]

log = logging.getLogger(__name__)


class JanusConnector:
    """Connector for one Janus VideoRoom (see the module docstring for what it emits).

    `subscribe_audio=True` also receives each publisher's audio and hands it to the sink as
    TrackKind.AUDIO, for the audio-level fallback (sampling.speech_from_audio); talking events
    from Janus need no audio at the bot. `http` lets the caller share its aiohttp session.
    """

    def __init__(
        self,
        settings: MeetingSettings,
        clock: Clock,
        *,
        subscribe_audio: bool = False,
        http: aiohttp.ClientSession | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.kinds = frozenset(
            {TrackKind.VIDEO, TrackKind.AUDIO} if subscribe_audio else {TrackKind.VIDEO}
        )
        self.talking_events: bool | None = None  # does the room send talking events? None: unknown
        self.joining_events: bool | None = None  # does it name non-publishers? None: not joined
        self._http = http
        self._own_http: aiohttp.ClientSession | None = None
        self._present: set[ParticipantId] = set()  # who the domain was last told is here
        self.admitted = asyncio.Event()  # set once the bot is in the room (as the browser's)

    @property
    def announce(self) -> str:
        """What the bot tells the room about itself (Janus VideoRoom has no chat to post it in)."""
        return self.settings.announce

    async def __aenter__(self) -> Self:
        if self._http is None:
            self._own_http = self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._own_http is not None:
            await self._own_http.close()
            self._own_http = self._http = None

    async def run(self, emit: Emit, sink: TrackSink) -> None:
        """Attend until the room is destroyed or the task is cancelled (see Connector.run)."""
        backoff = 0.5
        joined_once = False
        while True:
            async with AsyncExitStack() as stack:
                stay: Stay | None = None
                try:
                    stay = await self._join(stack, retry_until_deadline=not joined_once)
                except ConnectError as exc:
                    if not joined_once:
                        # Not a meeting everyone missed: one the bot never saw (run_session
                        # then stores nothing).
                        raise NeverJoined(str(exc)) from exc
                    log.warning("rejoin failed (%s); next try in %.1f s", exc, backoff)
                if stay is not None:
                    if joined_once:
                        await emit(ConnectionRestored(self.clock()))
                    joined_once = True
                    self.admitted.set()
                    backoff = 0.5
                    if await stay.attend(emit, sink):
                        return
                    log.warning("lost the meeting (%s); rejoining", stay.session.lost_reason)
            # Backoff between rejoin attempts: there is nothing to wait on but time.
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self.settings.reconnect_max_backoff_s)

    async def _join(self, stack: AsyncExitStack, *, retry_until_deadline: bool) -> Stay:
        """Open a session and join the room. The first join retries an unreachable server
        until join_timeout_s; a missing room or a wrong pin fails at once."""
        s = self.settings
        loop = asyncio.get_running_loop()
        deadline = loop.time() + s.join_timeout_s
        while True:
            try:
                async with AsyncExitStack() as attempt:
                    session = await attempt.enter_async_context(
                        JanusSession(
                            s.url,
                            http=self._http,
                            keepalive_s=s.keepalive_s,
                            timeout_s=s.join_timeout_s,
                        )
                    )
                    control = await session.attach()
                    joined = await self._join_room(control)
                    await self._check_room(control)
                    self._check_joining(joined)
                    stack.push_async_exit(attempt.pop_all())
                    log.info("joined room %s on %s as %r", s.room, s.url, s.display_name)
                    log.info("announce: %s", self.announce)
                    return Stay(session, control, joined, s, self.clock, self.kinds, self._present)
            except _Refused:
                raise
            except ConnectError:
                if not retry_until_deadline or loop.time() >= deadline:
                    raise
            await asyncio.sleep(0.5)  # Janus may still be starting: try again until the deadline

    async def _join_room(self, control: JanusHandle) -> Joined:
        s = self.settings
        try:
            return await join_room(control, s.room, s.display_name, s.pin)
        except JanusError as exc:
            if exc.code == NO_SUCH_ROOM:
                raise _Refused(
                    f"room {s.room} does not exist on {s.url}; check meeting.room"
                ) from exc
            if exc.code == UNAUTHORIZED:
                raise _Refused(
                    f"room {s.room} on {s.url} refused the pin; check meeting.pin "
                    "(or set MEETBOT_MEETING__PIN)"
                ) from exc
            if exc.code == MISSING_ELEMENT and "pin" in str(exc) and not s.pin:
                raise _Refused(
                    f"room {s.room} on {s.url} needs a pin; set meeting.pin "
                    "(or MEETBOT_MEETING__PIN)"
                ) from exc
            raise _Refused(f"cannot join room {s.room} on {s.url}: {exc}") from exc

    async def _check_room(self, control: JanusHandle) -> None:
        listing = await room_listing(control, self.settings.room)
        if listing is None:
            self.talking_events = None
            log.info(
                "room %s is private: cannot check its talking-event settings", self.settings.room
            )
            return
        self.talking_events = bool(listing.get("audiolevel_event"))
        if not self.talking_events:
            log.warning(
                "room %s sends no talking events, so speaking turns come only from the "
                "audio-level fallback; ask the organiser to set audiolevel_ext = true, "
                "audiolevel_event = true, audio_level_average = %d, audio_active_packets = %d",
                self.settings.room,
                self.settings.audio_level_average,
                self.settings.audio_active_packets,
            )

    def _check_joining(self, joined: Joined) -> None:
        first = self.joining_events is None
        self.joining_events = joined.notifies_joining
        if first and not joined.notifies_joining:
            log.warning(
                "room %s does not tell the bot about people who join without publishing: "
                "anyone with camera and microphone off counts as absent, and turning both off "
                "counts as leaving; ask the organiser to create the room with "
                "notify_joining = true (Janus applies it only when a room is created)",
                self.settings.room,
            )


if TYPE_CHECKING:

    def _is_a_connector(connector: JanusConnector) -> Connector:
        return connector  # mypy proves JanusConnector satisfies the Connector protocol


class _Refused(ConnectError):
    """Janus answered and said no (unknown room, wrong pin): retrying would not help."""
