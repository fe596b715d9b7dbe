"""The Janus VideoRoom as the bot sees it: wire types and the bot's room participant.

Wire types (Feed, FeedStream and the RoomEvent union) are parsed from Janus JSON here and
nowhere else; the connector maps them onto domain events.

The bot joins as a participant that never publishes: that gives it `publishers`,
`unpublished`, `leaving`, `talking` and `destroyed` events. In a room with `notify_joining`
Janus also names everyone who joins (`joining`; `attendees` in the join answer), publishing or
not, so `unpublished` means "camera and microphone off", not "gone": `leaving` says when they
go. Other rooms never tell the bot when a non-publisher arrives, so there `unpublished` is
taken as the end of their stay (verified against Janus 1.1.2, which sends `unpublished` twice
and, when the session just closes, `unpublished` then `leaving`). The media of each feed it
watches comes through a subscription of its own (meetbot.connectors.janus_feed).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from meetbot.connectors.janus_session import JanusHandle, JsonObject, plugin_data
from meetbot.domain.states import LeaveReason, TrackKind

NO_SUCH_ROOM = 426  # JANUS_VIDEOROOM_ERROR_NO_SUCH_ROOM
UNAUTHORIZED = 433  # JANUS_VIDEOROOM_ERROR_UNAUTHORIZED (wrong pin)
MISSING_ELEMENT = 429  # JANUS_VIDEOROOM_ERROR_MISSING_ELEMENT (e.g. no pin for a pinned room)


@dataclass(frozen=True, slots=True)
class FeedStream:
    mid: str
    kind: TrackKind
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Feed:
    """A participant in the room and what it publishes (nothing, for one that joined with
    camera and microphone off): Janus's participant id doubles as its feed id."""

    id: int
    display: str
    streams: tuple[FeedStream, ...] = ()


@dataclass(frozen=True, slots=True)
class AttendeeJoined:
    """Someone joined, publishing nothing yet (`joining`: rooms with notify_joining only)."""

    attendee: Feed


@dataclass(frozen=True, slots=True)
class FeedsPublished:
    feeds: tuple[Feed, ...]


@dataclass(frozen=True, slots=True)
class FeedGone:
    feed_id: int
    reason: LeaveReason


@dataclass(frozen=True, slots=True)
class TalkingChanged:
    feed_id: int
    talking: bool


@dataclass(frozen=True, slots=True)
class RoomDestroyed:
    room: int


RoomEvent = AttendeeJoined | FeedsPublished | FeedGone | TalkingChanged | RoomDestroyed


@dataclass(frozen=True, slots=True)
class Joined:
    """The answer to the bot's own join: who it is, who already publishes and, when the room
    has notify_joining (`notifies_joining`), who is there without publishing."""

    id: int
    private_id: int
    feeds: tuple[Feed, ...]
    attendees: tuple[Feed, ...] = ()  # in the room, publishing nothing
    notifies_joining: bool = False


def parse_feeds(items: Iterable[JsonObject]) -> tuple[Feed, ...]:
    feeds = []
    for item in items:
        if item.get("dummy"):
            continue  # placeholder publishers of rooms with dummy_publisher
        streams = tuple(
            FeedStream(str(s["mid"]), TrackKind(s["type"]), bool(s.get("disabled", False)))
            for s in item.get("streams", ())
            if s.get("type") in ("audio", "video")
        )
        feeds.append(Feed(int(item["id"]), str(item.get("display", "")), streams))
    return tuple(feeds)


def parse_attendee(item: JsonObject) -> Feed:
    return Feed(int(item["id"]), str(item.get("display", "")))


def parse_joined(data: JsonObject) -> Joined:
    """The plugin data of the `joined` answer. Janus 1.1.2 includes `attendees` (maybe empty)
    exactly when the room has notify_joining, so its presence is the setting itself."""
    attendees = data.get("attendees")
    return Joined(
        int(data["id"]),
        int(data["private_id"]),
        parse_feeds(data.get("publishers", ())),
        tuple(parse_attendee(item) for item in attendees or ()),
        notifies_joining=attendees is not None,
    )


def parse_room_event(data: JsonObject) -> list[RoomEvent]:
    """Room events in one VideoRoom `event` payload; unknown ones are ignored."""
    kind = data.get("videoroom")
    if kind in ("talking", "stopped-talking"):
        return [TalkingChanged(int(data["id"]), kind == "talking")]
    if kind == "destroyed":
        return [RoomDestroyed(int(data.get("room", 0)))]
    events: list[RoomEvent] = []
    if isinstance(data.get("joining"), dict):
        events.append(AttendeeJoined(parse_attendee(data["joining"])))
    if data.get("publishers"):
        events.append(FeedsPublished(parse_feeds(data["publishers"])))
    # "unpublished": "ok" / "leaving": "ok" answer our own requests; ids mean someone else.
    if isinstance(data.get("unpublished"), int):
        events.append(FeedGone(data["unpublished"], LeaveReason.UNPUBLISHED))
    if isinstance(data.get("leaving"), int):
        events.append(FeedGone(data["leaving"], LeaveReason.LEFT))
    if isinstance(data.get("kicked"), int):
        events.append(FeedGone(data["kicked"], LeaveReason.LEFT))
    return events


async def join_room(handle: JanusHandle, room: int, display: str, pin: str = "") -> Joined:
    """Join as a participant that never publishes. Raises JanusError (code 426, 433...)."""
    body: JsonObject = {"request": "join", "ptype": "publisher", "room": room, "display": display}
    if pin:
        body["pin"] = pin
    return parse_joined(plugin_data(await handle.message(body)))


async def room_events(handle: JanusHandle) -> AsyncIterator[RoomEvent]:
    """Room events for the bot's participant handle, until the session is lost."""
    async for msg in handle.events():
        if msg.get("janus") == "event":
            for event in parse_room_event(plugin_data(msg)):
                yield event


async def room_listing(handle: JanusHandle, room: int) -> JsonObject | None:
    """The room's public settings (None for a private room, which `list` hides)."""
    data = plugin_data(await handle.message({"request": "list"}))
    for item in data.get("list", ()):
        if item.get("room") == room:
            return dict(item)
    return None
