"""Rows ⇄ domain values: the reads and writes every Store method is built from.

Functions take an open connection so the caller decides the transaction.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from meetbot.domain.events import Event, Observation, ParticipantId
from meetbot.domain.names import key as name_key
from meetbot.domain.record import SessionRecord, Span
from meetbot.domain.states import State
from meetbot.errors import SessionNotFound
from meetbot.store import codec, schema


class SessionStatus(StrEnum):
    """Where a stored session is. Stored in rows, so the values never change."""

    RUNNING = "running"  # live now, or its process died (then `Store.recover` finishes it)
    SAVED = "saved"  # its record was saved when it ended
    RECOVERED = "recovered"  # rebuilt from checkpoints after its process died


WRITER = f"{socket.gethostname()}:{os.getpid()}"
# A running session on another machine counts as live while it wrote this recently; the actor
# checkpoints every storage.checkpoint_s (30 s by default), idle or not.
LIVE_WITHIN_S = 300.0


@dataclass(frozen=True, slots=True)
class StoredSession:
    """One row of the sessions table: what `meetbot sessions` lists (no attendees, no spans)."""

    session_id: str
    chapter: str
    started_at: datetime
    duration_s: float
    platform: str
    room: str
    status: SessionStatus
    complete: bool


def live_writer(found: Any) -> str | None:
    """The process still writing this running session, or None when it is gone."""
    host, _, pid = str(found.writer).rpartition(":")
    if not host or not pid.isdigit():
        return None
    if host != socket.gethostname():
        age = time.time() - found.heartbeat
        return f"{found.writer} ({age:.0f} s ago)" if age < LIVE_WITHIN_S else None
    if int(pid) == os.getpid():
        return None  # this process wrote it and is asking: its session is not running any more
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # another user's process: alive
    return f"process {pid} on this machine"


def row(conn: sa.Connection, session_id: str) -> Any:
    query = sa.select(schema.sessions).where(schema.sessions.c.session_id == session_id)
    return conn.execute(query).first()


def resolve(conn: sa.Connection, session: str) -> str:
    if not session.strip():
        # "" is a prefix of every id: with one session stored it would name that one, and an
        # unset $SID in `meetbot sessions delete "$SID" --yes` would delete it.
        raise SessionNotFound(
            "the session id is empty; give a session id or prefix (see `meetbot sessions`)"
        )
    s = schema.sessions.c
    if row(conn, session) is not None:
        return session
    escaped = session.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    ids = [
        r.session_id
        for r in conn.execute(
            sa.select(s.session_id).where(s.session_id.like(escaped + "%", escape="\\")).limit(6)
        )
    ]
    if len(ids) == 1:
        return str(ids[0])
    if ids:
        raise SessionNotFound(
            f"{session!r} matches several sessions ({', '.join(ids[:5])}); give more of the id"
        )
    recent = [
        r.session_id
        for r in conn.execute(sa.select(s.session_id).order_by(s.started_at.desc()).limit(3))
    ]
    hint = f"; recent sessions: {', '.join(recent)}" if recent else "; none are stored yet"
    raise SessionNotFound(f"no stored session matches {session!r}{hint}")


def record(conn: sa.Connection, sid: str) -> SessionRecord:
    found = row(conn, sid)
    if found.status == SessionStatus.RUNNING.value:
        raise SessionNotFound(
            f"session {sid} has no saved record yet: it is still running, or its process "
            "stopped; recovering it rebuilds an incomplete record from its checkpoints"
        )
    header = json.loads(found.header or "{}")
    a = schema.attendees.c
    people = conn.execute(sa.select(a.data).where(a.session_id == sid).order_by(a.position))
    return SessionRecord(
        session_id=sid,
        chapter=found.chapter,
        started_at=datetime.fromtimestamp(found.started_at, UTC),
        duration_s=found.duration_s,
        platform=found.platform,
        room=found.room,
        attendees=tuple(codec.attendee_from(json.loads(p.data)) for p in people),
        turns=codec.turns_from(header.get("turns", [])),
        spans=tuple(spans(conn, sid)),
        complete=bool(found.complete),
        notes=tuple(header.get("notes", ())),
    )


def spans(conn: sa.Connection, sid: str) -> list[Span]:
    t = schema.spans.c
    rows = conn.execute(
        sa.select(t.participant, t.state, t.start_s, t.end_s)
        .where(t.session_id == sid)
        .order_by(t.start_s, t.participant, t.id)
    )
    return [Span(ParticipantId(r.participant), State(r.state), r.start_s, r.end_s) for r in rows]


def events(conn: sa.Connection, sid: str) -> list[Event]:
    """The checkpointed non-observation events of a session, in the order they happened."""
    t = schema.events.c
    found = conn.execute(sa.select(t.kind, t.data).where(t.session_id == sid).order_by(t.at, t.id))
    return [codec.event_from(r.kind, json.loads(r.data)) for r in found]


def insert_spans(
    conn: sa.Connection, sid: str, items: Sequence[Span], *, provisional: bool
) -> None:
    if items:
        conn.execute(
            schema.spans.insert(),
            [
                {
                    "session_id": sid,
                    "participant": str(s.participant),
                    "state": s.state.value,
                    "start_s": s.start,
                    "end_s": s.end,
                    "provisional": provisional,
                }
                for s in items
            ],
        )


def rewrite_attendees(conn: sa.Connection, sid: str, people: Sequence[Any]) -> None:
    conn.execute(schema.attendees.delete().where(schema.attendees.c.session_id == sid))
    if people:
        conn.execute(
            schema.attendees.insert(),
            [
                {
                    "session_id": sid,
                    "position": i,
                    "person": a.person,
                    "person_key": name_key(a.person),
                    "attendance": a.attendance.value,
                    "data": codec.dumps(a),
                }
                for i, a in enumerate(people)
            ],
        )


def delete_session_rows(conn: sa.Connection, sid: str, *, keep_session: bool) -> None:
    for table in (schema.spans, schema.events, schema.attendees):
        conn.execute(table.delete().where(table.c.session_id == sid))
    if not keep_session:
        conn.execute(schema.sessions.delete().where(schema.sessions.c.session_id == sid))


def stored_session(found: Any) -> StoredSession:
    return StoredSession(
        session_id=found.session_id,
        chapter=found.chapter,
        started_at=datetime.fromtimestamp(found.started_at, UTC),
        duration_s=found.duration_s,
        platform=found.platform,
        room=found.room,
        status=SessionStatus(found.status),
        complete=bool(found.complete),
    )


def keep_events(
    conn: sa.Connection, sid: str, record: SessionRecord, events: Iterable[Event] | None
) -> None:
    """The events a saved session keeps until retention: `events` when given (else those
    checkpointed), only of the connections its record stores (never an opted-out person's)."""
    stored = {p for a in record.attendees for p in a.participants}
    allowed: set[ParticipantId | None] = {None, *stored}
    e = schema.events.c
    if events is not None:
        conn.execute(schema.events.delete().where(e.session_id == sid))
        insert_events(
            conn,
            sid,
            [
                ev
                for ev in events
                if not isinstance(ev, Observation) and getattr(ev, "participant", None) in allowed
            ],
        )
    else:
        conn.execute(
            schema.events.delete().where(
                e.session_id == sid, e.participant.is_not(None), e.participant.not_in(stored)
            )
        )


def insert_events(conn: sa.Connection, sid: str, events: Sequence[Event]) -> None:
    if events:
        conn.execute(
            schema.events.insert(),
            [
                {
                    "session_id": sid,
                    "at": e.at,
                    "kind": codec.event_kind(e),
                    "participant": getattr(e, "participant", None),
                    "data": codec.dumps(e),
                }
                for e in events
            ],
        )


def purge_spans(conn: sa.Connection, cutoff: float) -> int:
    """Drop spans and events of finished sessions started before `cutoff` (epoch seconds)."""
    s = schema.sessions.c
    query = sa.select(s.session_id).where(
        s.started_at < cutoff, s.status != SessionStatus.RUNNING.value, sa.not_(s.spans_purged)
    )
    ids = [r.session_id for r in conn.execute(query)]
    for table in (schema.spans, schema.events):
        conn.execute(table.delete().where(table.c.session_id.in_(ids)))
    conn.execute(schema.sessions.update().where(s.session_id.in_(ids)).values(spans_purged=True))
    return len(ids)
