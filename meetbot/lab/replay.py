"""Replay participants: a script's camera encoded ONCE, its VP8 packets re-sent by many.

Encoding is what makes fake participants expensive (8 live encoders at 240p took most of a
core), so a bench with 48 participants encodes one clip per script and replays the packets:

    path = encode_clip(script, tmp_path / "alice.webm", duration_s=60)  # generated, not committed
    clip = load_clip(path)  # packets in memory
    async with asyncio.TaskGroup() as group:
        for i in range(48):
            p = ReplayParticipant(url, room, Script(f"p{i}", f"Member {i}"), clip, clock)
            group.create_task(p.run(until=60))

The clip loops. Replayed packets are paced on the event loop's clock with fresh, increasing
timestamps; aiortc's MediaPlayer(decode=False) would relay the file too, but it restarts
timestamps when it loops and then floods its queue. A keyframe every second lets a late
subscriber (or one that asks with a PLI, which a replay cannot honour) start within 1 s.
The microphone stays a live tone (Opus encoding is cheap) so talking events keep working.
"""

from __future__ import annotations

import fractions
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from meetbot.errors import ConfigError
from meetbot.lab.frames import FrameBook, video_frame
from meetbot.lab.participant import Pacer, Participant, ToneTrack
from meetbot.lab.scenario import Happened, Scenario, Script

VIDEO_CLOCK = 90_000


@dataclass(frozen=True, slots=True)
class Clip:
    """Encoded VP8 frames of one script, in order; shared read-only by every replay."""

    frames: tuple[bytes, ...]
    fps: float

    @property
    def duration_s(self) -> float:
        return len(self.frames) / self.fps


def encode_clip(
    script: Script,
    path: Path,
    *,
    duration_s: float,
    fps: float = 5.0,
    canvas: tuple[int, int] = (240, 320),
    face_px: int = 110,
    bitrate: int = 150_000,
    book: FrameBook | None = None,
) -> Path:
    """Encode what `script` shows from 0 to `duration_s` as VP8 in a WebM file at `path`."""
    if duration_s <= 0 or fps <= 0:
        raise ConfigError(
            f"encode_clip: duration_s and fps must be positive, got {duration_s}, {fps}"
        )
    if book is None:
        book = FrameBook.for_scenario(
            Scenario((script,), duration_s, fps=fps, canvas=canvas, face_px=face_px)
        )
    height, width = book.canvas
    rate = fractions.Fraction(fps).limit_denominator(1000)
    with av.open(str(path), mode="w", format="webm") as container:
        stream = container.add_stream("libvpx", rate=rate)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.bit_rate = bitrate
        stream.codec_context.gop_size = max(1, round(fps))  # a keyframe every second
        for n in range(round(duration_s * fps)):
            behaviour = script.behaviour_at(n / fps)
            frame = video_frame(book.frame(script.face, behaviour, n), n)
            frame.time_base = fractions.Fraction(1) / rate
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def load_clip(path: Path) -> Clip:
    """Read a clip made by encode_clip into memory (VP8 frames and their rate)."""
    try:
        container = av.open(str(path))
    except (OSError, av.FFmpegError) as exc:
        raise ConfigError(f"cannot read clip {path}: {exc}; make it with encode_clip") from exc
    with container:
        stream = container.streams.video[0]
        if stream.codec_context.name != "vp8":
            raise ConfigError(f"clip {path} is {stream.codec_context.name}, not vp8")
        fps = float(stream.average_rate or stream.guessed_rate or 5)
        frames = tuple(bytes(p) for p in container.demux(stream) if p.size)
    return Clip(frames, fps)


class ReplayVideoTrack(MediaStreamTrack):
    """Sends a clip's encoded frames in a loop, at its frame rate, without decoding."""

    kind = "video"

    def __init__(self, clip: Clip) -> None:
        super().__init__()
        self.clip = clip
        self._pacer = Pacer(1.0 / clip.fps)

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        n = await self._pacer.next()
        packet = av.Packet(self.clip.frames[n % len(self.clip.frames)])
        packet.pts = round(n * VIDEO_CLOCK / self.clip.fps)
        packet.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        return packet


class ReplayParticipant(Participant):
    """A Participant whose camera replays `clip`; joins, leaves and speech follow `script`."""

    def __init__(
        self,
        url: str,
        room: int,
        script: Script,
        clip: Clip,
        clock: Callable[[], float],
        *,
        pin: str = "",
        log: Happened | None = None,
    ) -> None:
        super().__init__(url, room, script, None, clock, fps=clip.fps, pin=pin, log=log)
        self.clip = clip

    def tracks(self) -> list[MediaStreamTrack]:
        return [ToneTrack(self.script, self.clock, self.log), ReplayVideoTrack(self.clip)]
