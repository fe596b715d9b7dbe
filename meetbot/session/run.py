"""Running one live meeting: the connector, the sampler and the actor in one TaskGroup.

    record = await run_session(connector, sampler, settings=settings, store=store, clock=clock)

One TaskGroup holds the connector (joins, leaves, speech, tracks), the sampler's own tasks
(observations) and the actor (meetbot.session.actor). Producers only `emit` typed events into ONE
bounded queue; the actor alone folds and checkpoints them.

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
import secrets
from datetime import UTC, datetime

from meetbot.config.schema import Settings
from meetbot.connectors.base import Clock, Connector, Emit
from meetbot.domain.events import Event, MeetingEnded
from meetbot.domain.header import SessionHeader
from meetbot.domain.names import with_opt_outs
from meetbot.domain.record import SessionRecord
from meetbot.domain.states import EndReason
from meetbot.errors import NeverJoined, StoppedWhileJoining
from meetbot.session.actor import Actor, Observer, Sampler
from meetbot.session.saving import save_record
from meetbot.store import Earlier, Store

QUEUE_SIZE = 2048  # a few seconds of a 60-person meeting at 2 fps: backpressure, not loss


def new_session_id(started_at: datetime) -> str:
    """Sortable by start, unique even for two sessions started in the same second."""
    return f"{started_at.astimezone(UTC):%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


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
    actor = Actor(header, settings, store, clock, sampler, observer)
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
        await asyncio.shield(
            save_record(actor, header, queue, until, notes, settings, clock, earlier)
        )
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
        save_record(actor, header, queue, until, notes, settings, clock, earlier)
    )
    if failure is not None:
        raise failure
    return record
