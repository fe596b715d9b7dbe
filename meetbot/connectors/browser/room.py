"""What the bot's page says, in domain events: who is here, whose picture is whose, who speaks.

One Room per stay of the browser in the meeting (from an admitted join to the page's loss).
It reads the page core's messages (tracks, frames, levels, tiles) and the profile's (the Janus
VideoRoom signalling, or the page's tiles and participant list) and tells the domain what
meetbot.connectors.janus tells it for the same room: ParticipantJoined/Left, TrackStarted/Ended,
SpeechChanged, MeetingEnded. Pictures go to the sink through one PictureTrack per person.

A person is "shown" while the bot has pictures of them. In tiles mode someone whose tile is off
the current gallery page gets an `unknown` reading at once and no pictures until their page
comes round again: unknown, never absent. Their sink track ends meanwhile, which the domain does
not hear of (TrackEnded would read as camera off).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from meetbot.config.schema import SamplingSettings
from meetbot.connectors.base import Clock, Emit, TrackSink
from meetbot.connectors.browser.people import Person, Signal
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
from meetbot.domain.events import (
    MeetingEnded,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
    TrackEnded,
    TrackStarted,
)
from meetbot.domain.states import EndReason, LeaveReason, SpeechSource, TrackKind
from meetbot.media.observation import unknown
from meetbot.media.picture_track import PictureTrack
from meetbot.media.speech_level import SpeechGate

log = logging.getLogger(__name__)

Message = dict[str, Any]


@dataclass(slots=True)
class Room:
    own_name: str
    sampling: SamplingSettings
    clock: Clock
    emit: Emit
    sink: TrackSink
    tiles_mode: bool
    present: set[ParticipantId]  # who the domain was last told is here; shared across stays
    dom_roster: bool = False  # the page's list and tiles say who is here (else the signalling)
    people: dict[str, Person] = field(default_factory=dict)
    gone: list[Person] = field(default_factory=list)  # who left, for the observed share
    owners: dict[tuple[int, str], str] = field(default_factory=dict)  # (pc, mid) -> person key
    named: dict[str, str] = field(default_factory=dict)  # track id -> person key (tiles' names)
    tracks: dict[str, tuple[int, str]] = field(default_factory=dict)  # track id -> (pc, mid)
    joined: bool = False  # admitted: the platform said we are in
    own_id: int | None = None  # the bot's own participant id, where the platform has one
    notifies_joining: bool = False
    refusal: str = ""
    frames: int = 0
    _ticked_at: float | None = None

    # --- the page's messages ---
    async def handle(self, message: Message) -> Signal | None:
        kind = message.get("type")
        if kind == "janus":
            return await self._janus(message["data"])
        if kind == "owners":
            pc = int(message["pc"])
            for mid, feed in dict(message["mids"]).items():
                if feed is None:
                    self.owners.pop((pc, str(mid)), None)
                else:
                    self.owners[(pc, str(mid))] = f"janus:{feed}"
        elif kind == "track":
            if message.get("kind") == "video" or message.get("kind") == "audio":
                self.tracks[str(message["id"])] = (int(message["pc"]), str(message["mid"]))
        elif kind == "track_ended":
            self.tracks.pop(str(message["id"]), None)
        elif kind == "levels":
            await self._levels(message["levels"])
        elif kind == "tiles":
            await self._on_screen({str(t["name"]) for t in message["tiles"]})
        elif kind == "dom":
            return await self._dom(message)
        elif kind == "log":
            log.debug("page: %s", message.get("message"))
        return None

    async def picture(self, track_id: str, picture: npt.NDArray[np.uint8], at_ms: float) -> None:
        """A sampled picture from the page: to the person it shows, if we know who."""
        person = self._whose(track_id)
        if person is None or not person.publishing:
            return
        if person.track is None:
            person.track = PictureTrack()
            await self.sink.track_started(person.pid, TrackKind.VIDEO, person.track)
            if not person.started:
                person.started = True
                await self.emit(TrackStarted(self.clock(), person.pid, TrackKind.VIDEO))
        person.track.offer(picture, at_ms, bgr=True)
        self.frames += 1

    def _whose(self, track_id: str) -> Person | None:
        if track_id.startswith("tile:"):
            return self._by_name(track_id.removeprefix("tile:"))
        key = self.named.get(track_id)
        where = self.tracks.get(track_id)
        if where is not None and where in self.owners:
            key = self.owners[where]
        return self.people.get(key) if key is not None else None

    def _by_name(self, name: str) -> Person | None:
        for person in self.people.values():
            if person.name == name:
                return person
        return None

    # --- Janus VideoRoom signalling (profiles with Roster.JANUS) ---
    async def _janus(self, data: Message) -> Signal | None:
        if data.get("videoroom") == "joined":
            joined = parse_joined(data)
            self.joined = True
            self.own_id = joined.id
            self.notifies_joining = joined.notifies_joining
            here = {ParticipantId(f"web:janus:{f.id}") for f in (*joined.feeds, *joined.attendees)}
            for gone in sorted(self.present - here):  # left while the bot was away
                self.present.discard(gone)
                await self.emit(ParticipantLeft(self.clock(), gone, LeaveReason.LOST))
            for attendee in joined.attendees:
                await self._arrive(attendee, publishing=False)
            for feed in joined.feeds:
                await self._arrive(feed, publishing=_sends_video(feed))
            return None
        if "error_code" in data:
            self.refusal = str(data.get("error", data["error_code"]))
            return Signal.REFUSED if not self.joined else None
        if data.get("leaving") == "ok" and data.get("reason") == "kicked":
            return Signal.REMOVED
        if self.own_id is not None and self.own_id in (data.get("kicked"), data.get("leaving")):
            return Signal.REMOVED
        for event in parse_room_event(data):
            match event:
                case AttendeeJoined(attendee):
                    await self._arrive(attendee, publishing=False)
                case FeedsPublished(feeds):
                    for feed in feeds:
                        await self._arrive(feed, publishing=_sends_video(feed))
                case FeedGone(feed_id, LeaveReason.UNPUBLISHED) if self.notifies_joining:
                    person = self.people.get(f"janus:{feed_id}")
                    if person is not None:
                        person.publishing = False
                        await self._end_tracks(person)
                        await self._quiet(person)
                case FeedGone(feed_id, reason):
                    await self._leave(f"janus:{feed_id}", reason)
                case TalkingChanged(feed_id, talking):
                    await self._talking(f"janus:{feed_id}", talking, SpeechSource.PLATFORM)
                case RoomDestroyed():
                    for key in list(self.people):
                        await self._leave(key, LeaveReason.LEFT)
                    await self.emit(MeetingEnded(self.clock(), EndReason.ROOM_CLOSED))
                    return Signal.ENDED
        return None

    async def _arrive(self, feed: Feed, *, publishing: bool) -> None:
        if feed.display == self.own_name or not feed.display.strip():
            return  # the bot itself (or another copy of it), or a name not given yet
        key = f"janus:{feed.id}"
        person = self.people.get(key)
        if person is None:
            person = self.people[key] = Person(key, feed.display, publishing)
            self.present.add(person.pid)
            await self.emit(ParticipantJoined(self.clock(), person.pid, feed.display))
        person.publishing = publishing or person.publishing

    async def _leave(self, key: str, reason: LeaveReason) -> None:
        person = self.people.pop(key, None)
        if person is None:
            return
        self.gone.append(person)
        await self._end_tracks(person)
        await self._quiet(person)
        self.present.discard(person.pid)
        await self.emit(ParticipantLeft(self.clock(), person.pid, reason))

    async def _end_tracks(self, person: Person) -> None:
        await self._hide(person)
        if person.started:
            person.started = False
            await self.emit(TrackEnded(self.clock(), person.pid, TrackKind.VIDEO))

    async def _hide(self, person: Person) -> None:
        """Stop their pictures at the sink; the domain is not told (not camera off)."""
        if person.track is not None:
            person.track.stop()
            person.track = None
            await self.sink.track_ended(person.pid, TrackKind.VIDEO)

    async def _quiet(self, person: Person) -> None:
        if person.talking:
            person.talking = False
            await self.emit(SpeechChanged(self.clock(), person.pid, False))

    async def _talking(self, key: str, talking: bool, source: SpeechSource) -> None:
        person = self.people.get(key)
        if person is None or person.talking == talking:
            return
        person.talking = talking
        await self.emit(SpeechChanged(self.clock(), person.pid, talking, source))

    # --- audio levels: the speech fallback (sampling.speech_from_audio) ---
    async def _levels(self, levels: list[list[Any]]) -> None:
        if not self.sampling.speech_from_audio:
            return
        at = self.clock()
        for track_id, level in levels:
            person = self._whose(str(track_id))
            if person is None:
                continue
            if person.gate is None:
                person.gate = SpeechGate(self.sampling)
            db = 20 * math.log10(level) if level and level > 0 else -127.0
            flip = person.gate.feed(at, db)
            if flip is not None and person.talking != flip[1]:
                person.talking = flip[1]
                await self.emit(
                    SpeechChanged(flip[0], person.pid, flip[1], SpeechSource.AUDIO_LEVEL)
                )

    # --- pages read from their DOM (profiles with Roster.DOM, and tiles' names) ---
    async def _dom(self, message: Message) -> Signal | None:
        if message.get("removed"):
            return Signal.REMOVED
        if message.get("ended"):
            return Signal.ENDED
        for track_id, name in dict(message.get("owners") or {}).items():
            person = self._by_name(str(name))
            if person is not None:
                self.named[str(track_id)] = person.key
        if not self.dom_roster:
            return None  # the signalling knows the roster and the speakers better
        roster = message.get("roster")
        names = set(roster if roster is not None else message.get("tiles") or ())
        self.joined = True
        for name in sorted(names - {self.own_name}):
            if self._by_name(name) is None:
                person = self.people[f"name:{name}"] = Person(f"name:{name}", name)
                self.present.add(person.pid)
                await self.emit(ParticipantJoined(self.clock(), person.pid, name))
        if roster is not None:  # tiles alone cannot tell leaving from paging
            for key, person in list(self.people.items()):
                if person.name not in names:
                    await self._leave(key, LeaveReason.LEFT)
        speaking = message.get("speaking")
        if speaking is not None:
            for key, person in list(self.people.items()):
                await self._talking(key, person.name in speaking, SpeechSource.PLATFORM)
        return None

    async def _on_screen(self, names: set[str]) -> None:
        """Tiles mode: who the gallery shows now. Anyone else is unknown until shown again."""
        at = self.clock()
        step = 0.0 if self._ticked_at is None else min(at - self._ticked_at, 5.0)
        self._ticked_at = at
        for person in list(self.people.values()):
            person.present_s += step
            if person.name in names:
                person.on_screen_s += step
            elif person.track is not None:
                await self._hide(person)
                await self.emit(unknown(person.pid, at, "off_screen", unseen=True))

    def observed_share(self) -> dict[str, float]:
        """Tiles mode: each person's share of their time in the meeting they were on screen
        (those who left included)."""
        everyone = [*self.gone, *self.people.values()]
        return {p.name: (p.on_screen_s / p.present_s if p.present_s else 0.0) for p in everyone}

    async def close(self) -> None:
        """The stay is over (page lost or left): every sink track ends, silently."""
        for person in self.people.values():
            await self._hide(person)


def _sends_video(feed: Feed) -> bool:
    return any(s.kind is TrackKind.VIDEO and not s.disabled for s in feed.streams)
