"""What the bot's page says, in domain events: who is here, whose picture is whose, who speaks.

One Room per stay of the browser in the meeting (from an admitted join to the page's loss).
It reads the page core's messages (tracks, frames, levels, tiles) and the profile's, each typed
by meetbot.connectors.browser.wire (one that does not fit is dropped there). Readers translate
the profile's into changes (meetbot.connectors.browser.changes: the Janus VideoRoom signalling
in janus_tap, the page's tiles and participant list in dom_reader) and `apply` is the one place
they change the room. It tells the domain what meetbot.connectors.janus tells it for the same room:
ParticipantJoined/Left, TrackStarted/Ended, SpeechChanged, MeetingEnded. Pictures go to the
sink through one PictureTrack per person.

A person is "shown" while the bot has pictures of them. In tiles mode someone whose tile is off
the current gallery page gets an `unseen` reading at once (unknown from that moment, never
absent) and no pictures until their page comes round again. Their sink track ends meanwhile,
which the domain does not hear of (TrackEnded would read as camera off).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from meetbot.config.schema import SamplingSettings
from meetbot.connectors.base import Clock, Emit, TrackSink
from meetbot.connectors.browser import wire
from meetbot.connectors.browser.changes import (
    Arrived,
    Change,
    EveryoneLeft,
    Gallery,
    HereNow,
    Left,
    MeetingClosed,
    Named,
    StayEnds,
    Talking,
    Unpublished,
)
from meetbot.connectors.browser.dom_reader import DomReader, ScreenTime
from meetbot.connectors.browser.janus_tap import JanusTap
from meetbot.connectors.browser.people import Person, Signal, pid_of
from meetbot.connectors.browser.valve import Command, PageValve
from meetbot.connectors.picture_track import PictureTrack
from meetbot.domain.events import (
    MeetingEnded,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
    TrackEnded,
    TrackStarted,
    unknown,
)
from meetbot.domain.speech_gate import SpeechGate
from meetbot.domain.states import EndReason, LeaveReason, SpeechSource, TrackKind

log = logging.getLogger(__name__)

# The page stamps each message as it posts it (core.js `sent`: its epoch milliseconds, the same
# wall clock as ours). On a busy machine a message can wait a second or more in Playwright's
# pipe and this loop before it is read, a different wait each time; speech stamped on reading
# would move each turn's start by its own wait (the aiortc connector reads the same signalling
# at once). A longer wait is not believed: a clock step or a page frozen mid-post.
LONGEST_WAIT_S = 10.0


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
    tracks: dict[str, tuple[int, str | None]] = field(default_factory=dict)  # id -> (pc, mid)
    command: Command | None = None  # to the page: pause/resume pictures (tracks mode, socket)
    janus: JanusTap = field(init=False)
    dom: DomReader = field(init=False)
    screen: ScreenTime = field(init=False)

    def __post_init__(self) -> None:
        self.janus = JanusTap(self.own_name)
        self.dom = DomReader(self.own_name, roster=self.dom_roster)
        self.screen = ScreenTime()

    # --- the page's messages ---
    def posted_at(self, message: wire.Posted) -> float:
        """Session time when the page posted `message` (now, when it does not say)."""
        now = self.clock()
        if message.sent is None:
            return now
        waited = time.time() - message.sent / 1000
        return now - min(max(waited, 0.0), LONGEST_WAIT_S)

    async def handle(self, raw: Mapping[str, Any]) -> Signal | None:
        """One JSON message from the page: a Signal that ends the stay, or None."""
        match wire.parse(raw):
            case wire.Janus(data) as message:
                return await self.apply(self.janus.read(data, self.posted_at(message)))
            case wire.Owners(pc, mids):
                for mid, feed in mids.items():
                    if feed is None:
                        self.owners.pop((pc, mid), None)
                    else:
                        self.owners[(pc, mid)] = f"janus:{feed}"
            case wire.Track(track_id, _, pc, mid):
                self.tracks[track_id] = (pc, mid)
            case wire.TrackEnded(track_id):
                self.tracks.pop(track_id, None)
            case wire.Levels(levels) as message:
                await self._levels(levels, self.posted_at(message))
            case wire.Tiles(tiles):
                await self.apply(
                    (self.screen.shown(frozenset(t.name for t in tiles), self.clock()),)
                )
            case wire.Dom() as message:
                here = {key: person.name for key, person in self.people.items()}
                return await self.apply(self.dom.read(message, here, self.posted_at(message)))
            case wire.Log(text):
                log.debug("page: %s", text)
            case wire.JanusSession(janus, error):
                # the page's client reconnects or fails on its own; its signalling says the rest
                log.info("the page's Janus session said %s (%s)", janus, error)
            case wire.TrackMuted() | wire.Connection() | wire.JanusJoin() | None:
                pass  # see wire.py for why each is not read; None: dropped there
        return None

    async def apply(self, changes: Iterable[Change]) -> Signal | None:
        """What a reader said changed, in order: the one place people come, go, talk and are
        shown (the domain is told, the sink's tracks follow). A StayEnds is last and returned."""
        for change in changes:
            match change:
                case Arrived(key, name, publishing):
                    await self._arrive(key, name, publishing=publishing)
                case Left(key, reason):
                    await self._leave(key, reason)
                case EveryoneLeft(reason):
                    for key in list(self.people):
                        await self._leave(key, reason)
                case HereNow(keys):
                    here = {pid_of(key) for key in keys}
                    for gone in sorted(self.present - here):  # left while the bot was away
                        self.present.discard(gone)
                        await self.emit(ParticipantLeft(self.clock(), gone, LeaveReason.LOST))
                case Unpublished(key) if (person := self.people.get(key)) is not None:
                    person.publishing = False
                    await self._end_tracks(person)
                    await self._quiet(person)
                case Talking(key, talking, source, at):
                    await self._talking(key, talking, source, at)
                case Named(track_id, name) if (person := self.by_name(name)) is not None:
                    self.named[track_id] = person.key
                case Gallery(names, step_s, at):
                    await self._gallery(names, step_s, at)
                case MeetingClosed():
                    await self.emit(MeetingEnded(self.clock(), EndReason.ROOM_CLOSED))
                case StayEnds(signal):
                    return signal
        return None

    async def picture(self, track_id: str, picture: npt.NDArray[np.uint8], at_ms: float) -> None:
        """A sampled picture from the page: to the person it shows, if we know who."""
        person = self._whose(track_id)
        if person is None or not person.publishing:
            return
        if person.track is None:
            person.track = PictureTrack()
            valve = None
            if self.command is not None and not self.tiles_mode:
                valve = PageValve(self.command, lambda: self._ids_of(person))
            await self.sink.track_started(person.pid, TrackKind.VIDEO, person.track, valve)
            if not person.started:
                person.started = True
                await self.emit(TrackStarted(self.clock(), person.pid, TrackKind.VIDEO))
        person.track.offer(picture, at_ms, bgr=True)

    def _ids_of(self, person: Person) -> list[str]:
        """The page's tracks that show `person` now."""
        return sorted(t for t in {*self.tracks, *self.named} if self._whose(t) is person)

    def _whose(self, track_id: str) -> Person | None:
        if track_id.startswith("tile:"):
            return self.by_name(track_id.removeprefix("tile:"))
        key = self.named.get(track_id)
        where = self.tracks.get(track_id)
        if where is not None and where in self.owners:
            key = self.owners[where]
        return self.people.get(key) if key is not None else None

    def by_name(self, name: str) -> Person | None:
        for person in self.people.values():
            if person.name == name:
                return person
        return None

    # --- comings and goings, as the signalling or the page tell them ---
    async def _arrive(self, key: str, name: str, *, publishing: bool = True) -> None:
        """`name` is here under the platform's handle `key` (told to the domain once)."""
        person = self.people.get(key)
        if person is None:
            person = self.people[key] = Person(key, name, publishing)
            self.present.add(person.pid)
            await self.emit(ParticipantJoined(self.clock(), person.pid, name))
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
            person.spoke_at = max(self.clock(), person.spoke_at)
            await self.emit(SpeechChanged(person.spoke_at, person.pid, False))

    async def _talking(self, key: str, talking: bool, source: SpeechSource, at: float) -> None:
        """`key` starts or stops talking at `at` (when the page heard it; see posted_at)."""
        person = self.people.get(key)
        if person is None or person.talking == talking:
            return
        person.talking = talking
        person.spoke_at = max(at, person.spoke_at)  # never before their last change
        await self.emit(SpeechChanged(person.spoke_at, person.pid, talking, source))

    # --- audio levels: the speech fallback (sampling.speech_from_audio) ---
    async def _levels(self, levels: tuple[tuple[str, float], ...], at: float) -> None:
        if not self.sampling.speech_from_audio:
            return
        for track_id, level in levels:
            person = self._whose(track_id)
            if person is None:
                continue
            if person.gate is None:
                person.gate = SpeechGate(self.sampling)
            db = 20 * math.log10(level) if level > 0 else -127.0
            flip = person.gate.feed(at, db)
            if flip is not None:
                await self._talking(person.key, flip[1], SpeechSource.AUDIO_LEVEL, flip[0])

    async def _gallery(self, names: frozenset[str], step_s: float, at: float) -> None:
        """Tiles mode: who the gallery shows now. Anyone else is unknown until shown again."""
        for person in list(self.people.values()):
            person.present_s += step_s
            if person.name in names:
                person.on_screen_s += step_s
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
