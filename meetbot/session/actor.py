"""The actor: the one task that folds a live meeting's events, and the parts it talks to.

Producers only `emit` typed events into one bounded queue; the actor alone folds them (timeline,
opt-outs, speech), so there are no locks. Closed spans and the non-observation events are
checkpointed every `storage.checkpoint_s`, together with each open span cut at that moment, so a
crash loses at most one interval (`Store.recover` rebuilds the rest).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from meetbot.config.schema import Settings
from meetbot.connectors.base import Clock, Emit, TrackSink
from meetbot.domain.events import (
    Event,
    MeetingEnded,
    Observation,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
)
from meetbot.domain.header import SessionHeader
from meetbot.domain.names import Roster
from meetbot.domain.record import Span
from meetbot.domain.states import EndReason
from meetbot.domain.timeline import TimelineFolder
from meetbot.errors import StorageError
from meetbot.store import Store

log = logging.getLogger(__name__)


class Sampler(TrackSink, Protocol):
    """The media side as the actor sees it (meetbot.media's sampler has this shape)."""

    async def run(self, emit: Emit) -> None:
        """Sample every drained video track and emit Observations until cancelled."""
        ...

    def exclude(self, participant: ParticipantId) -> None:
        """Never analyse this connection again (an opted-out person)."""
        ...

    def speaking(self, participant: ParticipantId, speaking: bool) -> None:
        """Who talks: the detector learns a person's usual pose while they speak."""
        ...


class Observer(Protocol):
    """Something that watches the meeting go by, e.g. meetbot.terminal.progress.TerminalProgress."""

    def see(self, event: Event) -> None: ...

    def tick(self, now: float) -> None: ...


class Actor:
    """Folds events, remembers what the record needs, checkpoints. Runs in one task only."""

    def __init__(
        self,
        header: SessionHeader,
        settings: Settings,
        store: Store,
        clock: Clock,
        sampler: Sampler,
        observer: Observer | None,
    ) -> None:
        self.session_id = header.session_id
        self.roster = Roster.of(header.chapter)
        self.folder = TimelineFolder(settings.timeline)
        self.store = store
        self.clock = clock
        self.every = settings.storage.checkpoint_s
        self.sampler = sampler
        self.observer = observer
        self.spans: list[Span] = []
        self.events: list[Event] = []
        self.unsaved_spans: list[Span] = []
        self.unsaved_events: list[Event] = []
        self.excluded: set[ParticipantId] = set()
        self.since: dict[ParticipantId, float] = {}  # start of each connection's open span
        self.last_checkpoint = 0.0
        self.failing = False  # the last checkpoint failed: said once, not every interval
        self.end_at: float | None = None
        self.reason: EndReason | None = None

    async def run(self, queue: asyncio.Queue[Event], until: float | None, start: float) -> None:
        # Time is the events' own: the clock is read only while the queue is idle, so a burst
        # of queued events is checkpointed by when they happened, not by when they were read.
        now = self.last_checkpoint = start
        last_tick = float("-inf")
        while True:
            if until is not None and now >= until:
                self._end(until, EndReason.SCHEDULED)
            if self.end_at is not None:
                return
            if now - self.last_checkpoint >= self.every:
                await self.checkpoint(now)
            if self.observer is not None and now - last_tick >= 1.0:
                self.observer.tick(now)
                last_tick = now
            wait = self.last_checkpoint + self.every - now
            if until is not None:
                wait = min(wait, until - now)
            if self.observer is not None:
                wait = min(wait, 1.0)
            try:
                async with asyncio.timeout(max(wait, 0.0)):
                    event = await queue.get()
            except TimeoutError:
                now = max(now, self.clock())
                continue
            if until is not None and event.at >= until:
                now = until  # the event happened after the session was over
                continue
            self.apply(event)
            now = max(now, event.at)

    def drain(self, queue: asyncio.Queue[Event], until: float | None) -> None:
        """Fold what producers emitted before the end but the actor had not read yet."""
        while self.end_at is None and not queue.empty():
            event = queue.get_nowait()
            if until is None or event.at < until:
                self.apply(event)

    def apply(self, event: Event) -> None:
        match event:
            case ParticipantJoined(participant=pid, display_name=name):
                member = self.roster.match(name)
                if member is not None and member.opted_out:
                    # Never analysed; stored as the roster name only ("opted out" is all).
                    self.excluded.add(pid)
                    self.sampler.exclude(pid)
                    event = ParticipantJoined(event.at, pid, member.name)
            case Observation(participant=pid) if pid in self.excluded:
                return
            case SpeechChanged(participant=pid, speaking=speaking) if pid not in self.excluded:
                self.sampler.speaking(pid, speaking)
            case MeetingEnded(at=at, reason=reason):
                self._end(at, reason)
        if self.observer is not None:
            self.observer.see(event)
        if not isinstance(event, Observation):
            self.events.append(event)
            self.unsaved_events.append(event)
        if getattr(event, "participant", None) in self.excluded:
            return
        self._closed(self.folder.feed(event))
        if isinstance(event, ParticipantJoined):
            self.since.setdefault(event.participant, self.folder.now)
        elif isinstance(event, ParticipantLeft):
            self.since.pop(event.participant, None)

    def _closed(self, spans: list[Span]) -> None:
        for span in spans:
            self.since[span.participant] = max(self.since.get(span.participant, 0.0), span.end)
        self.spans += spans
        self.unsaved_spans += spans

    def _end(self, at: float, reason: EndReason) -> None:
        self.end_at, self.reason = at, reason

    async def checkpoint(self, now: float) -> None:
        states = self.folder.open_states()
        cut = [
            Span(pid, state, self.since[pid], now)
            for pid, state in sorted(states.items())
            if pid in self.since and now > self.since[pid]
        ]
        spans, events = self.unsaved_spans, self.unsaved_events
        self.unsaved_spans, self.unsaved_events = [], []
        try:
            await asyncio.to_thread(
                self.store.checkpoint, self.session_id, spans, events, at=now, open_spans=cut
            )
        except Exception as exc:
            # Keep them for the next try; a meeting is never stopped by a slow or full disk.
            self.unsaved_spans, self.unsaved_events = (
                spans + self.unsaved_spans,
                events + (self.unsaved_events),
            )
            if not self.failing:
                log.warning(
                    "checkpoint of session %s failed (%s); the meeting goes on and its "
                    "checkpoints are retried every %g s",
                    self.session_id,
                    exc,
                    self.every,
                    exc_info=not isinstance(exc, StorageError),
                )
            self.failing = True
        else:
            if self.failing:
                log.warning("checkpoints of session %s are saved again", self.session_id)
            self.failing = False
        self.last_checkpoint = now

    def close(self, at: float) -> None:
        self.end_at = at if self.end_at is None else self.end_at
        self._closed(self.folder.close(self.end_at))
