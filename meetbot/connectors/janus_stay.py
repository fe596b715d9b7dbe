"""One stay of the bot in a Janus room, from a successful join to the loss of the session.

A Stay follows the room's events: each feed gets its own task in the stay's TaskGroup that
owns its subscription, hands its tracks to the sink and reports how the feed ended (unpublished
or left). When the session is lost the feeds end silently: the connector has already said
ConnectionLost, and the gap is unknown, not absence.

When only the bot's own subscription to a feed fails (its connection fails or closes, Janus hangs
it up, subscribing is refused) while the session is fine, the fault is the bot's link, not the
person's: they stay present, the sink's tracks end, and the feed is subscribed again with capped
exponential backoff for as long as Janus lists them as publishing (until `unpublished`,
`leaving` or the session's loss; in a room with notify_joining no event would ever bring them
back). The domain hears no TrackEnded for such a gap, because TrackEnded(video) reads as
"camera off": their readings stop, so the timeline holds their last state until it is
`stale_after_s` old and says `unknown` from then, never camera off; the new subscription's
TrackStarted and readings end the gap.

In a room with notify_joining everyone is a participant from `joining` (or the join answer's
`attendees`) to `leaving`, publishing or not: someone with camera and microphone off is present,
and `unpublished` ends only their tracks (the domain then says camera off). Elsewhere a
participant is known only while publishing, and `unpublished` is their ParticipantLeft.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from aiortc.mediastreams import MediaStreamTrack

from meetbot.config.schema import MeetingSettings
from meetbot.connectors.base import Clock, Emit, TrackSink, Valve
from meetbot.connectors.janus_feed import FeedSubscription
from meetbot.connectors.janus_session import JanusHandle, JanusSession
from meetbot.connectors.janus_videoroom import (
    AttendeeJoined,
    Feed,
    FeedGone,
    FeedsPublished,
    Joined,
    RoomDestroyed,
    TalkingChanged,
    room_events,
)
from meetbot.domain.events import (
    ConnectionLost,
    MeetingEnded,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
    TrackEnded,
    TrackStarted,
)
from meetbot.domain.states import EndReason, LeaveReason, TrackKind
from meetbot.errors import ConnectError

log = logging.getLogger(__name__)

# Wait before the first re-subscription after a broken link; it doubles with each failure, up
# to meeting.reconnect_max_backoff_s.
FIRST_BACKOFF_S = 0.5


def participant_id(feed_id: int) -> ParticipantId:
    return ParticipantId(f"janus:{feed_id}")


@dataclass(slots=True)
class Watched:
    """A participant the bot knows is here, and the task following their feed while they
    publish what the bot wants. `exit` says how the feed's end is reported: None silently,
    (at, reason) as a leave, (at, None) as the end of their tracks while they stay. `shown`
    holds the kinds the domain was told started and not yet ended (a re-subscription keeps
    them)."""

    feed: Feed
    task: asyncio.Task[None] | None = None
    talking: bool = False
    exit: tuple[float, LeaveReason | None] | None = None
    shown: set[TrackKind] = field(default_factory=set)


@dataclass(slots=True)
class Stay:
    session: JanusSession
    control: JanusHandle
    joined: Joined
    settings: MeetingSettings
    clock: Clock
    kinds: frozenset[TrackKind]
    present: set[ParticipantId]  # who the domain was last told is here; shared across stays
    watched: dict[int, Watched] = field(default_factory=dict)

    async def attend(self, emit: Emit, sink: TrackSink) -> bool:
        """Follow the room until the session is lost (False) or the room is destroyed (True)."""
        at = self.clock()
        joined = self.joined
        ids = [feed.id for feed in joined.feeds] + [person.id for person in joined.attendees]
        here = {participant_id(feed_id) for feed_id in ids}
        for gone in sorted(self.present - here):  # left while we were away
            self.present.discard(gone)
            await emit(ParticipantLeft(at, gone, LeaveReason.LOST))
        async with asyncio.TaskGroup() as group:
            try:
                for attendee in joined.attendees:
                    await self._attend(attendee, emit)
                await self._publish(group, joined.feeds, emit, sink)
                async for event in room_events(self.control):
                    log.debug("room event at %.2f: %s", self.clock(), event)
                    match event:
                        case AttendeeJoined(attendee):
                            await self._attend(attendee, emit)
                        case FeedsPublished(feeds):
                            await self._publish(group, feeds, emit, sink)
                        case FeedGone(feed_id, LeaveReason.UNPUBLISHED) if joined.notifies_joining:
                            await self._drop(feed_id, self.clock(), None, emit)
                        case FeedGone(feed_id, reason):
                            await self._drop(feed_id, self.clock(), reason, emit)
                        case TalkingChanged(feed_id, talking):
                            await self._talking(feed_id, talking, emit)
                        case RoomDestroyed():
                            at = self.clock()
                            for feed_id in list(self.watched):
                                await self._drop(feed_id, at, LeaveReason.LEFT, emit)
                            await emit(MeetingEnded(at, EndReason.ROOM_CLOSED))
                            return True
                await emit(ConnectionLost(self.clock(), self.session.lost_reason))
                return False
            finally:
                for watched in self.watched.values():
                    if watched.task is not None:
                        watched.task.cancel()  # exit stays None: tracks end without events

    async def _attend(self, attendee: Feed, emit: Emit) -> None:
        """Someone joined without publishing (yet)."""
        if attendee.display == self.settings.display_name:
            # Another copy of the bot, which never publishes: not a person. (Janus never
            # announces our own join to us.)
            log.info("not counting attendee %s: it has the bot's own name", attendee.id)
            return
        if not attendee.display.strip():
            # Some clients name themselves only when they publish, and the domain keeps the
            # first name it hears: wait for the `publishers` event, as rooms without
            # notify_joining always did (Janus tells nobody when a non-publisher renames).
            log.info("attendee %s has no name yet: counted once they publish", attendee.id)
            return
        await self._arrive(attendee, emit)

    async def _arrive(self, feed: Feed, emit: Emit) -> Watched:
        """Someone is in the room, publishing or not: join them once."""
        watched = self.watched.get(feed.id)
        if watched is None:
            watched = self.watched[feed.id] = Watched(feed)
            pid = participant_id(feed.id)
            self.present.add(pid)
            await emit(ParticipantJoined(self.clock(), pid, feed.display))
        return watched

    async def _publish(
        self,
        group: asyncio.TaskGroup,
        feeds: tuple[Feed, ...],
        emit: Emit,
        sink: TrackSink,
    ) -> None:
        for feed in feeds:
            watched = await self._arrive(feed, emit)
            watched.feed = feed  # a stream update: the next (re-)subscription asks for these
            if watched.task is None and self._wanted(feed):
                watched.task = group.create_task(self._follow(watched, emit, sink))

    def _wanted(self, feed: Feed) -> bool:
        return any(s.kind in self.kinds and not s.disabled for s in feed.streams)

    async def _follow(self, watched: Watched, emit: Emit, sink: TrackSink) -> None:
        """Keep the feed subscribed until it is dropped; report its end as `watched.exit` says."""
        pid = participant_id(watched.feed.id)
        backoff = FIRST_BACKOFF_S
        try:
            while self._wanted(watched.feed):
                try:
                    if await self._subscribe(watched, emit, sink):
                        backoff = FIRST_BACKOFF_S  # Janus took it: a later fault starts afresh
                except ConnectError as exc:
                    if not self.session.lost.is_set():
                        log.warning(
                            "cannot subscribe to %s (%s): %s", pid, watched.feed.display, exc
                        )
                if self.session.lost.is_set():
                    return  # the stay ends and cancels us; the gap is everyone's, not theirs
                log.info("subscribing to %s again in %.1f s", pid, backoff)
                # Backoff between attempts: there is nothing to wait on but time. `unpublished`
                # or `leaving` (via _drop) and the session's loss cancel the wait.
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.settings.reconnect_max_backoff_s)
        except Exception:
            # One participant's broken stream (an SDP aiortc rejects, a codec it lacks) must not
            # end the meeting for everyone, and would fail the same way again: they stay
            # joined, their video is simply not judged, until Janus says they went.
            log.exception("subscription to %s (%s) failed", pid, watched.feed.display)
        finally:
            watched.task = None
            if watched.exit is not None:
                at, reason = watched.exit
                watched.exit = None
                await self._end(watched, at, reason, emit)

    async def _subscribe(self, watched: Watched, emit: Emit, sink: TrackSink) -> bool:
        """One subscription to the feed, until its connection fails; its tracks end with it
        at the sink (the domain hears only of new ones). True if it gave any track."""
        pid = participant_id(watched.feed.id)
        started: list[TrackKind] = []

        async def track_started(
            kind: TrackKind, track: MediaStreamTrack, valve: Valve | None
        ) -> None:
            await sink.track_started(pid, kind, track, valve)  # the sink drains it at once
            started.append(kind)
            watched.shown.add(kind)
            await emit(TrackStarted(self.clock(), pid, kind))

        try:
            async with FeedSubscription(
                self.session,
                room=self.settings.room,
                private_id=self.joined.private_id,
                feed=watched.feed,
                kinds=self.kinds,
                ice_servers=self.settings.ice_servers,
                pin=self.settings.pin,
                on_track=track_started,
            ) as subscription:
                why = await subscription.watch()
            if not self.session.lost.is_set():
                log.info("subscription to %s (%s) broke: %s", pid, watched.feed.display, why)
            return bool(started)
        finally:
            for kind in started:
                await sink.track_ended(pid, kind)

    async def _drop(self, feed_id: int, at: float, reason: LeaveReason | None, emit: Emit) -> None:
        """End a participant's feed; with a reason they leave too, without one they stay."""
        watched = self.watched.get(feed_id)
        if watched is None:
            return  # already gone (e.g. `unpublished` then `leaving`)
        if watched.task is None:
            await self._end(watched, at, reason, emit)  # nothing followed (any more)
            return
        watched.exit = (at, reason)
        watched.task.cancel()
        # Wait for the feed to finish reporting, so a re-publish under the same id comes after.
        await asyncio.wait([watched.task])

    async def _end(
        self, watched: Watched, at: float, reason: LeaveReason | None, emit: Emit
    ) -> None:
        """Their feed is gone: the tracks the domain knows of end; with a reason they leave."""
        pid = participant_id(watched.feed.id)
        for kind in sorted(watched.shown):
            await emit(TrackEnded(at, pid, kind))
        watched.shown.clear()
        if reason is None:
            await self._quiet(watched, at, emit)
        else:
            await self._leave(watched, at, reason, emit)

    async def _quiet(self, watched: Watched, at: float, emit: Emit) -> None:
        """Their microphone went with their feed: they stop speaking, and stay."""
        if watched.talking:
            watched.talking = False
            await emit(SpeechChanged(at, participant_id(watched.feed.id), False))

    async def _leave(self, watched: Watched, at: float, reason: LeaveReason, emit: Emit) -> None:
        if self.watched.get(watched.feed.id) is watched:
            del self.watched[watched.feed.id]
        await self._quiet(watched, at, emit)
        pid = participant_id(watched.feed.id)
        self.present.discard(pid)
        await emit(ParticipantLeft(at, pid, reason))

    async def _talking(self, feed_id: int, talking: bool, emit: Emit) -> None:
        watched = self.watched.get(feed_id)
        if watched is None or watched.talking == talking:
            return
        watched.talking = talking
        await emit(SpeechChanged(self.clock(), participant_id(feed_id), talking))
