"""One feed's media: a subscriber handle and an RTCPeerConnection per watched publisher.

One connection per feed instead of one multistream connection for all: when Janus re-uses an
m-line for a new feed, aiortc 1.16 keeps the SSRC it first learned and silently drops the new
packets (see reference/janus-spike aiortc_patches.py); a connection per feed never re-uses an
m-line, needs no patch to aiortc, and a feed's tracks end exactly when its connection closes.
Each video stream comes with a StreamValve, so a big room's sampler can pause it at Janus.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterable

from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamTrack

from meetbot.connectors.base import Keyframe, Valve
from meetbot.connectors.janus_session import JanusHandle, JanusSession, JsonObject
from meetbot.connectors.janus_videoroom import Feed
from meetbot.connectors.keyframes import KeyframeSpotter, spot
from meetbot.domain.states import TrackKind

OnTrack = Callable[[TrackKind, MediaStreamTrack, Valve | None], Awaitable[None]]


def peer_connection(ice_servers: Iterable[str]) -> RTCPeerConnection:
    # iceServers must be explicit: aiortc's default asks a public STUN server. MAX_BUNDLE
    # because BALANCED misroutes a second video m-line when audio and video interleave.
    servers = [RTCIceServer(urls=url) for url in ice_servers]
    return RTCPeerConnection(
        RTCConfiguration(iceServers=servers, bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


async def close_peer(pc: RTCPeerConnection) -> None:
    """Close `pc` to the end even if the caller is cancelled meanwhile, then re-raise that.

    aiortc releases a connection's UDP sockets only at the end of close(), and a close cut
    short can never be finished (a second close() waits for the first forever): the sockets
    would leak until the process exits ("unclosed transport _SelectorDatagramTransport").
    """
    closing = asyncio.ensure_future(pc.close())
    try:
        await asyncio.shield(closing)
    except asyncio.CancelledError:
        await asyncio.gather(closing, return_exceptions=True)
        raise


class StreamValve:
    """Pauses one stream of a subscription at Janus (`configure` with `send` false/true).

    Janus stops relaying the stream to the bot, so nothing is sent, received or decoded; on
    resume it sends the publisher a PLI and the publisher answers with a keyframe (~0.1 s with
    a browser or aiortc), which `last_keyframe` reports once its first packet is in. Audio is
    never paused: the audio-level fallback needs all of it.
    """

    def __init__(
        self, handle: JanusHandle, mid: str, keyframes: KeyframeSpotter | None = None
    ) -> None:
        self.handle = handle
        self.mid = mid
        self.keyframes = keyframes
        self.sees_keyframes = keyframes is not None
        self.instant = False  # a resume costs a PLI and a keyframe: only in big rooms

    def last_keyframe(self) -> Keyframe | None:
        return None if self.keyframes is None else self.keyframes.newest

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
                    spotter = spot(transceiver.receiver, jsep["sdp"], transceiver.mid)
                    valve = StreamValve(self._handle, transceiver.mid, spotter)
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
        await close_peer(self._pc)
        for _, track in self.tracks:
            # aiortc leaves the remote tracks of a connection closed before its transport came
            # up "live" forever; stopping them makes the next recv() raise MediaStreamError.
            track.stop()
        if self._handle is not None:
            with contextlib.suppress(Exception):  # best effort: Janus may already be gone
                await self._handle.detach()
