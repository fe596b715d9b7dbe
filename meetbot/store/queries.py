"""Questions about stored sessions: the listing, the last finished ones, a person's history.

Finished means saved or recovered (any status but running); a question that wants records gets
them whole, read in the same connection as the ids.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from meetbot.domain.names import key as name_key
from meetbot.domain.record import SessionRecord
from meetbot.store import rows, schema
from meetbot.store.rows import SessionStatus, StoredSession


def listed(conn: sa.Connection, chapter: str | None, limit: int | None) -> list[StoredSession]:
    """Sessions newest first, running ones included."""
    s = schema.sessions.c
    query = sa.select(schema.sessions).order_by(s.started_at.desc(), s.session_id)
    if chapter is not None:
        query = query.where(s.chapter == chapter)
    if limit is not None:
        query = query.limit(limit)
    return [rows.stored_session(r) for r in conn.execute(query)]


def finished(
    conn: sa.Connection,
    chapter: str | None,
    *,
    limit: int,
    until: datetime | None,
    exclude: str | None,
) -> list[SessionRecord]:
    """The last `limit` finished sessions, oldest first (see Store.finished_sessions)."""
    s = schema.sessions.c
    query = (
        sa.select(s.session_id)
        .where(s.status != SessionStatus.RUNNING.value)
        .order_by(s.started_at.desc(), s.session_id.desc())
        .limit(max(limit, 0))
    )
    if chapter is not None:
        query = query.where(s.chapter == chapter)
    if until is not None:
        query = query.where(s.started_at <= until.timestamp())
    if exclude is not None:
        query = query.where(s.session_id != exclude)
    ids = [r.session_id for r in conn.execute(query)]
    return [rows.record(conn, sid) for sid in reversed(ids)]


def history(
    conn: sa.Connection, person: str, chapter: str | None, limit: int | None
) -> list[SessionRecord]:
    """Finished sessions `person` attended, newest first (see Store.history)."""
    s, a = schema.sessions.c, schema.attendees.c
    query = (
        sa.select(s.session_id, s.started_at)
        .join(schema.attendees, a.session_id == s.session_id)
        .where(a.person_key == name_key(person), s.status != SessionStatus.RUNNING.value)
        .distinct()
        .order_by(s.started_at.desc(), s.session_id)
    )
    if chapter is not None:
        query = query.where(s.chapter == chapter)
    if limit is not None:
        query = query.limit(limit)
    ids = [r.session_id for r in conn.execute(query)]
    return [rows.record(conn, sid) for sid in ids]
