"""Replay publishers for the participants bench: a scenario clip encoded ONCE, its VP8 packets
replayed by N aiortc publishers, so N publishers cost packetising, not encoding.

The clip is a real face (skimage's astronaut) that moves a little and changes brightness (a live
camera, not a frozen picture) for `face_s` seconds, then a black camera for `black_s` seconds,
in a loop. Each publisher starts at a different point of the loop, so the changes the bot must
notice are spread over time. Run as a process of its own (its CPU is not the bot's):

    python bench/_replay.py --url ws://127.0.0.1:PORT/ --room R --participants N --seconds S

It prints one JSON line per publisher once its media flows ({"name", "start", "offset"}: frame n
of the stream left at start + n/fps and showed clip frame (offset + n) % len), and when done
(or sent SIGTERM) the keyframes all publishers sent ('keyframes {"sent", "requests",
"requests_answered"}': periodic ones plus answers to Janus's PLIs, which it sends whenever a
subscriber starts or resumes a paused video) and its own CPU seconds ("cpu S").
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import skimage.data
from aiortc import RTCSessionDescription

from detectors import synthetic as syn
from meetbot.connectors.janus_feed import peer_connection
from meetbot.connectors.janus_session import JanusSession
from meetbot.lab.replay import (
    Clip,
    ReplayVideoTrack,
    answer_keyframe_requests,
    encode_frames,
    load_clip,
)

REALTIME = {"deadline": "realtime", "cpu-used": "8", "lag-in-frames": "0"}


def encode_clip(width: int, height: int, fps: int, face_s: int, black_s: int) -> Clip:
    """The face for `face_s` seconds, then black for `black_s`; both variants of every picture
    (see meetbot.lab.replay: the keyframes answer PLIs)."""
    face = syn.letterbox(skimage.data.astronaut(), (height, width))  # type: ignore[no-untyped-call]
    face_frames, total = face_s * fps, (face_s + black_s) * fps

    def pictures() -> Iterator[av.VideoFrame]:
        for i in range(total):
            if i < face_frames:
                shift = round(2 * np.sin(i / 7))  # a person is never perfectly still
                gain = 1.0 + 0.04 * np.sin(i / 5)
                rgb = np.clip(np.roll(face, shift, axis=1) * gain, 0, 255).astype(np.uint8)
            else:
                rgb = np.zeros((height, width, 3), np.uint8)
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            if i in (0, face_frames):  # each change starts on a keyframe, like a camera toggle
                frame.pict_type = av.video.frame.PictureType.I
            yield frame

    # A scratch file, synthetic pictures only; the clip lives in memory once loaded.
    with tempfile.TemporaryDirectory(prefix="meetbot-bench-") as scratch:
        path = encode_frames(
            pictures(), Path(scratch) / "clip.webm", fps=fps, bitrate=500_000, options=REALTIME
        )
        clip = load_clip(path)
    assert len(clip.frames) == len(clip.keyframes) == total, "libvpx dropped frames"
    return clip


async def publish(url: str, room: int, name: str, track: ReplayVideoTrack, until: float) -> None:
    async with JanusSession(url) as session:
        handle = await session.attach()
        await handle.message(
            {"request": "join", "ptype": "publisher", "room": room, "display": name}
        )
        pc = peer_connection(())
        try:
            pc.addTransceiver(track, direction="sendonly")
            answer_keyframe_requests(pc)
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
    step = len(clip.frames) / a.participants
    tracks = [ReplayVideoTrack(clip, offset=round(i * step)) for i in range(a.participants)]
    # The bench ends the publishers with SIGTERM: stop like Ctrl-C so the totals get printed.
    main_task = asyncio.current_task()
    assert main_task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, main_task.cancel)
    try:
        async with asyncio.TaskGroup() as group:
            for i, track in enumerate(tracks):
                group.create_task(publish(a.url, a.room, f"Member {i:02d}", track, until))
                await asyncio.sleep(0.05)  # joins a moment apart, like people arriving
    except asyncio.CancelledError:
        pass  # told to stop: the totals are the output
    totals = {
        "sent": sum(t.keyframes_sent for t in tracks),
        "requests": sum(t.keyframe_requests for t in tracks),
        "requests_answered": sum(t.requests_answered for t in tracks),
    }
    print(f"keyframes {json.dumps(totals)}", flush=True)
    print(f"cpu {time.process_time():.3f}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
