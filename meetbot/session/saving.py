"""Saving a session's record when it ends: assembled from what the actor folded, retried while
the database is down (the record exists only in memory until then), and, for a session another
worker began, joined to what that worker saved.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import timedelta

from meetbot.config.schema import Settings
from meetbot.connectors.base import Clock
from meetbot.domain.assemble import assemble
from meetbot.domain.events import Event, ParticipantId, ParticipantJoined, ParticipantLeft
from meetbot.domain.header import SessionHeader
from meetbot.domain.record import SessionRecord
from meetbot.domain.states import LeaveReason
from meetbot.errors import StorageError
from meetbot.session.actor import Actor
from meetbot.store import Earlier

log = logging.getLogger(__name__)


async def save_record(
    actor: Actor,
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
