"""Continuing a running session in another process: the fleet's handover after a worker died.

The first worker checkpointed closed spans, the open spans cut at its last checkpoint
(provisional) and the join/leave/speech events. The next worker keeps all of them: the cut spans
become permanent (they are what was seen up to the checkpoint), its own checkpoints add after
them, and the time between the last checkpoint and its own arrival has no span, so the record
reads it as unknown. Nothing is invented for the gap.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from meetbot.domain.events import Event
from meetbot.domain.record import Span
from meetbot.errors import SessionNotFound, StorageError
from meetbot.store import rows, schema
from meetbot.store.rows import SessionStatus


@dataclass(frozen=True, slots=True)
class Earlier:
    """What a session's earlier writer(s) saved, for the one that continues it."""

    session_id: str
    started_at: datetime
    saved_until: float  # session seconds of the last checkpoint
    spans: tuple[Span, ...]
    events: tuple[Event, ...]

    def __post_init__(self) -> None:
        if self.started_at.tzinfo is None:
            raise ValueError("started_at must carry its time zone")
        if self.saved_until < 0:
            raise ValueError(f"saved_until must be 0 or later, got {self.saved_until}")


def reopen_in(conn: sa.Connection, session_id: str) -> Earlier:
    found = rows.row(conn, session_id)
    if found is None:
        raise SessionNotFound(f"no stored session has the id {session_id!r}")
    if found.status != SessionStatus.RUNNING.value:
        raise StorageError(
            f"session {session_id} is already {found.status}; it can be reported, not continued"
        )
    t = schema.spans.c
    conn.execute(
        schema.spans.update()
        .where(t.session_id == session_id, t.provisional)
        .values(provisional=False)
    )
    conn.execute(
        schema.sessions.update()
        .where(schema.sessions.c.session_id == session_id)
        .values(writer=rows.WRITER, heartbeat=time.time())
    )
    return Earlier(
        session_id=session_id,
        started_at=datetime.fromtimestamp(found.started_at, UTC),
        saved_until=found.checkpoint_at,
        spans=tuple(rows.spans(conn, session_id)),
        events=tuple(rows.events(conn, session_id)),
    )
