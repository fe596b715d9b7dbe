"""A scripted meeting participant: a real aiortc publisher in a real Janus VideoRoom.

It joins under its script's display name, publishes a camera (pre-rendered faces, see
meetbot.lab.frames) and a microphone (a tone while the script says it speaks, digital silence
otherwise; aiortc sends the ssrc-audio-level extension, so Janus fires talking events), and
follows the script: unpublish and publish again, leave, or crash (the socket and media just
stop). A script that does not publish at first (publishes=False, or an unpublished window from
its join) sits in the room with camera and microphone off. If Janus restarts it rejoins like a
browser would, under a new feed id.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import logging
import math
from collections.abc import Callable

import aiohttp
import av
import numpy as np
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import (
    AudioStreamTrack,
    MediaStreamError,
    MediaStreamTrack,
    VideoStreamTrack,
)

from meetbot.connectors.janus_feed import close_peer, peer_connection
from meetbot.connectors.janus_session import JanusHandle, JanusSession
from meetbot.errors import ConnectError
from meetbot.lab.frames import FrameBook, video_frame
from meetbot.lab.scenario import Happened, Script

log = logging.getLogger(__name__)

Clock = Callable[[], float]
SAMPLE_RATE = 48_000
PTIME = 0.02


class Pacer:
    """Releases frame n at start + n * period on the event loop's clock."""

    def __init__(self, period: float) -> None:
        self.period = period
        self.n = -1
        self._start = 0.0

    async def next(self) -> int:
        loop = asyncio.get_running_loop()
        self.n += 1
        if self.n == 0:
            self._start = loop.time()
        else:
            # Real-time media: the next frame is due at a fixed instant, nothing to wait on.
            await asyncio.sleep(max(0.0, self._start + self.n * self.period - loop.time()))
        return self.n


class ScriptedVideoTrack(VideoStreamTrack):
    """The camera: shows the frame for what the script says is happening now."""

    def __init__(self, script: Script, book: FrameBook, clock: Clock, fps: float) -> None:
        super().__init__()
        self.script, self.book, self.clock, self.fps = script, book, clock, fps
        self._pacer = Pacer(1.0 / fps)

    async def recv(self) -> av.VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        n = await self._pacer.next()
        yuv = self.book.frame(self.script.face, self.script.behaviour_at(self.clock()), n)
        return video_frame(yuv, round(n * 90_000 / self.fps))


class ToneTrack(AudioStreamTrack):
    """The microphone: a 440 Hz tone while the script speaks, digital silence otherwise."""

    def __init__(self, script: Script, clock: Clock, log: Happened | None = None) -> None:
        super().__init__()
        self.script, self.clock, self.log = script, clock, log
        self._pacer = Pacer(PTIME)
        self._samples = int(SAMPLE_RATE * PTIME)
        t = np.arange(self._samples) / SAMPLE_RATE
        self._tone = [
            (0.3 * 32767 * np.sin(2 * math.pi * 440 * (t + k * PTIME))).astype(np.int16)
            for k in range(50)  # 440 Hz repeats every 50 packets of 20 ms: no phase clicks
        ]
        self._silence = np.zeros(self._samples, np.int16)
        self._speaking = False

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        n = await self._pacer.next()
        now = self.clock()
        speaking = self.script.speaking_at(now)
        if speaking != self._speaking and self.log is not None:
            self.log.add(now, "speak_start" if speaking else "speak_end")
        self._speaking = speaking
        samples = self._tone[n % len(self._tone)] if speaking else self._silence
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = n * self._samples
        frame.time_base = fractions.Fraction(1, SAMPLE_RATE)
        return frame


class Participant:
    """Plays one Script in a room. `await participant.run(until=...)` returns when it is done."""

    def __init__(
        self,
        url: str,
        room: int,
        script: Script,
        book: FrameBook | None,
        clock: Clock,
        *,
        fps: float = 5.0,
        pin: str = "",
        log: Happened | None = None,
        http: aiohttp.ClientSession | None = None,
    ) -> None:
        self.url, self.room, self.script, self.book = url, room, script, book
        self.clock, self.fps, self.pin, self.http = clock, fps, pin, http
        self.log = log if log is not None else Happened(script)
        self._pc: RTCPeerConnection | None = None

    async def run(self, *, until: float) -> None:
        s = self.script
        actions: list[tuple[float, str]] = []
        for start, end in s.unpublished:
            actions += [(start, "unpublish"), (end, "publish")]
        end = s.ends_at if s.ends_at is not None else until
        actions.append((min(end, until), "crash" if s.crash_at is not None else "leave"))
        actions.sort()
        await self._wait(s.joins_at, None)
        rejoining = False
        while actions:
            try:
                async with JanusSession(self.url, http=self.http) as session:
                    handle = await session.attach()
                    await self._join(handle)
                    self.log.add(self.clock(), "rejoined" if rejoining else "joined")
                    if s.publishing_at(self.clock()):
                        await self._publish(handle)
                    while actions:
                        at, action = actions[0]
                        if await self._wait(at, session.lost):
                            break  # Janus went away: rejoin below
                        actions.pop(0)
                        if action == "crash":
                            await self._crash(session)
                            return
                        await self._do(action, handle)
                    if not actions:
                        return
            except ConnectError as exc:
                log.info("%s: %s; retrying", s.name, exc)
            finally:
                await self._close_pc()
            if not rejoining:
                self.log.add(self.clock(), "lost")
            rejoining = True
            await asyncio.sleep(0.5)  # a browser's reconnect delay; Janus may still be starting
            if self.clock() >= until:
                return

    async def _wait(self, at: float, lost: asyncio.Event | None) -> bool:
        """Wait until `at` on the scenario clock; True if the session was lost first."""
        delay = at - self.clock()
        if lost is None:
            await asyncio.sleep(max(0.0, delay))  # scripted time: nothing else to wait on
            return False
        if lost.is_set() or delay <= 0:
            return lost.is_set()
        try:
            async with asyncio.timeout(delay):
                await lost.wait()
        except TimeoutError:
            return False
        return True

    async def _join(self, handle: JanusHandle) -> None:
        body = {
            "request": "join",
            "ptype": "publisher",
            "room": self.room,
            "display": self.script.display_name,
        }
        if self.pin:
            body["pin"] = self.pin
        await handle.message(body)

    async def _do(self, action: str, handle: JanusHandle) -> None:
        if action == "unpublish":
            if self._pc is None:
                return  # joined with camera and microphone off: nothing to stop
            await handle.message({"request": "unpublish"})
            await self._close_pc()
            self.log.add(self.clock(), "unpublished")
        elif action == "publish" and self._pc is None:
            await self._publish(handle)
        elif action == "leave":
            await handle.message({"request": "leave"})
            self.log.add(self.clock(), "left")

    async def _publish(self, handle: JanusHandle) -> None:
        pc = self._pc = peer_connection(())
        for track in self.tracks():
            pc.addTransceiver(track, direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())  # gathers host candidates
        offer = pc.localDescription
        reply = await handle.message(
            {"request": "publish", "display": self.script.display_name},
            jsep={"type": offer.type, "sdp": offer.sdp},
        )
        answer = reply["jsep"]
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        self.log.add(self.clock(), "published")

    def tracks(self) -> list[MediaStreamTrack]:
        """The microphone and camera for one publish (subclasses replay recorded media)."""
        assert self.book is not None, "a live Participant needs a FrameBook"
        return [
            ToneTrack(self.script, self.clock, self.log),
            ScriptedVideoTrack(self.script, self.book, self.clock, self.fps),
        ]

    async def _crash(self, session: JanusSession) -> None:
        # Stop sending at once and drop the socket with no `leave` or `destroy`: what Janus
        # sees when a browser tab is killed.
        if self._pc is not None:
            for sender in self._pc.getSenders():
                if sender.track is not None:
                    sender.track.stop()
        await session.abort("crashed on purpose")
        self.log.add(self.clock(), "crashed")

    async def _close_pc(self) -> None:
        pc, self._pc = self._pc, None
        if pc is not None:
            with contextlib.suppress(Exception):  # closing a half-open peer is best effort
                await close_peer(pc)
