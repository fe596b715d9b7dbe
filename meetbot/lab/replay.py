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
subscriber start within 1 s.

Keyframe requests (RTCP PLI/FIR) are answered like a browser answers them: the clip is encoded
twice, the stream and every picture again as a keyframe, and after a request the track sends
the keyframe of the picture that is due instead of its inter frame. Janus asks for one whenever
a subscriber starts or resumes a paused stream; without an answer the subscriber would decode
inter frames on a picture from before the pause until the next periodic keyframe.
The microphone stays a live tone (Opus encoding is cheap) so talking events keep working.
"""

from __future__ import annotations

import asyncio
import fractions
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from aiortc import RTCPeerConnection, RTCRtpSender
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from meetbot.connectors.janus_session import JanusHandle
from meetbot.errors import ConfigError
from meetbot.lab.frames import FrameBook, video_frame
from meetbot.lab.participant import Pacer, Participant, ToneTrack
from meetbot.lab.scenario import Happened, Scenario, Script

VIDEO_CLOCK = 90_000


def is_keyframe(frame: bytes) -> bool:
    """True for a VP8 key frame: bit 0 of the frame tag is 0 (RFC 6386, section 9.1)."""
    return bool(frame) and not frame[0] & 1


def keyframe_bit_rate(bit_rate: int, gop: int) -> int:
    """Rate-control target for the every-frame-a-keyframe variant of a stream.

    A keyframe costs several inter frames, so at the stream's own rate the keyframes would be
    visibly worse than the stream. Measured: at gop/4 times the stream's rate their PSNR is
    within 1 dB of the stream's (astronaut 640x360@15 fps, 500 kb/s: 37.2 vs 36.8 dB; lab
    faces 320x240@5 fps, 150 kb/s: 40 dB both).
    """
    return round(bit_rate * max(1.0, gop / 4))


@dataclass(frozen=True, slots=True)
class Clip:
    """Encoded VP8 frames of one script, in order; shared read-only by every replay.

    `keyframes[i]`, when present, shows the same picture as `frames[i]` as a keyframe: what a
    replay sends to answer a keyframe request.
    """

    frames: tuple[bytes, ...]
    fps: float
    keyframes: tuple[bytes, ...] = ()

    def __post_init__(self) -> None:
        if self.keyframes and len(self.keyframes) != len(self.frames):
            raise ConfigError(
                f"clip has {len(self.frames)} frames but {len(self.keyframes)} keyframes; "
                "encode both variants from the same pictures"
            )

    @property
    def duration_s(self) -> float:
        return len(self.frames) / self.fps


def encode_frames(
    frames: Iterable[av.VideoFrame],
    path: Path,
    *,
    fps: float,
    bitrate: int,
    gop: int | None = None,
    options: dict[str, str] | None = None,
) -> Path:
    """Encode `frames` as a replay clip: a WebM file whose first video stream is the VP8
    stream (a keyframe every `gop` frames, default one a second, and wherever a frame's
    pict_type is I) and whose second one holds every picture again as a keyframe.
    `options` go to libvpx (e.g. {"deadline": "realtime"})."""
    rate = fractions.Fraction(fps).limit_denominator(1000)
    gop = max(1, round(fps)) if gop is None else gop
    with av.open(str(path), mode="w", format="webm") as container:
        stream, keys = (container.add_stream("libvpx", rate=rate) for _ in range(2))
        for out, out_gop, out_rate in (
            (stream, gop, bitrate),
            (keys, 1, keyframe_bit_rate(bitrate, gop)),
        ):
            out.pix_fmt, out.bit_rate, out.codec_context.gop_size = "yuv420p", out_rate, out_gop
            out.codec_context.options = {
                # Keyframes exactly where asked, never where libvpx guesses a scene cut: a
                # replay must know which of its frames a receiver can start from.
                "keyint_min": str(out_gop),
                # Without it VP8 frames inherit entropy probabilities from the frames before
                # them, so after a spliced-in keyframe the next inter frames are decoded with
                # the wrong ones: garbage, then "Invalid data". With it a splice costs only
                # the keyframe's own difference (measured <= 1.7 grey levels, no errors).
                "error-resilient": "default",
                **(options or {}),
            }
        for n, frame in enumerate(frames):
            if n == 0:
                for out in (stream, keys):
                    out.width, out.height = frame.width, frame.height
            frame.pts, frame.time_base = n, fractions.Fraction(1) / rate
            container.mux(stream.encode(frame))
            frame.pict_type = av.video.frame.PictureType.I
            container.mux(keys.encode(frame))
        container.mux(stream.encode(None))
        container.mux(keys.encode(None))
    return path


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
    """Encode what `script` shows from 0 to `duration_s` as a replay clip at `path`."""
    if duration_s <= 0 or fps <= 0:
        raise ConfigError(
            f"encode_clip: duration_s and fps must be positive, got {duration_s}, {fps}"
        )
    if book is None:
        book = FrameBook.for_scenario(
            Scenario((script,), duration_s, fps=fps, canvas=canvas, face_px=face_px)
        )
    pictures = (
        video_frame(book.frame(script.face, script.behaviour_at(n / fps), n), n)
        for n in range(round(duration_s * fps))
    )
    return encode_frames(pictures, path, fps=fps, bitrate=bitrate)


def load_clip(path: Path) -> Clip:
    """Read a clip made by encode_clip into memory (VP8 frames, keyframes and their rate)."""
    try:
        container = av.open(str(path))
    except (OSError, av.FFmpegError) as exc:
        raise ConfigError(f"cannot read clip {path}: {exc}; make it with encode_clip") from exc
    with container:
        streams = container.streams.video
        for stream in streams:
            if stream.codec_context.name != "vp8":
                raise ConfigError(f"clip {path} is {stream.codec_context.name}, not vp8")
        fps = float(streams[0].average_rate or streams[0].guessed_rate or 5)
        frames: list[list[bytes]] = [[] for _ in streams[:2]]
        for packet in container.demux(*streams[:2]):
            if packet.size:
                frames[packet.stream.index].append(bytes(packet))
    return Clip(tuple(frames[0]), fps, tuple(frames[1]) if len(frames) > 1 else ())


class ReplayVideoTrack(MediaStreamTrack):
    """Sends a clip's encoded frames in a loop from frame `offset`, at its frame rate, without
    decoding; answers keyframe requests (see answer_keyframe_requests)."""

    kind = "video"

    def __init__(self, clip: Clip, *, offset: int = 0) -> None:
        super().__init__()
        self.clip, self.offset = clip, offset
        self.start = 0.0  # event-loop time (time.monotonic) at which frame 0 left
        self.flowing = asyncio.Event()  # aiortc pulled the first frame: the transport is up
        self.keyframes_sent = 0  # periodic ones and answers to requests
        self.keyframe_requests = 0
        self.requests_answered = 0
        self.answered_with: int | None = None  # clip index of the latest answer
        self._pacer = Pacer(1.0 / clip.fps)
        self._wanted = False

    def request_keyframe(self) -> None:
        """The receiver lost the picture (PLI/FIR): the next frame sent is a keyframe."""
        self.keyframe_requests += 1
        self._wanted = True

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        n = await self._pacer.next()
        if n == 0:
            self.start = asyncio.get_running_loop().time()
            self.flowing.set()
        index = (self.offset + n) % len(self.clip.frames)
        data = self.clip.frames[index]
        if self._wanted and not is_keyframe(data) and self.clip.keyframes:
            # The inter frames that follow were predicted from the stream's own pictures, not
            # from this keyframe's slightly different one: a drift of about a grey level,
            # gone at the next periodic keyframe (error-resilient encoding keeps it that
            # small, see encode_frames).
            data = self.clip.keyframes[index]
        if is_keyframe(data):
            self.keyframes_sent += 1
            if self._wanted:
                self._wanted = False
                self.requests_answered += 1
                self.answered_with = index
        packet = av.Packet(data)
        packet.pts = round(n * VIDEO_CLOCK / self.clip.fps)
        packet.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        return packet


def answer_keyframe_requests(pc: RTCPeerConnection) -> None:
    """Let the replay tracks of `pc` hear the keyframe requests their senders receive."""
    for sender in pc.getSenders():
        if isinstance(sender.track, ReplayVideoTrack):
            _forward_keyframe_requests(sender, sender.track)


def _forward_keyframe_requests(sender: RTCRtpSender, track: ReplayVideoTrack) -> None:
    # aiortc (1.16) handles PLI/FIR by calling the sender's `_send_keyframe()`, which only
    # tells its own encoder; pre-encoded packets bypass the encoder and there is no public
    # hook, so the sender instance gets a `_send_keyframe` that tells the track too.
    tell_encoder = sender._send_keyframe

    def send_keyframe() -> None:
        track.request_keyframe()
        tell_encoder()

    sender._send_keyframe = send_keyframe  # type: ignore[method-assign]


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
        self.video: ReplayVideoTrack | None = None  # the camera of the latest publish

    def tracks(self) -> list[MediaStreamTrack]:
        self.video = ReplayVideoTrack(self.clip)
        return [ToneTrack(self.script, self.clock, self.log), self.video]

    async def _publish(self, handle: JanusHandle) -> None:
        await super()._publish(handle)
        # Requests come over RTCP once the connection is up, after this returns; the first
        # frame is a keyframe anyway.
        if self._pc is not None:
            answer_keyframe_requests(self._pc)
