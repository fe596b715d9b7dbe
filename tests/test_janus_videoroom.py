"""VideoRoom wire parsing (Janus JSON in, typed room events out) and one feed subscription
against a real Janus."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import av
import pytest
from aiortc.mediastreams import MediaStreamTrack

from meetbot.clock import MonotonicClock
from meetbot.connectors.base import Valve
from meetbot.connectors.janus_session import JanusHandle, JanusSession
from meetbot.connectors.janus_videoroom import (
    AttendeeJoined,
    Feed,
    FeedGone,
    FeedsPublished,
    FeedStream,
    FeedSubscription,
    Joined,
    RoomDestroyed,
    TalkingChanged,
    join_room,
    parse_feeds,
    parse_joined,
    parse_room_event,
    room_events,
)
from meetbot.domain.states import LeaveReason, TrackKind
from meetbot.lab.frames import FrameBook
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.participant import Participant
from meetbot.lab.scenario import Script

PUBLISHER = {
    "id": 42,
    "display": "Alice (Acme)",
    "streams": [
        {"type": "audio", "mindex": 0, "mid": "0", "codec": "opus"},
        {"type": "video", "mindex": 1, "mid": "1", "codec": "vp8"},
        {"type": "data", "mindex": 2, "mid": "2"},
        {"type": "video", "mindex": 3, "mid": "3", "disabled": True},
    ],
}


def test_publishers_become_feeds_with_audio_and_video_streams_only() -> None:
    assert parse_feeds([PUBLISHER]) == (
        Feed(
            42,
            "Alice (Acme)",
            (
                FeedStream("0", TrackKind.AUDIO),
                FeedStream("1", TrackKind.VIDEO),
                FeedStream("3", TrackKind.VIDEO, disabled=True),
            ),
        ),
    )


def test_dummy_publishers_are_not_people() -> None:
    assert parse_feeds([{"id": 1, "dummy": True, "streams": []}]) == ()


@pytest.mark.parametrize(
    ("data", "events"),
    [
        (
            {"videoroom": "event", "room": 1, "publishers": [PUBLISHER]},
            [FeedsPublished(parse_feeds([PUBLISHER]))],
        ),
        (
            {"videoroom": "event", "room": 1, "unpublished": 42},
            [FeedGone(42, LeaveReason.UNPUBLISHED)],
        ),
        ({"videoroom": "event", "room": 1, "leaving": 42}, [FeedGone(42, LeaveReason.LEFT)]),
        ({"videoroom": "event", "room": 1, "kicked": 42}, [FeedGone(42, LeaveReason.LEFT)]),
        # "ok" answers the bot's own unpublish/leave; it is nobody else going
        ({"videoroom": "event", "room": 1, "leaving": "ok"}, []),
        ({"videoroom": "event", "room": 1, "unpublished": "ok"}, []),
        (
            {"videoroom": "talking", "room": 1, "id": 42, "mid": "0", "audio-level-dBov-avg": 12},
            [TalkingChanged(42, True)],
        ),
        ({"videoroom": "stopped-talking", "room": 1, "id": 42}, [TalkingChanged(42, False)]),
        ({"videoroom": "destroyed", "room": 1}, [RoomDestroyed(1)]),
        (
            {"videoroom": "event", "room": 1, "joining": {"id": 7, "display": "x"}},
            [AttendeeJoined(Feed(7, "x"))],
        ),
        # A display-name update (Janus 1.1.2 sends one on publish) is no arrival.
        ({"videoroom": "event", "id": 7, "display": "x"}, []),
        ({"videoroom": "slow_link"}, []),
    ],
)
def test_room_events(data: dict[str, object], events: list[object]) -> None:
    assert parse_room_event(data) == events


def test_join_answer_of_a_notify_joining_room_names_who_is_there_without_publishing() -> None:
    # As Janus 1.1.2 answers in a room with notify_joining: publishers are not attendees.
    answer = {
        "videoroom": "joined",
        "room": 1,
        "id": 5,
        "private_id": 99,
        "publishers": [PUBLISHER],
        "attendees": [{"id": 8, "display": "Sam (camera off)"}, {"id": 9}],
    }
    assert parse_joined(answer) == Joined(
        5,
        99,
        parse_feeds([PUBLISHER]),
        (Feed(8, "Sam (camera off)"), Feed(9, "")),
        notifies_joining=True,
    )


def test_an_empty_attendee_list_still_says_the_room_notifies_joining() -> None:
    answer = {"videoroom": "joined", "id": 5, "private_id": 99, "publishers": [], "attendees": []}
    assert parse_joined(answer) == Joined(5, 99, (), (), notifies_joining=True)


def test_a_join_answer_without_attendees_is_a_room_that_never_names_them() -> None:
    answer = {"videoroom": "joined", "id": 5, "private_id": 99, "publishers": []}
    assert parse_joined(answer).notifies_joining is False


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
            feed = await _first_feed(control)
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
async def test_a_stream_valve_pauses_the_video_at_janus_and_resumes_it() -> None:
    async with subscribed_to_ann(fps=10) as ann:
        assert ann.tracks[TrackKind.AUDIO][1] is None  # audio is never paused
        track, valve = ann.tracks[TrackKind.VIDEO]
        assert valve is not None
        received = 0
        more = asyncio.Condition()

        async def drain() -> None:
            nonlocal received
            while True:
                await track.recv()
                received += 1
                async with more:
                    more.notify_all()

        async def frames(n: int) -> None:
            target = received + n
            async with asyncio.timeout(10), more:
                await more.wait_for(lambda: received >= target)

        reader = ann.group.create_task(drain())
        await frames(5)
        await valve.pause()
        await asyncio.sleep(0.3)  # frames already on their way may still land
        paused_at = received
        # Waiting for nothing to happen takes time by nature: 10 frames' worth.
        await asyncio.sleep(1.0)
        assert received == paused_at
        await valve.resume()  # Janus asks Ann's encoder for a keyframe
        await frames(5)
        reader.cancel()


async def _first_feed(control: JanusHandle) -> Feed:
    async with asyncio.timeout(10):
        async for event in room_events(control):
            if isinstance(event, FeedsPublished) and event.feeds:
                return event.feeds[0]
    raise AssertionError("no publisher appeared")
