"""One feed's subscription and its valve, against a REAL Janus with a REAL aiortc publisher.

Runs only inside the test network namespace: `scripts/in-sandbox .venv/bin/pytest -m janus`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import av
import pytest
from aiortc.mediastreams import MediaStreamTrack
from janus_room import first_feed

from meetbot.clock import MonotonicClock
from meetbot.connectors.base import Valve
from meetbot.connectors.janus_feed import FeedSubscription
from meetbot.connectors.janus_session import JanusSession
from meetbot.connectors.janus_videoroom import join_room
from meetbot.domain.states import TrackKind
from meetbot.lab.frames import FrameBook
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.participant import Participant
from meetbot.lab.scenario import Script

in_sandbox = pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))


@dataclass
class Subscribed:
    session: JanusSession
    subscription: FeedSubscription
    group: asyncio.TaskGroup
    tracks: dict[TrackKind, tuple[MediaStreamTrack, Valve | None]]


@asynccontextmanager
async def subscribed_to_ann(fps: float = 5.0) -> AsyncIterator[Subscribed]:
    """A real Janus, Ann publishing audio and video from a real face, the bot subscribed."""
    clock = MonotonicClock()
    book = FrameBook.render(["astronaut"])
    async with JanusServer() as janus:
        await janus.create_room(9)
        async with JanusSession(janus.url) as session, asyncio.TaskGroup() as group:
            control = await session.attach()
            joined = await join_room(control, 9, "test bot")
            person = Participant(janus.url, 9, Script("a", "Ann"), book, clock, fps=fps)
            play = group.create_task(person.run(until=60))
            feed = await first_feed(control)
            tracks: dict[TrackKind, tuple[MediaStreamTrack, Valve | None]] = {}

            async def on_track(
                kind: TrackKind, track: MediaStreamTrack, valve: Valve | None
            ) -> None:
                tracks[kind] = (track, valve)

            async with FeedSubscription(
                session,
                room=9,
                private_id=joined.private_id,
                feed=feed,
                kinds=frozenset({TrackKind.VIDEO, TrackKind.AUDIO}),
                on_track=on_track,
            ) as subscription:
                yield Subscribed(session, subscription, group, tracks)
            play.cancel()


@pytest.mark.janus
@in_sandbox
async def test_subscription_hands_over_tracks_and_reports_a_hangup() -> None:
    async with subscribed_to_ann() as ann:
        assert sorted(ann.tracks) == [TrackKind.AUDIO, TrackKind.VIDEO]
        async with asyncio.timeout(10):  # real decoded media from the real publisher
            video = await ann.tracks[TrackKind.VIDEO][0].recv()
            audio = await ann.tracks[TrackKind.AUDIO][0].recv()
        assert isinstance(video, av.VideoFrame)
        assert isinstance(audio, av.AudioFrame)
        assert (video.width, video.height) == (320, 240)
        assert audio.sample_rate == 48_000
        # What a broken network path looks like to Janus: it hangs the PeerConnection up.
        await ann.session.request({"janus": "hangup", "handle_id": ann.subscription.handle_id})
        async with asyncio.timeout(10):
            why = await ann.subscription.watch()
    # Janus's `hangup` event and the PeerConnection closing race each other; either is
    # the subscription correctly noticing that the path died.
    assert why.startswith(("Janus hung up", "connection closed")), why


@pytest.mark.janus
@in_sandbox
async def test_a_stream_valve_pauses_the_video_at_janus_and_resumes_with_a_keyframe() -> None:
    async with subscribed_to_ann(fps=10) as ann:
        assert ann.tracks[TrackKind.AUDIO][1] is None  # audio is never paused
        track, valve = ann.tracks[TrackKind.VIDEO]
        assert valve is not None
        assert valve.sees_keyframes  # Ann sends VP8
        stamps: list[int] = []  # pts of every decoded frame: their RTP timestamps
        more = asyncio.Condition()

        async def drain() -> None:
            while True:
                frame = await track.recv()
                assert isinstance(frame, av.VideoFrame)
                assert frame.pts is not None
                stamps.append(frame.pts)
                async with more:
                    more.notify_all()

        async def frames(n: int) -> None:
            target = len(stamps) + n
            async with asyncio.timeout(10), more:
                await more.wait_for(lambda: len(stamps) >= target)

        reader = ann.group.create_task(drain())
        await frames(5)
        await valve.pause()
        await asyncio.sleep(0.3)  # frames already on their way may still land
        paused_at = len(stamps)
        before = valve.last_keyframe()
        # Waiting for nothing to happen takes time by nature: 10 frames' worth.
        await asyncio.sleep(1.0)
        assert len(stamps) - paused_at <= 1, "Janus kept sending a paused video"
        await valve.resume()  # Janus asks Ann's encoder for a keyframe
        await frames(5)
        reader.cancel()
        key = valve.last_keyframe()
        # the keyframe the resume asked for was spotted, and it is a frame the decoder gave
        assert key is not None
        assert key.seen > (0 if before is None else before.seen)
        assert key.timestamp in stamps[paused_at:]
        # the frame aiortc held through the pause comes out first, older than the keyframe
        assert stamps[paused_at] != key.timestamp
