"""Replay publishers for the participants bench: a scenario clip encoded ONCE, its VP8 packets
replayed by N aiortc publishers, so N publishers cost packetising, not encoding.

The clip is a real face (skimage's astronaut) that moves a little and changes brightness (a live
camera, not a frozen picture) for `face_s` seconds, then a black camera for `black_s` seconds,
in a loop. Each publisher starts at a different point of the loop, so the changes the bot must
notice are spread over time. Run as a process of its own (its CPU is not the bot's):

    python bench/_replay.py --url ws://127.0.0.1:PORT/ --room R --participants N --seconds S

It prints one JSON line per publisher once its media flows ({"name", "start", "offset"}: frame n
of the stream left at start + n/fps and showed clip frame (offset + n) % len), and its own CPU
seconds ("cpu S") when done.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import time
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
import skimage.data
from aiortc import RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from detectors import synthetic as syn
from meetbot.connectors.janus_session import JanusSession
from meetbot.connectors.janus_videoroom import peer_connection

VIDEO_CLOCK = 90_000


@dataclass(frozen=True, slots=True)
class Clip:
    packets: tuple[bytes, ...]
    fps: int
    face_frames: int  # frames [0, face_frames) show the face, the rest are black

    def state_at(self, index: int) -> str:
        return "engaged" if index % len(self.packets) < self.face_frames else "camera_off"


def encode_clip(width: int, height: int, fps: int, face_s: int, black_s: int) -> Clip:
    face = syn.letterbox(skimage.data.astronaut(), (height, width))  # type: ignore[no-untyped-call]
    ctx = av.CodecContext.create("libvpx", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.framerate, ctx.time_base = fractions.Fraction(fps), fractions.Fraction(1, fps)
    ctx.bit_rate, ctx.gop_size = 500_000, fps  # a keyframe a second: late subscribers start fast
    ctx.options = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}
    face_frames, total = face_s * fps, (face_s + black_s) * fps
    packets: list[bytes] = []
    for i in range(total):
        if i < face_frames:
            shift = round(2 * np.sin(i / 7))  # a person is never perfectly still
            gain = 1.0 + 0.04 * np.sin(i / 5)
            rgb = np.clip(np.roll(face, shift, axis=1) * gain, 0, 255).astype(np.uint8)
        else:
            rgb = np.zeros((height, width, 3), np.uint8)
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
        frame.pts = i
        if i in (0, face_frames):  # each change starts on a keyframe, like a camera toggle
            frame.pict_type = av.video.frame.PictureType.I
        packets += [bytes(p) for p in ctx.encode(frame)]
    packets += [bytes(p) for p in ctx.encode(None)]
    assert len(packets) == total, f"libvpx returned {len(packets)} packets for {total} frames"
    return Clip(tuple(packets), fps, face_frames)


class ReplayTrack(MediaStreamTrack):
    """Hands aiortc encoded packets (it packetises them as they are: no encoder runs)."""

    kind = "video"

    def __init__(self, clip: Clip, offset: int) -> None:
        super().__init__()
        self.clip, self.offset = clip, offset
        self.start = 0.0
        self.n = -1
        self.flowing = asyncio.Event()

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        self.n += 1
        if self.n == 0:
            self.start = time.monotonic()
            self.flowing.set()
        else:  # real-time pacing of a camera: the next frame is due at a fixed instant
            await asyncio.sleep(max(0.0, self.start + self.n / self.clip.fps - time.monotonic()))
        data = self.clip.packets[(self.offset + self.n) % len(self.clip.packets)]
        packet = av.Packet(data)
        packet.pts = self.n * (VIDEO_CLOCK // self.clip.fps)
        packet.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        return packet


async def publish(url: str, room: int, name: str, track: ReplayTrack, until: float) -> None:
    async with JanusSession(url) as session:
        handle = await session.attach()
        await handle.message(
            {"request": "join", "ptype": "publisher", "room": room, "display": name}
        )
        pc = peer_connection(())
        try:
            pc.addTransceiver(track, direction="sendonly")
            await pc.setLocalDescription(await pc.createOffer())
            offer = pc.localDescription
            reply = await handle.message(
                {"request": "publish", "display": name}, jsep={"type": offer.type, "sdp": offer.sdp}
            )
            answer = reply["jsep"]
            await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
            async with asyncio.timeout(30):
                await track.flowing.wait()  # aiortc pulls the first packet once DTLS is up
            print(
                json.dumps({"name": name, "start": track.start, "offset": track.offset}), flush=True
            )
            await asyncio.sleep(max(0.0, until - time.monotonic()))
            await handle.message({"request": "leave"})
        finally:
            await pc.close()


async def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--room", type=int, required=True)
    ap.add_argument("--participants", type=int, required=True)
    ap.add_argument("--seconds", type=float, required=True, help="how long to keep publishing")
    ap.add_argument("--width", type=int, default=640)
    ap.add_argument("--height", type=int, default=360)
    ap.add_argument("--fps", type=int, default=15)
    ap.add_argument("--face-s", type=int, default=8)
    ap.add_argument("--black-s", type=int, default=4)
    a = ap.parse_args()
    clip = encode_clip(a.width, a.height, a.fps, a.face_s, a.black_s)
    until = time.monotonic() + a.seconds
    step = len(clip.packets) / a.participants
    async with asyncio.TaskGroup() as group:
        for i in range(a.participants):
            track = ReplayTrack(clip, offset=round(i * step))
            group.create_task(publish(a.url, a.room, f"Member {i:02d}", track, until))
            await asyncio.sleep(0.05)  # joins a moment apart, like people arriving
    print(f"cpu {time.process_time():.3f}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
