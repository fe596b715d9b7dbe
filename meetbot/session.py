"""The session actor: the single owner of a live meeting's state.

    record = await run_session(connector, sampler, settings=settings, store=store, clock=clock)

One TaskGroup holds the connector (joins, leaves, speech, tracks), the sampler's own tasks
(observations) and the actor. Producers only `emit` typed events into ONE bounded queue; the
actor alone folds them, so there are no locks. Closed spans and the non-observation events are
checkpointed every `storage.checkpoint_s`, together with each open span cut at that moment, so a
crash loses at most one interval (`Store.recover` rebuilds the rest).

However the meeting ends — MeetingEnded, `until`, `stop` (Ctrl-C, see
meetbot.terminal.interrupt) or a failing edge — the record is assembled from what was folded and
saved BEFORE the caller publishes anything. `stop` ends the meeting like any other end: the record
is returned. Any other cancellation (a caller's timeout, a failing sibling task) saves the record
too, then propagates: the caller asked to stop waiting, not for a result. A meeting the bot was
never admitted to (the connector's `admitted` unset when it ended) stores nothing: NeverJoined,
or StoppedWhileJoining when `until` or `stop` ended it first.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from meetbot.config.schema import Settings
from meetbot.connectors.base import Clock, Connector, Emit, TrackSink
from meetbot.domain.assemble import assemble
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
from meetbot.domain.names import Roster, with_opt_outs
from meetbot.domain.record import SessionRecord, Span
from meetbot.domain.states import EndReason, LeaveReason
from meetbot.domain.timeline import TimelineFolder
from meetbot.errors import NeverJoined, StoppedWhileJoining, StorageError
from meetbot.store import Earlier, Store

log = logging.getLogger(__name__)

QUEUE_SIZE = 2048  # a few seconds of a 60-person meeting at 2 fps: backpressure, not loss


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


def new_session_id(started_at: datetime) -> str:
    """Sortable by start, unique even for two sessions started in the same second."""
    return f"{started_at.astimezone(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


class _Actor:
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


async def run_session(
    connector: Connector,
    sampler: Sampler,
    *,
    settings: Settings,
    store: Store,
    clock: Clock,
    session_id: str | None = None,
    until: float | None = None,
    stop: asyncio.Event | None = None,
    observer: Observer | None = None,
    earlier: Earlier | None = None,
) -> SessionRecord:
    """Watch one meeting until it ends (or `stop` is set); return its record, saved in `store`.

    Cancelled, it saves the record of what was folded so far and re-raises CancelledError.
    With `earlier` (Store.reopen) this continues a session another process began: its spans
    and events stay, `clock` must count from its start, and the gap reads unknown.
    """
    started_at: datetime = getattr(clock, "started_at", None) or datetime.now(UTC)
    opted_out = await asyncio.to_thread(store.opted_out, settings.chapter.name)
    if earlier is not None:
        session_id, started_at = earlier.session_id, earlier.started_at
        if earlier.settings is not None:
            # Folded and judged on with the tunables it was begun with, not this worker's.
            d = earlier.settings
            settings = dataclasses.replace(
                settings,
                timeline=d.timeline,
                turns=d.turns,
                attendance=d.attendance,
                scoring=d.scoring,
            )
    header = SessionHeader(
        session_id=session_id or new_session_id(started_at),
        chapter=with_opt_outs(settings.to_chapter(), opted_out),
        started_at=started_at,
        platform=settings.meeting.platform,
        room=str(settings.meeting.room),
    )
    if earlier is None:
        await asyncio.to_thread(store.begin, header, settings.domain())
    actor = _Actor(header, settings, store, clock, sampler, observer)
    if earlier is not None:
        actor.spans, actor.events = list(earlier.spans), list(earlier.events)
    queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_SIZE)
    start = clock()
    emit: Emit = queue.put
    failure: BaseException | None = None
    notes: list[str] = []
    if earlier is not None:
        notes.append(
            f"continued by another worker at {start:.0f} s; from {earlier.saved_until:.0f} s "
            "until then nothing was seen (unknown)"
        )

    async def meeting() -> None:
        await connector.run(emit, sampler)
        # The connector only returns when the room is gone; say so if it did not.
        await emit(MeetingEnded(clock(), EndReason.ROOM_CLOSED))

    async def stopped(stop: asyncio.Event) -> None:
        # Queued behind everything emitted before it, so all of that is folded first.
        await stop.wait()
        await emit(MeetingEnded(clock(), EndReason.INTERRUPTED))

    admitted = False  # was the bot in the meeting when the actor ended it?

    async def actor_then_stop(producers: list[asyncio.Task[None]]) -> None:
        nonlocal admitted
        await actor.run(queue, until, start)
        admitted = connector.admitted.is_set()
        for task in producers:
            task.cancel()

    try:
        try:
            async with asyncio.TaskGroup() as tg:
                producers = [tg.create_task(meeting()), tg.create_task(sampler.run(emit))]
                if stop is not None:
                    producers.append(tg.create_task(stopped(stop)))
                tg.create_task(actor_then_stop(producers))
        except* Exception as group:
            failure = group.exceptions[0] if len(group.exceptions) == 1 else group
            notes.append(f"ended by an error: {failure}")
            actor.reason = EndReason.ERROR
    except asyncio.CancelledError:
        if earlier is None and not connector.admitted.is_set():
            # Cancelled before the bot got in: nothing to keep (see NeverJoined below).
            await asyncio.shield(asyncio.to_thread(store.delete, header.session_id))
            raise
        notes.append("ended early: interrupted")
        actor.reason = EndReason.INTERRUPTED
        # Whoever cancelled us stops waiting, but the meeting is not lost: the save runs in
        # a shielded thread (a further cancellation cannot stop it half-way), then we re-raise.
        await asyncio.shield(_save(actor, header, queue, until, notes, settings, clock, earlier))
        raise
    if isinstance(failure, NeverJoined) and earlier is None:
        # The bot never got in: storing this as a meeting everyone missed would count against
        # the whole chapter. Nothing happened, so nothing is kept (a continued session keeps
        # what its first worker saw).
        await asyncio.to_thread(store.delete, header.session_id)
        raise failure
    if failure is None and earlier is None and not admitted:
        # Ctrl-C, `stop` or `until` came while the bot was still joining (or in a lobby): the
        # same meeting nobody saw, so the same nothing is kept, and the caller says so.
        await asyncio.to_thread(store.delete, header.session_id)
        raise StoppedWhileJoining(interrupted=actor.reason is EndReason.INTERRUPTED)
    if actor.reason is EndReason.INTERRUPTED:
        notes.append("ended early: interrupted")
    record = await asyncio.shield(
        _save(actor, header, queue, until, notes, settings, clock, earlier)
    )
    if failure is not None:
        raise failure
    return record


async def _save(
    actor: _Actor,
    header: SessionHeader,
    queue: asyncio.Queue[Event],
    until: float | None,
    notes: list[str],
    settings: Settings,
    clock: Clock,
    earlier: Earlier | None = None,
) -> SessionRecord:
    """Assemble the record of what the actor folded and save it (then apply retention)."""
    actor.drain(queue, until)
    actor.close(max(clock(), actor.folder.now) if actor.end_at is None else actor.end_at)
    assert actor.end_at is not None
    events = actor.events if earlier is None else continued_events(earlier, actor.events)
    record = assemble(
        header,
        events,
        spans=actor.spans,
        end_at=actor.end_at,
        settings=settings.domain(),
        notes=notes,
    )

    def save_and_purge() -> None:
        # All of the meeting's events are kept (until retention) beside the record.
        actor.store.save(record, events=events)
        # Retention runs where sessions end, so old spans go without anyone remembering to purge.
        actor.store.purge(header.started_at + timedelta(seconds=record.duration_s))

    await saved(save_and_purge, header.session_id, settings.storage.save_retry_s)
    return record


async def saved(save: Callable[[], None], session_id: str, within_s: float) -> None:
    """Run `save`, retrying a StorageError (a database that is down or restarting) for up to
    `within_s`: the record exists only in memory until then."""
    deadline = time.monotonic() + within_s
    delay = 0.5
    while True:
        try:
            await asyncio.to_thread(save)
        except StorageError as exc:
            if time.monotonic() + delay > deadline:
                raise
            if delay == 0.5:  # the first failure: one line, not one per attempt
                log.warning(
                    "session %s is not saved yet (%s); it is kept in memory and saved when "
                    "the database answers (retrying for %g s)",
                    session_id,
                    exc,
                    within_s,
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 4.0)
            continue
        if delay > 0.5:
            log.warning("session %s is saved", session_id)
        return


def continued_events(earlier: Earlier, events: list[Event]) -> list[Event]:
    """Everyone connected before the gap who was not there when the session was continued
    left during the gap: when exactly is unknown, so at the last checkpoint."""
    before, after = events[: len(earlier.events)], events[len(earlier.events) :]
    still: set[ParticipantId] = set()
    for event in before:
        if isinstance(event, ParticipantJoined):
            still.add(event.participant)
        elif isinstance(event, ParticipantLeft):
            still.discard(event.participant)
    back = {e.participant for e in after if isinstance(e, ParticipantJoined)}
    gone: list[Event] = [
        ParticipantLeft(earlier.saved_until, pid, LeaveReason.LOST) for pid in sorted(still - back)
    ]
    return before + gone + after
