"""Replay participants: a clip encoded once, its VP8 frames re-sent by many publishers."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt
import pytest
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtp import RTCP_PSFB_FIR, RTCP_PSFB_PLI, RtcpPsfbPacket
from janus_room import first_feed

from meetbot.clock import MonotonicClock
from meetbot.config.schema import MeetingSettings
from meetbot.connectors.base import Valve
from meetbot.connectors.janus import JanusConnector
from meetbot.connectors.janus_feed import FeedSubscription, close_peer, peer_connection
from meetbot.connectors.janus_session import JanusSession
from meetbot.connectors.janus_videoroom import join_room
from meetbot.domain.events import ParticipantJoined, ParticipantLeft, SpeechChanged
from meetbot.domain.states import TrackKind
from meetbot.errors import ConfigError
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.recorder import DrainingSink, EventRecorder
from meetbot.lab.replay import (
    Clip,
    ReplayParticipant,
    ReplayVideoTrack,
    answer_keyframe_requests,
    encode_clip,
    encode_frames,
    is_keyframe,
    load_clip,
)
from meetbot.lab.scenario import Behaviour, Happened, Script

SCRIPT = Script("a", "Ann", steps=((1, 2, Behaviour.CAMERA_OFF),), speaks=((1, 3),))


@pytest.fixture(scope="module")
def clip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return encode_clip(SCRIPT, tmp_path_factory.mktemp("clips") / "ann.webm", duration_s=3, fps=5)


def test_clip_holds_every_frame_with_a_keyframe_each_second(clip_path: Path) -> None:
    clip = load_clip(clip_path)
    assert clip.fps == 5
    assert len(clip.frames) == len(clip.keyframes) == 15
    assert clip.duration_s == 3
    with av.open(str(clip_path)) as container:
        keyframes = [p.is_keyframe for p in container.demux(video=0) if p.size]
    assert [n for n, key in enumerate(keyframes) if key] == [0, 5, 10]
    assert [n for n, frame in enumerate(clip.frames) if is_keyframe(frame)] == [0, 5, 10]
    assert all(is_keyframe(frame) for frame in clip.keyframes)


def test_a_keyframe_spliced_into_the_stream_leaves_the_frames_after_it_intact(
    clip_path: Path,
) -> None:
    clip = load_clip(clip_path)
    plain = decoded(clip.frames)
    for n in range(1, len(clip.frames)):
        if is_keyframe(clip.frames[n]):
            continue
        spliced = decoded((*clip.frames[:n], clip.keyframes[n], *clip.frames[n + 1 :]))
        drift = [float(np.abs(a - b).mean()) for a, b in zip(plain[n:], spliced[n:], strict=True)]
        assert max(drift) < 2.5, (n, drift)  # what a replay answering a PLI at frame n sends


def decoded(frames: Sequence[bytes]) -> list[npt.NDArray[np.int16]]:
    """Grey pictures of a VP8 stream, decoded in order like a receiver does."""
    decoder = av.CodecContext.create("vp8", "r")
    out = []
    for frame in frames:
        [picture] = decoder.decode(av.Packet(frame))
        out.append(picture.to_ndarray(format="gray").astype(np.int16))
    return out


def test_each_keyframe_shows_its_picture_as_well_as_the_stream_does(clip_path: Path) -> None:
    clip = load_clip(clip_path)
    stream = av.CodecContext.create("vp8", "r")
    for n, (frame, key) in enumerate(zip(clip.frames, clip.keyframes, strict=True)):
        [inter] = stream.decode(av.Packet(frame))
        [intra] = av.CodecContext.create("vp8", "r").decode(av.Packet(key))  # on its own
        a, b = (f.to_ndarray(format="gray").astype(np.int16) for f in (inter, intra))
        # Same picture, same quality: what a keyframe answering a request shows.
        assert float(np.abs(a - b).mean()) < 2.0, n


def test_clip_decodes_back_to_what_the_script_shows(clip_path: Path) -> None:
    with av.open(str(clip_path)) as container:
        frames = [f.to_ndarray(format="gray") for f in container.decode(video=0)]
    brightness = [float(f.mean()) for f in frames]
    # 1-2 s is camera off: black frames; before and after, the lit face picture.
    assert all(brightness[n] < 20 for n in range(5, 10))
    assert all(brightness[n] > 60 for n in (*range(0, 5), *range(10, 15)))


async def test_replay_track_loops_with_increasing_timestamps() -> None:
    clip = Clip((b"\x01", b"\x02", b"\x03"), fps=50.0)
    track = ReplayVideoTrack(clip)
    packets = [await track.recv() for _ in range(7)]
    assert [bytes(p) for p in packets] == [b"\x01", b"\x02", b"\x03"] * 2 + [b"\x01"]
    assert [p.pts for p in packets] == [n * 1800 for n in range(7)]
    track.stop()


# VP8 frame tags: bit 0 clear for a keyframe, set for an inter frame.
KEY, INTER = 0x00, 0x01


def fake_clip(keyframes: bool = True) -> Clip:
    frames = (bytes([KEY, 0]), bytes([INTER, 1]), bytes([INTER, 2]), bytes([INTER, 3]))
    keys = tuple(bytes([KEY, 100 + n]) for n in range(4)) if keyframes else ()
    return Clip(frames, fps=100.0, keyframes=keys)


async def sent(track: ReplayVideoTrack, count: int) -> list[int]:
    return [bytes(await track.recv())[1] for _ in range(count)]


async def test_a_keyframe_request_is_answered_by_the_keyframe_of_the_picture_due() -> None:
    track = ReplayVideoTrack(fake_clip())
    assert await sent(track, 2) == [0, 1]
    track.request_keyframe()
    track.request_keyframe()  # requests before the next frame add up to one keyframe
    assert await sent(track, 3) == [102, 3, 0]  # then the stream goes on
    assert (track.keyframe_requests, track.requests_answered) == (2, 1)
    assert (track.keyframes_sent, track.answered_with) == (3, 2)
    track.request_keyframe()
    assert await sent(track, 1) == [1 + 100]
    track.stop()


async def test_a_request_due_at_a_stream_keyframe_or_without_keyframes_waits_for_one() -> None:
    track = ReplayVideoTrack(fake_clip(keyframes=False), offset=2)
    assert await sent(track, 1) == [2]
    track.request_keyframe()
    assert await sent(track, 2) == [3, 0]  # the stream's own keyframe answers it
    assert (track.requests_answered, track.answered_with, track.keyframes_sent) == (1, 0, 1)
    track.stop()


@pytest.mark.parametrize("fmt", [RTCP_PSFB_PLI, RTCP_PSFB_FIR])
async def test_a_pli_or_fir_reaching_the_sender_reaches_the_replay_track(fmt: int) -> None:
    track = ReplayVideoTrack(fake_clip(), offset=1)
    pc = peer_connection(())  # no STUN: nothing leaves the machine
    try:
        sender = pc.addTransceiver(track, direction="sendonly").sender
        answer_keyframe_requests(pc)
        # What aiortc does with an RTCP packet from the network (rtcrtpsender.py).
        await sender._handle_rtcp_packet(RtcpPsfbPacket(fmt=fmt, ssrc=1, media_ssrc=sender._ssrc))
        assert track.keyframe_requests == 1
        assert await sent(track, 2) == [101, 2]
    finally:
        await close_peer(pc)


def test_a_clip_with_keyframes_for_other_pictures_is_refused() -> None:
    with pytest.raises(ConfigError, match="encode both variants from the same pictures"):
        Clip((b"\x00", b"\x01"), fps=5.0, keyframes=(b"\x00",))


def test_unreadable_clip_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="make it with encode_clip"):
        load_clip(tmp_path / "missing.webm")


@pytest.mark.janus
@pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))
async def test_replay_participants_reach_the_bot(clip_path: Path) -> None:
    clip = load_clip(clip_path)
    clock = MonotonicClock()
    events = EventRecorder()
    scripts = [Script(f"r{i}", f"Replay {i}", speaks=((1, 3),) if i == 0 else ()) for i in range(3)]
    logs = {s.name: Happened(s) for s in scripts}
    async with JanusServer() as janus:
        await janus.create_room(1234)
        settings = MeetingSettings(url=janus.url, room=1234)
        async with JanusConnector(settings, clock) as connector, asyncio.TaskGroup() as group:
            sink = DrainingSink(group)
            bot = group.create_task(connector.run(events.emit, sink))
            async with asyncio.TaskGroup() as people:
                for s in scripts:
                    person = ReplayParticipant(janus.url, 1234, s, clip, clock, log=logs[s.name])
                    # Long enough that 16 frames arrive even when joining is slow (a loaded
                    # CI machine), short enough to keep the test quick.
                    people.create_task(person.run(until=10.0))
                await events.wait_for(lambda seen: len(events.of(ParticipantJoined)) == 3)
                for joined in events.of(ParticipantJoined):
                    # 3 s of clip at 5 fps: more than one loop must arrive intact.
                    await sink.wait_for_frames(joined.participant, TrackKind.VIDEO, 16)
            await events.wait_for(lambda seen: len(events.of(ParticipantLeft)) == 3)
            bot.cancel()
    assert sorted(e.display_name for e in events.of(ParticipantJoined)) == [
        "Replay 0",
        "Replay 1",
        "Replay 2",
    ]
    talking = [e for e in events.of(SpeechChanged) if e.speaking]
    assert len(talking) == 1
    assert abs(talking[0].at - logs["r0"].times("speak_start")[0]) <= 2.0


# A clip whose every picture says which it is: two flat grey halves, index = left + 40 * right
# in steps of 5 grey levels; exact enough after VP8 to read back from a decoded frame.
LEVELS, SIZE = 40, (96, 160)


def numbered_pictures(count: int) -> Iterator[av.VideoFrame]:
    height, width = SIZE
    for n in range(count):
        yuv = np.full((height * 3 // 2, width), 128, np.uint8)
        yuv[:height, : width // 2] = 20 + 5 * (n % LEVELS)
        yuv[:height, width // 2 :] = 20 + 5 * (n // LEVELS)
        yield av.VideoFrame.from_ndarray(yuv, format="yuv420p")


def picture_number(frame: av.VideoFrame) -> int | None:
    """Which numbered picture `frame` shows, or None when it shows none of them (stale)."""
    height, width = SIZE
    luma = frame.to_ndarray(format="yuv420p")[:height].astype(np.float64)  # Y as encoded
    halves = [luma[8 : height - 8, 8 : width // 2 - 8], luma[8 : height - 8, width // 2 + 8 : -8]]
    digits = []
    for half in halves:
        level = (float(half.mean()) - 20) / 5
        if abs(level - round(level)) > 0.4 or float(half.std()) > 3:
            return None
        digits.append(round(level))
    return digits[0] + LEVELS * digits[1]


@pytest.mark.janus
@pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))
async def test_a_resumed_subscriber_gets_the_picture_due_as_a_keyframe(tmp_path: Path) -> None:
    path = tmp_path / "numbered.webm"
    clip = load_clip(encode_frames(numbered_pictures(300), path, fps=10, bitrate=200_000, gop=300))
    # Within this test the stream's only keyframe is its first picture: any other keyframe
    # the subscriber gets is the replay answering a request.
    assert [n for n, frame in enumerate(clip.frames) if is_keyframe(frame)] == [0]
    async with JanusServer() as janus:
        await janus.create_room(7)
        async with JanusSession(janus.url) as session, asyncio.TaskGroup() as group:
            control = await session.attach()
            joined = await join_room(control, 7, "test bot")
            person = ReplayParticipant(janus.url, 7, Script("a", "Ann"), clip, MonotonicClock())
            play = group.create_task(person.run(until=60))
            feed = await first_feed(control)
            handed: list[tuple[MediaStreamTrack, Valve]] = []

            async def on_track(
                kind: TrackKind, track: MediaStreamTrack, valve: Valve | None
            ) -> None:
                if valve is not None:
                    handed.append((track, valve))

            async with FeedSubscription(
                session,
                room=7,
                private_id=joined.private_id,
                feed=feed,
                kinds=frozenset({TrackKind.VIDEO}),
                on_track=on_track,
            ):
                [(track, valve)] = handed
                shown: list[int | None] = []  # the picture each decoded frame shows
                decoded = asyncio.Condition()

                async def drain() -> None:
                    while True:
                        frame = await track.recv()
                        assert isinstance(frame, av.VideoFrame)
                        shown.append(picture_number(frame))
                        async with decoded:
                            decoded.notify_all()

                async def until(done: Callable[[], bool]) -> None:
                    async with asyncio.timeout(15), decoded:
                        await decoded.wait_for(done)

                reader = group.create_task(drain())
                await until(lambda: len(shown) >= 5)
                video = person.video
                assert video is not None
                await valve.pause()
                # The clip moves on by 10 pictures while Janus relays none: time passing is
                # the point here, there is nothing to wait for.
                await asyncio.sleep(1.0)
                sent_before, answered_before = video.keyframes_sent, video.requests_answered
                resumed_at = len(shown)
                await valve.resume()  # Janus asks Ann for a keyframe (PLI)
                await until(lambda: video.requests_answered > answered_before)
                due = video.answered_with
                assert due is not None

                def after_answer() -> list[int | None]:
                    later = shown[resumed_at:]
                    return later[later.index(due) :] if due in later else []

                try:
                    await until(lambda: len(after_answer()) >= 4)
                except TimeoutError:
                    raise
                reader.cancel()
            play.cancel()
    assert video.keyframes_sent > sent_before
    # The keyframe decodes to the picture that was due, and the stream goes on from it.
    assert after_answer()[:4] == [due, due + 1, due + 2, due + 3]
    before_pause = [n for n in shown[:resumed_at] if n is not None]
    assert due >= before_pause[-1] + 5  # the current picture, not the one before the pause
