"""VideoRoom wire parsing: Janus JSON in, typed room events out (no server needed)."""

from __future__ import annotations

import pytest

from meetbot.connectors.janus_videoroom import (
    Feed,
    FeedGone,
    FeedsPublished,
    FeedStream,
    RoomDestroyed,
    TalkingChanged,
    parse_feeds,
    parse_room_event,
)
from meetbot.domain.states import LeaveReason, TrackKind

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
