"""Finished records in the store: saved, rewritten after a reclassification, deleted.

A saved record replaces whatever was stored under its id (checkpoints, or an earlier version);
its events stay beside it until retention so that a recomputation can be redone. The caller has
already taken opted-out people out of the record (meetbot.store.privacy).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import sqlalchemy as sa

from meetbot.domain.events import Event
from meetbot.domain.record import SessionRecord
from meetbot.domain.settings import DomainSettings
from meetbot.errors import SessionNotFound, StorageError
from meetbot.store import codec, rows, schema
from meetbot.store.rows import SessionStatus


def save_in(
    conn: sa.Connection,
    record: SessionRecord,
    *,
    status: SessionStatus,
    events: Iterable[Event] | None,
    settings: DomainSettings | None,
) -> None:
    """Store a finished record, replacing its spans and attendees (see Store.save)."""
    sid = record.session_id
    for table in (schema.spans, schema.attendees):
        conn.execute(table.delete().where(table.c.session_id == sid))
    rows.keep_events(conn, sid, record, events)
    values = {
        "chapter": record.chapter,
        "started_at": record.started_at.timestamp(),
        "duration_s": record.duration_s,
        "platform": record.platform,
        "room": record.room,
        "status": SessionStatus(status).value,
        "complete": record.complete,
        "header": json.dumps(codec.record_header(record), ensure_ascii=False),
        "attendees": "[]",
        "spans_purged": False,
    }
    if settings is not None:
        values["settings_json"] = codec.dumps(settings)
    if rows.row(conn, sid) is None:
        conn.execute(
            schema.sessions.insert().values(
                session_id=sid, checkpoint_at=record.duration_s, chapter_json="{}", **values
            )
        )
    else:
        conn.execute(
            schema.sessions.update().where(schema.sessions.c.session_id == sid).values(**values)
        )
    rows.insert_spans(conn, sid, record.spans, provisional=False)
    rows.rewrite_attendees(conn, sid, record.attendees)


def replace_in(conn: sa.Connection, record: SessionRecord) -> None:
    """Rewrite a saved session's attendees, turns and notes; status and spans stay."""
    sid = record.session_id
    s = schema.sessions.c
    if rows.row(conn, sid) is None:
        raise SessionNotFound(f"no stored session has the id {sid!r}")
    header = json.dumps(codec.record_header(record), ensure_ascii=False)
    conn.execute(schema.sessions.update().where(s.session_id == sid).values(header=header))
    rows.rewrite_attendees(conn, sid, record.attendees)


def delete_in(conn: sa.Connection, session: str) -> str:
    """Delete one session (by id or unique prefix) and all its rows; returns its id."""
    sid = rows.resolve(conn, session)
    found = rows.row(conn, sid)
    if found.status == SessionStatus.RUNNING and (writer := rows.live_writer(found)):
        raise StorageError(
            f"session {sid} is still being recorded by {writer}; stop that meeting "
            "first, then delete it"
        )
    rows.delete_session_rows(conn, sid, keep_session=False)
    return sid
