"""VideoRoom wire parsing: Janus JSON in, typed room events out (the real Janus answers these
shapes in test_janus_connector.py and test_janus_feed.py)."""

from __future__ import annotations

import pytest

from meetbot.connectors.janus_videoroom import (
    AttendeeJoined,
    Feed,
    FeedGone,
    FeedsPublished,
    FeedStream,
    Joined,
    RoomDestroyed,
    TalkingChanged,
    parse_feeds,
    parse_joined,
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
