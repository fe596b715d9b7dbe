"""The Janus VideoRoom signalling a demo page exchanges, read as the room's comings and goings.

For profiles with Roster.JANUS (Janus's own demo clients): the page's `janus` messages, the
same signalling meetbot.connectors.janus reads, say who joined, published, unpublished, left
or talks, whether the bot was kicked, and when the room is destroyed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from meetbot.domain.events import MeetingEnded, ParticipantId, ParticipantLeft
from meetbot.domain.states import EndReason, LeaveReason, SpeechSource, TrackKind

if TYPE_CHECKING:
    from meetbot.connectors.browser.room import Room


async def read_janus(room: Room, data: dict[str, Any], posted_at: float) -> Signal | None:
    """One signalling message from the page, posted at session time `posted_at`: the domain
    events it means, or a Signal that ends the stay."""
    if data.get("videoroom") == "joined":
        joined = parse_joined(data)
        room.joined = True
        room.own_id = joined.id
        room.notifies_joining = joined.notifies_joining
        here = {ParticipantId(f"web:janus:{f.id}") for f in (*joined.feeds, *joined.attendees)}
        for gone in sorted(room.present - here):  # left while the bot was away
            room.present.discard(gone)
            await room.emit(ParticipantLeft(room.clock(), gone, LeaveReason.LOST))
        for attendee in joined.attendees:
            await _arrive(room, attendee, publishing=False)
        for feed in joined.feeds:
            await _arrive(room, feed, publishing=_sends_video(feed))
        return None
    if "error_code" in data:  # the join's refusal is worded by connector._join
        return Signal.REFUSED if not room.joined else None
    if data.get("leaving") == "ok" and data.get("reason") == "kicked":
        return Signal.REMOVED
    if room.own_id is not None and room.own_id in (data.get("kicked"), data.get("leaving")):
        return Signal.REMOVED
    for event in parse_room_event(data):
        match event:
            case AttendeeJoined(attendee):
                await _arrive(room, attendee, publishing=False)
            case FeedsPublished(feeds):
                for feed in feeds:
                    await _arrive(room, feed, publishing=_sends_video(feed))
            case FeedGone(feed_id, LeaveReason.UNPUBLISHED) if room.notifies_joining:
                person = room.people.get(f"janus:{feed_id}")
                if person is not None:
                    person.publishing = False
                    await room.end_tracks(person)
                    await room.quiet(person)
            case FeedGone(feed_id, reason):
                await room.leave(f"janus:{feed_id}", reason)
            case TalkingChanged(feed_id, talking):
                await room.talking(f"janus:{feed_id}", talking, SpeechSource.PLATFORM, posted_at)
            case RoomDestroyed():
                for key in list(room.people):
                    await room.leave(key, LeaveReason.LEFT)
                await room.emit(MeetingEnded(room.clock(), EndReason.ROOM_CLOSED))
                return Signal.ENDED
    return None


async def _arrive(room: Room, feed: Feed, *, publishing: bool) -> None:
    if feed.display == room.own_name or not feed.display.strip():
        return  # the bot itself (or another copy of it), or a name not given yet
    await room.arrive(f"janus:{feed.id}", feed.display, publishing=publishing)


def _sends_video(feed: Feed) -> bool:
    return any(s.kind is TrackKind.VIDEO and not s.disabled for s in feed.streams)
