"""The Janus VideoRoom as the bot sees it: wire types, the room participant, feed subscriptions.

Wire types (Feed, FeedStream and the RoomEvent union) are parsed from Janus JSON here and
nowhere else; the connector maps them onto domain events.

The bot joins as a participant that never publishes: that gives it `publishers`,
`unpublished`, `leaving`, `talking` and `destroyed` events. In a room with `notify_joining`
Janus also names everyone who joins (`joining`; `attendees` in the join answer), publishing or
not, so `unpublished` means "camera and microphone off", not "gone": `leaving` says when they
go. Other rooms never tell the bot when a non-publisher arrives, so there `unpublished` is
taken as the end of their stay (verified against Janus 1.1.2, which sends `unpublished` twice
and, when the session just closes, `unpublished` then `leaving`). Each feed it watches gets its own
subscriber handle and RTCPeerConnection (`FeedSubscription`). One connection per feed instead
of one multistream connection for all: when Janus re-uses an m-line for a new feed, aiortc 1.16
keeps the SSRC it first learned and silently drops the new packets (see reference/janus-spike
aiortc_patches.py); a connection per feed never re-uses an m-line, needs no patch to aiortc,
and a feed's tracks end exactly when its connection closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack

from meetbot.connectors.base import Valve
from meetbot.connectors.janus_session import JanusHandle, JanusSession, JsonObject, plugin_data
from meetbot.domain.states import LeaveReason, TrackKind

log = logging.getLogger(__name__)

OnTrack = Callable[[TrackKind, MediaStreamTrack, Valve | None], Awaitable[None]]

NO_SUCH_ROOM = 426  # JANUS_VIDEOROOM_ERROR_NO_SUCH_ROOM
UNAUTHORIZED = 433  # JANUS_VIDEOROOM_ERROR_UNAUTHORIZED (wrong pin)


@dataclass(frozen=True, slots=True)
class FeedStream:
    mid: str
    kind: TrackKind
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Feed:
    """A participant in the room and what it publishes (nothing, for one that joined with
    camera and microphone off): Janus's participant id doubles as its feed id."""

    id: int
    display: str
    streams: tuple[FeedStream, ...] = ()


@dataclass(frozen=True, slots=True)
class AttendeeJoined:
    """Someone joined, publishing nothing yet (`joining`: rooms with notify_joining only)."""

    attendee: Feed


@dataclass(frozen=True, slots=True)
class FeedsPublished:
    feeds: tuple[Feed, ...]


@dataclass(frozen=True, slots=True)
class FeedGone:
    feed_id: int
    reason: LeaveReason


@dataclass(frozen=True, slots=True)
class TalkingChanged:
    feed_id: int
    talking: bool


@dataclass(frozen=True, slots=True)
class RoomDestroyed:
    room: int


RoomEvent = AttendeeJoined | FeedsPublished | FeedGone | TalkingChanged | RoomDestroyed


@dataclass(frozen=True, slots=True)
class Joined:
    """The answer to the bot's own join: who it is, who already publishes and, when the room
    has notify_joining (`notifies_joining`), who is there without publishing."""

    id: int
    private_id: int
    feeds: tuple[Feed, ...]
    attendees: tuple[Feed, ...] = ()  # in the room, publishing nothing
    notifies_joining: bool = False


def parse_feeds(items: Iterable[JsonObject]) -> tuple[Feed, ...]:
    feeds = []
    for item in items:
        if item.get("dummy"):
            continue  # placeholder publishers of rooms with dummy_publisher
        streams = tuple(
            FeedStream(str(s["mid"]), TrackKind(s["type"]), bool(s.get("disabled", False)))
            for s in item.get("streams", ())
            if s.get("type") in ("audio", "video")
        )
        feeds.append(Feed(int(item["id"]), str(item.get("display", "")), streams))
    return tuple(feeds)


def parse_attendee(item: JsonObject) -> Feed:
    return Feed(int(item["id"]), str(item.get("display", "")))


def parse_joined(data: JsonObject) -> Joined:
    """The plugin data of the `joined` answer. Janus 1.1.2 includes `attendees` (maybe empty)
    exactly when the room has notify_joining, so its presence is the setting itself."""
    attendees = data.get("attendees")
    return Joined(
        int(data["id"]),
        int(data["private_id"]),
        parse_feeds(data.get("publishers", ())),
        tuple(parse_attendee(item) for item in attendees or ()),
        notifies_joining=attendees is not None,
    )


def parse_room_event(data: JsonObject) -> list[RoomEvent]:
    """Room events in one VideoRoom `event` payload; unknown ones are ignored."""
    kind = data.get("videoroom")
    if kind in ("talking", "stopped-talking"):
        return [TalkingChanged(int(data["id"]), kind == "talking")]
    if kind == "destroyed":
        return [RoomDestroyed(int(data.get("room", 0)))]
    events: list[RoomEvent] = []
    if isinstance(data.get("joining"), dict):
        events.append(AttendeeJoined(parse_attendee(data["joining"])))
    if data.get("publishers"):
        events.append(FeedsPublished(parse_feeds(data["publishers"])))
    # "unpublished": "ok" / "leaving": "ok" answer our own requests; ids mean someone else.
    if isinstance(data.get("unpublished"), int):
        events.append(FeedGone(data["unpublished"], LeaveReason.UNPUBLISHED))
    if isinstance(data.get("leaving"), int):
        events.append(FeedGone(data["leaving"], LeaveReason.LEFT))
    if isinstance(data.get("kicked"), int):
        events.append(FeedGone(data["kicked"], LeaveReason.LEFT))
    return events


async def join_room(handle: JanusHandle, room: int, display: str, pin: str = "") -> Joined:
    """Join as a participant that never publishes. Raises JanusError (code 426, 433...)."""
    body: JsonObject = {"request": "join", "ptype": "publisher", "room": room, "display": display}
    if pin:
        body["pin"] = pin
    return parse_joined(plugin_data(await handle.message(body)))


async def room_events(handle: JanusHandle) -> AsyncIterator[RoomEvent]:
    """Room events for the bot's participant handle, until the session is lost."""
    async for msg in handle.events():
        if msg.get("janus") == "event":
            for event in parse_room_event(plugin_data(msg)):
                yield event


async def room_listing(handle: JanusHandle, room: int) -> JsonObject | None:
    """The room's public settings (None for a private room, which `list` hides)."""
    data = plugin_data(await handle.message({"request": "list"}))
    for item in data.get("list", ()):
        if item.get("room") == room:
            return dict(item)
    return None


def peer_connection(ice_servers: Iterable[str]) -> RTCPeerConnection:
    # iceServers must be explicit: aiortc's default asks a public STUN server. MAX_BUNDLE
    # because BALANCED misroutes a second video m-line when audio and video interleave.
    servers = [RTCIceServer(urls=url) for url in ice_servers]
    return RTCPeerConnection(
        RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


class StreamValve:
    """Pauses one stream of a subscription at Janus (`configure` with `send` false/true).

    Janus stops relaying the stream to the bot, so nothing is sent, received or decoded; on
    resume it sends the publisher a PLI and the publisher answers with a keyframe (~0.1 s with
    a browser or aiortc). Audio is never paused: the audio-level fallback needs all of it.
    """

    def __init__(self, handle: JanusHandle, mid: str) -> None:
        self.handle = handle
        self.mid = mid

    async def pause(self) -> None:
        await self._send(False)

    async def resume(self) -> None:
        await self._send(True)

    async def _send(self, send: bool) -> None:
        await self.handle.message(
            {"request": "configure", "streams": [{"mid": self.mid, "send": send}]}
        )


class FeedSubscription:
    """One subscriber handle + one RTCPeerConnection receiving the chosen streams of one feed.

        async with FeedSubscription(session, ...) as sub:
            reason = await sub.watch()   # returns when the connection fails

    `on_track(kind, track, valve)` is awaited for every remote track, also ones a later
    renegotiation adds; it must start draining the track at once. Video tracks come with a
    StreamValve, audio tracks with None.
    """

    def __init__(
        self,
        session: JanusSession,
        *,
        room: int,
        private_id: int,
        feed: Feed,
        kinds: frozenset[TrackKind],
        ice_servers: tuple[str, ...] = (),
        pin: str = "",
        on_track: OnTrack | None = None,
    ) -> None:
        self.session = session
        self.room = room
        self.private_id = private_id
        self.feed = feed
        self.kinds = kinds
        self.pin = pin
        self.on_track = on_track
        self.tracks: list[tuple[TrackKind, MediaStreamTrack]] = []
        self._pc = peer_connection(ice_servers)
        self._handle: JanusHandle | None = None
        self._failed = asyncio.Event()
        self._failure = ""

        @self._pc.on("connectionstatechange")
        def _state() -> None:
            if self._pc.connectionState in ("failed", "closed"):
                self._fail(f"connection {self._pc.connectionState}")

    async def __aenter__(self) -> FeedSubscription:
        try:
            await self._open()
        except BaseException:
            await self._close()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self._close()

    async def _open(self) -> None:
        streams = [
            {"feed": self.feed.id, "mid": s.mid}
            for s in self.feed.streams
            if s.kind in self.kinds and not s.disabled
        ]
        self._handle = await self.session.attach()
        body: JsonObject = {
            "request": "join",
            "ptype": "subscriber",
            "room": self.room,
            "private_id": self.private_id,
            "streams": streams,
        }
        if self.pin:
            body["pin"] = self.pin
        await self._answer(await self._handle.message(body))

    async def _answer(self, offer: JsonObject) -> None:
        """Apply Janus's offer and answer it with `start`; collect any new remote tracks."""
        jsep = offer.get("jsep")
        if not jsep or self._handle is None:
            return
        await self._pc.setRemoteDescription(RTCSessionDescription(jsep["sdp"], jsep["type"]))
        await self._pc.setLocalDescription(await self._pc.createAnswer())
        local = self._pc.localDescription
        await self._handle.message(
            {"request": "start"}, jsep={"type": local.type, "sdp": local.sdp}
        )
        known = {id(track) for _, track in self.tracks}
        for transceiver in self._pc.getTransceivers():
            track = transceiver.receiver.track
            if track is not None and id(track) not in known and track.kind in ("audio", "video"):
                kind = TrackKind(track.kind)
                self.tracks.append((kind, track))
                valve = None
                if kind is TrackKind.VIDEO and transceiver.mid is not None:
                    valve = StreamValve(self._handle, transceiver.mid)
                if self.on_track is not None:
                    await self.on_track(kind, track, valve)

    @property
    def handle_id(self) -> int | None:
        """The Janus handle of this subscription (for logs and the Janus admin API)."""
        return None if self._handle is None else self._handle.id

    async def watch(self) -> str:
        """Follow Janus's renegotiations until the connection fails; return why it failed."""
        async with asyncio.TaskGroup() as group:
            follow = group.create_task(self._follow_updates())
            await self._failed.wait()
            follow.cancel()
        return self._failure

    async def _follow_updates(self) -> None:
        assert self._handle is not None
        async for msg in self._handle.events():
            kind = msg.get("janus")
            if kind == "hangup":
                self._fail(f"Janus hung up ({msg.get('reason', 'no reason')})")
            elif kind == "event" and msg.get("jsep"):
                # Janus re-offers when the publisher's streams change; without an answer the
                # changed streams would never flow.
                await self._answer(msg)
        self._fail("Janus session lost")

    def _fail(self, reason: str) -> None:
        if not self._failed.is_set():
            self._failure = reason
            self._failed.set()

    async def _close(self) -> None:
        self._fail("closed")
        await self._pc.close()
        for _, track in self.tracks:
            # aiortc leaves the remote tracks of a connection closed before its transport came
            # up "live" forever; stopping them makes the next recv() raise MediaStreamError.
            track.stop()
        if self._handle is not None:
            with contextlib.suppress(Exception):  # best effort: Janus may already be gone
                await self._handle.detach()
