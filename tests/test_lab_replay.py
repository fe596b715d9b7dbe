"""Replay participants: a clip encoded once, its VP8 frames re-sent by many publishers."""

from __future__ import annotations

import asyncio
from pathlib import Path

import av
import pytest

from meetbot.clock import MonotonicClock
from meetbot.connectors.janus import JanusConnector
from meetbot.domain.events import ParticipantJoined, ParticipantLeft, SpeechChanged
from meetbot.domain.states import TrackKind
from meetbot.errors import ConfigError
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.recorder import DrainingSink, EventRecorder
from meetbot.lab.replay import Clip, ReplayParticipant, ReplayVideoTrack, encode_clip, load_clip
from meetbot.lab.scenario import Behaviour, Happened, Script
from meetbot.settings import MeetingSettings

SCRIPT = Script("a", "Ann", steps=((1, 2, Behaviour.CAMERA_OFF),), speaks=((1, 3),))


@pytest.fixture(scope="module")
def clip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return encode_clip(SCRIPT, tmp_path_factory.mktemp("clips") / "ann.webm", duration_s=3, fps=5)


def test_clip_holds_every_frame_with_a_keyframe_each_second(clip_path: Path) -> None:
    clip = load_clip(clip_path)
    assert clip.fps == 5
    assert len(clip.frames) == 15
    assert clip.duration_s == 3
    with av.open(str(clip_path)) as container:
        keyframes = [p.is_keyframe for p in container.demux(video=0) if p.size]
    assert [n for n, key in enumerate(keyframes) if key] == [0, 5, 10]


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
