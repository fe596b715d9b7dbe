"""VideoRoom wire parsing (Janus JSON in, typed room events out) and one feed subscription
against a real Janus."""

from __future__ import annotations

import asyncio

import pytest
from aiortc.mediastreams import MediaStreamTrack

from meetbot.clock import MonotonicClock
from meetbot.connectors.janus_session import JanusHandle, JanusSession
from meetbot.connectors.janus_videoroom import (
    Feed,
    FeedGone,
    FeedsPublished,
    FeedStream,
    FeedSubscription,
    RoomDestroyed,
    TalkingChanged,
    join_room,
    parse_feeds,
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
        ({"videoroom": "event", "room": 1, "joining": {"id": 7, "display": "x"}}, []),
        ({"videoroom": "slow_link"}, []),
    ],
)
def test_room_events(data: dict[str, object], events: list[object]) -> None:
    assert parse_room_event(data) == events


in_sandbox = pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))


@pytest.mark.janus
@in_sandbox
async def test_subscription_hands_over_tracks_and_reports_a_hangup() -> None:
    clock = MonotonicClock()
    book = FrameBook.render(["astronaut"])
    async with JanusServer() as janus:
        await janus.create_room(9)
        async with JanusSession(janus.url) as session, asyncio.TaskGroup() as group:
            control = await session.attach()
            joined = await join_room(control, 9, "test bot")
            person = Participant(janus.url, 9, Script("a", "Ann"), book, clock)
            play = group.create_task(person.run(until=60))
            feed = await _first_feed(control)
            handed: dict[TrackKind, MediaStreamTrack] = {}

            async def on_track(kind: TrackKind, track: MediaStreamTrack) -> None:
                handed[kind] = track

            async with FeedSubscription(
                session,
                room=9,
                private_id=joined.private_id,
                feed=feed,
                kinds=frozenset({TrackKind.VIDEO, TrackKind.AUDIO}),
                on_track=on_track,
            ) as subscription:
                assert sorted(handed) == [TrackKind.AUDIO, TrackKind.VIDEO]
                async with asyncio.timeout(10):  # real decoded media from the real publisher
                    video = await handed[TrackKind.VIDEO].recv()
                    audio = await handed[TrackKind.AUDIO].recv()
                assert (video.width, video.height) == (320, 240)
                assert audio.sample_rate == 48_000
                # What a broken network path looks like to Janus: it hangs the PeerConnection up.
                await session.request({"janus": "hangup", "handle_id": subscription.handle_id})
                async with asyncio.timeout(10):
                    why = await subscription.watch()
            # Janus's `hangup` event and the PeerConnection closing race each other; either is
            # the subscription correctly noticing that the path died.
            assert why.startswith(("Janus hung up", "connection closed")), why
            play.cancel()


async def _first_feed(control: JanusHandle) -> Feed:
    async with asyncio.timeout(10):
        async for event in room_events(control):
            if isinstance(event, FeedsPublished) and event.feeds:
                return event.feeds[0]
    raise AssertionError("no publisher appeared")
