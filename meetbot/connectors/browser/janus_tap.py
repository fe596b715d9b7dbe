"""The Janus VideoRoom signalling a demo page exchanges (page/janus_tap.js), read as changes.

For profiles with Roster.JANUS (Janus's own demo clients): the page's `janus` messages, the
same signalling meetbot.connectors.janus reads, say who joined, published, unpublished, left
or talks, whether the bot was kicked, and when the room is destroyed. The tap keeps what only
the signalling knows (admitted or not, the bot's own id, whether the room announces attendees);
the room applies the rest (room.Room.apply).
"""

from __future__ import annotations

from typing import Any

from meetbot.connectors.browser.changes import (
    Arrived,
    Change,
    EveryoneLeft,
    HereNow,
    Left,
    MeetingClosed,
    StayEnds,
    Talking,
    Unpublished,
)
from meetbot.connectors.browser.people import Signal
from meetbot.connectors.janus_videoroom import (
    AttendeeJoined,
    Feed,
    FeedGone,
    FeedsPublished,
    RoomDestroyed,
    TalkingChanged,
    parse_joined,
    parse_room_event,
)
from meetbot.domain.states import LeaveReason, SpeechSource, TrackKind


def admits(data: dict[str, Any]) -> bool:
    """The answer to the page's join: the bot is in the room."""
    return data.get("videoroom") == "joined"


def refusal(data: dict[str, Any]) -> str | None:
    """What Janus said when it refused a request (the join, before admission), else None."""
    return str(data.get("error", data["error_code"])) if "error_code" in data else None


class JanusTap:
    def __init__(self, own_name: str) -> None:
        self.own_name = own_name
        self.joined = False  # admitted: Janus said we are in
        self.own_id: int | None = None
        self.notifies_joining = False  # the room announces attendees (and unpublishing)

    def read(self, data: dict[str, Any], at: float) -> tuple[Change, ...]:
        """One signalling message from the page, posted at session time `at`."""
        if admits(data):
            joined = parse_joined(data)
            self.joined = True
            self.own_id = joined.id
            self.notifies_joining = joined.notifies_joining
            here = frozenset(f"janus:{f.id}" for f in (*joined.feeds, *joined.attendees))
            return (
                HereNow(here),
                *self._arrived(joined.attendees, attendees=True),
                *self._arrived(joined.feeds),
            )
        if refusal(data) is not None:
            return () if self.joined else (StayEnds(Signal.REFUSED),)
        if data.get("leaving") == "ok" and data.get("reason") == "kicked":
            return (StayEnds(Signal.REMOVED),)
        if self.own_id is not None and self.own_id in (data.get("kicked"), data.get("leaving")):
            return (StayEnds(Signal.REMOVED),)
        changes: list[Change] = []
        for event in parse_room_event(data):
            match event:
                case AttendeeJoined(attendee):
                    changes += self._arrived((attendee,), attendees=True)
                case FeedsPublished(feeds):
                    changes += self._arrived(feeds)
                case FeedGone(feed_id, LeaveReason.UNPUBLISHED) if self.notifies_joining:
                    changes.append(Unpublished(f"janus:{feed_id}"))
                case FeedGone(feed_id, reason):
                    changes.append(Left(f"janus:{feed_id}", reason))
                case TalkingChanged(feed_id, talking):
                    changes.append(Talking(f"janus:{feed_id}", talking, SpeechSource.PLATFORM, at))
                case RoomDestroyed():
                    closed = (EveryoneLeft(LeaveReason.LEFT), MeetingClosed())
                    return (*changes, *closed, StayEnds(Signal.ENDED))
        return tuple(changes)

    def _arrived(self, feeds: tuple[Feed, ...], *, attendees: bool = False) -> list[Change]:
        """Arrivals, except the bot itself (or another copy of it) and names not given yet;
        a feed publishes when it sends video, an attendee never."""
        return [
            Arrived(f"janus:{f.id}", f.display, not attendees and _sends_video(f))
            for f in feeds
            if f.display != self.own_name and f.display.strip()
        ]


def _sends_video(feed: Feed) -> bool:
    return any(s.kind is TrackKind.VIDEO and not s.disabled for s in feed.streams)
