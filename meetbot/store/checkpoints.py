"""A running session in the store: begun, checkpointed while it runs, rebuilt if its process died.

Each checkpoint adds the closed spans and events and replaces the previous cut of the open spans,
so a crash loses at most one interval: `rebuilt` assembles what was checkpointed into an
incomplete record, judged with the tunables the session was begun with.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from meetbot.domain.assemble import assemble
from meetbot.domain.events import Event, Observation
from meetbot.domain.header import SessionHeader
from meetbot.domain.names import with_opt_outs
from meetbot.domain.record import SessionRecord, Span
from meetbot.domain.settings import DomainSettings
from meetbot.errors import SessionNotFound, StorageError
from meetbot.store import codec, rows, schema
from meetbot.store.rows import WRITER, SessionStatus


def begin_in(conn: sa.Connection, header: SessionHeader, settings: DomainSettings | None) -> None:
    """Register a session that is starting (see Store.begin)."""
    sid = header.session_id
    if rows.row(conn, sid) is not None:
        raise StorageError(f"session {sid} is already stored; use a new id")
    conn.execute(
        schema.sessions.insert().values(
            session_id=sid,
            chapter=header.chapter.name,
            started_at=header.started_at.timestamp(),
            duration_s=0.0,
            platform=header.platform,
            room=header.room,
            status=SessionStatus.RUNNING.value,
            complete=False,
            checkpoint_at=0.0,
            chapter_json=codec.dumps(header.chapter),
            header="{}",
            attendees="[]",
            spans_purged=False,
            writer=WRITER,
            heartbeat=time.time(),
            settings_json=codec.dumps(settings) if settings is not None else "{}",
        )
    )


def checkpoint_in(
    conn: sa.Connection,
    session_id: str,
    spans: list[Span],
    events: list[Event],
    *,
    reached: float,
    open_spans: list[Span],
) -> None:
    """Add closed spans and events; `open_spans` replace the previous cut (see Store.checkpoint)."""
    row = rows.row(conn, session_id)
    if row is None or row.status != SessionStatus.RUNNING.value:
        raise StorageError(f"session {session_id} is not running; begin() it first")
    where = schema.spans.c.session_id == session_id
    conn.execute(schema.spans.delete().where(where, schema.spans.c.provisional))
    rows.insert_spans(conn, session_id, spans, provisional=False)
    rows.insert_spans(conn, session_id, open_spans, provisional=True)
    # Observations are not kept: the spans say all they said.
    rows.insert_events(conn, session_id, [e for e in events if not isinstance(e, Observation)])
    conn.execute(
        schema.sessions.update()
        .where(schema.sessions.c.session_id == session_id)
        .values(checkpoint_at=max(row.checkpoint_at, reached), heartbeat=time.time())
    )


def unfinished_in(conn: sa.Connection) -> list[str]:
    """Ids of the sessions still marked running, oldest first."""
    found = conn.execute(
        sa.select(schema.sessions.c.session_id)
        .where(schema.sessions.c.status == SessionStatus.RUNNING.value)
        .order_by(schema.sessions.c.started_at)
    )
    return [r.session_id for r in found]


def checkpointed(
    conn: sa.Connection, session_id: str
) -> tuple[Any, list[Span], list[Event]] | None:
    """The row, spans and events of a session to recover; None if it is no longer running.

    A session that another live process is still recording is refused."""
    row = rows.row(conn, session_id)
    if row is None:
        raise SessionNotFound(f"no stored session has the id {session_id!r}")
    if row.status != SessionStatus.RUNNING.value:
        return None
    if (writer := rows.live_writer(row)) is not None:
        raise StorageError(
            f"session {session_id} is still being recorded by {writer}; recover it "
            "only after that process has stopped"
        )
    return row, rows.spans(conn, session_id), rows.events(conn, session_id)


def rebuilt(
    session_id: str,
    row: Any,
    spans: list[Span],
    events: list[Event],
    opted_out: set[str],
    settings: DomainSettings | None,
) -> SessionRecord:
    """The incomplete record of what was checkpointed, judged with the tunables it was recorded
    with; `settings` only stand in for a session stored before those were kept."""
    chapter = codec.chapter_from(json.loads(row.chapter_json))
    header = SessionHeader(
        session_id=session_id,
        chapter=with_opt_outs(chapter, opted_out),
        started_at=datetime.fromtimestamp(row.started_at, UTC),
        platform=row.platform,
        room=row.room,
    )
    return assemble(
        header,
        events,
        spans=spans,
        end_at=row.checkpoint_at,
        settings=codec.settings_from(json.loads(row.settings_json)) or settings or DomainSettings(),
        complete=False,
    )
