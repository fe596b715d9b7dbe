"""The browser-bridge connector: a real Chromium joins the platform's web client as the bot.

    async with BrowserConnector(settings, clock) as conn:
        await conn.run(emit, sink)

It opens the meeting page of `meeting.platform`'s profile, joins with camera and microphone off
under `meeting.display_name`, waits in the lobby until admitted (at most meeting.join_timeout_s),
posts `meeting.announce` in the meeting chat when the client has one, switches to the largest
gallery, and from then on turns the page's messages into domain events (meetbot.connectors.
browser.room) and its pictures into PictureTracks at the sink: the sampler, detectors,
timeline, store and reports work as with the Janus connector.

Recovery: a Chromium crash, a page reload or the browser closing after a successful join emits
ConnectionLost (the gap is unknown for everyone, never absence), starts a new browser and joins
again with capped backoff, then ConnectionRestored. The meeting ending, or the host removing the
bot, ends `run` normally (the session is saved and reported); `ended_by` says which.

Entering the connector starts Chromium and joins (lobby included), so a meeting that cannot be
joined fails before a session begins; nothing is stamped with the clock until `run`.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from meetbot.config.schema import Capture, Settings
from meetbot.connectors.base import Clock, Connector, Emit, TrackSink
from meetbot.connectors.browser import janus_tap, own_media, profiles, wire
from meetbot.connectors.browser.arrivals import Arrival, Lost, PictureReady
from meetbot.connectors.browser.own_media import Media
from meetbot.connectors.browser.people import Signal
from meetbot.connectors.browser.profiles import Action, Step
from meetbot.connectors.browser.room import Room
from meetbot.connectors.browser.tab import MeetingTab
from meetbot.domain.events import ConnectionLost, ConnectionRestored, MeetingEnded, ParticipantId
from meetbot.domain.states import EndReason
from meetbot.errors import ConfigError, ConnectError

log = logging.getLogger(__name__)

POLL_S = 0.25  # how often the lobby wait looks at the page


class BrowserConnector:
    tab_type: type[MeetingTab] = MeetingTab  # the bench swaps in one that times each picture

    def __init__(self, settings: Settings, clock: Clock, *, home: Path) -> None:
        meeting = settings.meeting
        if not meeting.display_name.strip():
            raise ConfigError(
                "meeting.display_name is empty; give the bot a name that says what it is"
            )
        self.profile = profiles.load(meeting.platform)
        self.profile.check_name(meeting.display_name)
        self.settings = settings
        self.clock = clock
        self.home = home
        self.ended_by: Signal | None = None
        self.announced = False  # the announcement reached the meeting chat
        self.media = Media.NOT_CHECKED  # the bot's own microphone and camera, once in
        self.room: Room | None = None  # the current stay's view (probe reads it)
        self.tab: MeetingTab | None = None
        self.admitted = asyncio.Event()  # set once the bot is in the meeting
        self._present: set[ParticipantId] = set()

    @property
    def announce(self) -> str:
        return self.settings.meeting.announce

    @property
    def capture(self) -> Capture:
        chosen = self.settings.browser.capture
        return self.profile.capture if chosen is Capture.PROFILE else chosen

    async def __aenter__(self) -> Self:
        """Start the browser and join (lobby included): a meeting that cannot be joined fails
        here, in one line, before any session is begun. Nothing is emitted yet: what the page
        said while joining is replayed to the session in `run`."""
        self.tab = await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    async def run(self, emit: Emit, sink: TrackSink) -> None:
        """Attend until the meeting ends, the bot is removed, or the task is cancelled."""
        backoff = 0.5
        while True:
            if self.tab is None:
                try:
                    self.tab = await self._open()
                except ConnectError as exc:
                    log.warning("rejoining failed (%s); next try in %.1f s", exc, backoff)
                    # Backoff between rejoin attempts: there is nothing to wait on but time.
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, self.settings.meeting.reconnect_max_backoff_s)
                    continue
                await emit(ConnectionRestored(self.clock()))
                backoff = 0.5
            room = self._room(emit, sink, self.tab)
            try:
                signal = await self._attend(self.tab, room)
            finally:
                await room.close()
            if signal is not None:
                await self._ended(signal, emit)
                return
            await self._close()

    async def _open(self) -> MeetingTab:
        tab = self.tab_type(
            self.profile,
            self.settings.meeting,
            self.settings.browser,
            self.settings.sampling,
            self.home,
        )
        await tab.__aenter__()
        try:
            await self._join(tab)
            await self._settle_in(tab)
        except BaseException:
            await tab.__aexit__(None, None, None)
            raise
        self.admitted.set()
        return tab

    async def _close(self) -> None:
        tab, self.tab = self.tab, None
        if tab is not None:
            await self._leave(tab)
            await tab.__aexit__(None, None, None)

    def _room(self, emit: Emit, sink: TrackSink, tab: MeetingTab) -> Room:
        self.room = Room(
            own_name=self.settings.meeting.display_name,
            sampling=self.settings.sampling,
            clock=self.clock,
            emit=emit,
            sink=sink,
            tiles_mode=self.capture is Capture.TILES,
            present=self._present,
            dom_roster=self.profile.roster is profiles.Roster.DOM,
            command=tab.tell if tab.commands else None,
        )
        return self.room

    async def _join(self, tab: MeetingTab) -> None:
        """Open the page, do the profile's join steps, wait until admitted. The page's
        messages meanwhile stay queued for the Room; pictures before the session are dropped."""
        await tab.open()
        await tab.run_steps(self.profile.join, "join")
        loop = asyncio.get_running_loop()
        timeout = self.settings.meeting.join_timeout_s
        deadline = loop.time() + timeout
        lobby_seen = False
        kept: list[Arrival] = []
        try:
            while True:
                refused = await tab.visible_text(self.profile.refused)
                if refused:
                    raise _refusal(self.profile.name, refused, self.settings.meeting.room)
                if self.profile.roster is profiles.Roster.DOM and (
                    await tab.visible_text(self.profile.admitted) is not None
                ):
                    break
                lobby_seen = lobby_seen or await tab.visible_text(self.profile.lobby) is not None
                if await tab.visible_text(self.profile.answer) is not None:
                    # optional: a caller who hangs up while it rings takes the button away
                    answer = Step("answer the call", Action.CLICK, self.profile.answer, True)
                    await tab.step(answer, "join")
                left = deadline - loop.time()
                if left <= 0:
                    if tab.link_open is False and not lobby_seen:
                        # Not the meeting's fault: organisers would look at the wrong thing.
                        raise ConnectError(
                            f"the {self.profile.name} page could not reach the bot within "
                            f"{timeout:g} s: its link to 127.0.0.1 never opened (Chromium's "
                            "Local Network Access or the page's security policy refused it); "
                            "run meetbot probe and report its output"
                        )
                    where = "still in the lobby" if lobby_seen else "the meeting never showed"
                    raise ConnectError(
                        f"not admitted to the meeting within {timeout:g} s ({where}); ask the "
                        f"host to admit {self.settings.meeting.display_name!r} or raise "
                        "meeting.join_timeout_s"
                    )
                try:
                    async with asyncio.timeout(min(POLL_S, left)):
                        arrival = await tab.queue.get()
                except TimeoutError:
                    continue
                if isinstance(arrival, PictureReady):  # pictures before the session: dropped
                    tab.take(arrival.track_id)
                    continue
                if isinstance(arrival, Lost):
                    continue
                kept.append(arrival)
                message = wire.parse(arrival)
                if self.profile.roster is profiles.Roster.JANUS and isinstance(message, wire.Janus):
                    if janus_tap.admits(message.data):
                        break
                    error = janus_tap.refusal(message.data)
                    if error is not None:
                        raise _refusal(self.profile.name, error, self.settings.meeting.room)
        finally:
            for arrival in reversed(kept):  # back in front of what came since, in order
                tab.queue.put_front(arrival)
        tab.watch_for_loss()
        log.info("joined %s as %r", self.profile.name, self.settings.meeting.display_name)

    async def _settle_in(self, tab: MeetingTab) -> None:
        """Camera and microphone off where joining could not do it, the announcement in the
        chat (or the log, for clients without one), the gallery, then the participant list
        (after the chat: in Meet and Teams both share one side panel)."""
        await tab.run_steps(self.profile.media_off, "camera and microphone off")
        self.media = await own_media.check(tab, self.profile)
        if self.profile.chat:
            try:
                await tab.run_steps(self.profile.chat, "chat", self.announce)
                self.announced = True
            except ConnectError as exc:
                log.warning("the announcement did not reach the meeting chat: %s", exc)
        else:
            log.warning(
                "%s has no meeting chat: the announcement is only in this log: %s",
                self.profile.name,
                self.announce,
            )
        for step in self.profile.gallery:
            await tab.step(step, "gallery")
        if self.profile.participants_open:
            # Presence comes from the list when it is open, else from the tiles; a list that
            # cannot be opened costs the tiles-only view, never the meeting.
            try:
                await tab.run_steps(self.profile.participants_open, "participant list")
            except ConnectError as exc:
                log.warning("the participant list did not open (presence from tiles): %s", exc)

    async def _attend(self, tab: MeetingTab, room: Room) -> Signal | None:
        """Follow the page until it ends the meeting (a Signal) or is lost (None)."""
        while True:
            arrival = await tab.queue.get()
            if isinstance(arrival, Lost):
                log.warning(
                    "lost the meeting page (%s); starting the browser again", arrival.reason
                )
                await room.emit(ConnectionLost(self.clock(), arrival.reason))
                return None
            if isinstance(arrival, PictureReady):
                picture = tab.take(arrival.track_id)
                if picture is not None:
                    await room.picture(picture.track_id, picture.picture, picture.at_ms)
                continue
            signal = await room.handle(arrival)
            if signal is not None:
                return signal

    async def _leave(self, tab: MeetingTab) -> None:
        try:
            for step in self.profile.leave:
                async with asyncio.timeout(3.0):
                    await tab.step(step, "leave")
        except Exception as exc:  # leaving is best effort: the page may be gone already
            log.debug("leaving: %s", exc)

    async def _ended(self, signal: Signal, emit: Emit) -> None:
        self.ended_by = signal
        if signal is Signal.REMOVED:
            log.warning("the host removed the bot from the meeting")
            await emit(MeetingEnded(self.clock(), EndReason.ROOM_CLOSED))
        # Signal.ENDED: the room already said MeetingEnded (Janus) or the page did (below)
        elif self.profile.roster is profiles.Roster.DOM:
            await emit(MeetingEnded(self.clock(), EndReason.ROOM_CLOSED))


def _refusal(platform: str, text: str, room: int) -> ConnectError:
    words = " ".join(text.split())
    if len(words) > 160:
        words = words[:157] + "..."
    return ConnectError(
        f"the {platform} page refused the join: {words!r}; check meeting.url and "
        f"meeting.room ({room})"
    )


if TYPE_CHECKING:

    def _is_a_connector(connector: BrowserConnector) -> Connector:
        return connector
