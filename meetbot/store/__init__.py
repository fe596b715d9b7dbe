"""The session store: SQLite by default, PostgreSQL by URL, through the same SQLAlchemy Core code.

Synchronous on purpose (SQLAlchemy Core); async callers use `asyncio.to_thread`. The caller owns
the store's lifetime:

    with Store.open(settings.storage.url) as store:
        store.save(record)

What is kept: per-session aggregates (attendees, turns, notes) for ever, per-second state spans
until `purge` (retention), checkpoints of a running session until it is saved. Never a frame,
a face crop or audio. An opted-out person is stored as "opted out" and nothing else.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

import sqlalchemy as sa

from meetbot.domain.assemble import assemble
from meetbot.domain.events import Event, Observation
from meetbot.domain.header import SessionHeader
from meetbot.domain.names import key as name_key
from meetbot.domain.names import with_opt_outs
from meetbot.domain.record import SessionRecord, Span
from meetbot.domain.settings import DomainSettings
from meetbot.errors import SessionNotFound, StorageError
from meetbot.store import codec, rows, schema
from meetbot.store.database import SQLITE_FILE, Configured, create_engine, engine_url, translating
from meetbot.store.privacy import forget_in, without_opted_out
from meetbot.store.resume import Earlier, reopen_in
from meetbot.store.rows import WRITER, SessionStatus, StoredSession


class Store:
    def __init__(self, engine: sa.Engine, *, retention_days: int = 180) -> None:
        self._engine = engine
        self._lock = threading.RLock()
        self.retention_days = retention_days
        self.migrated_from = 0
        with self._write("open the session database") as conn:
            self.migrated_from = schema.migrate(conn)

    @classmethod
    def open(
        cls,
        url: str | Configured = "",
        data_dir: Path | None = None,
        *,
        retention_days: int | None = None,
    ) -> Store:
        """Open (creating or upgrading) the store at `url`; a whole `Settings` is accepted too."""
        if not isinstance(url, str):  # a whole Settings: its storage section says where
            storage = url.storage
            url, retention_days = storage.url, retention_days or storage.retention_days
        return cls(create_engine(url, data_dir), retention_days=retention_days or 180)

    @property
    def engine(self) -> sa.Engine:
        """The engine, for tables that live beside the sessions (the Discord outbox)."""
        return self._engine

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- a running session ------------------------------------------------------------------

    def begin(self, header: SessionHeader) -> None:
        """Register a session that is starting; checkpoints and crash recovery hang off it."""
        sid = header.session_id
        with self._write(f"start session {sid}") as conn:
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
                )
            )

    def checkpoint(
        self,
        session_id: str,
        spans: Iterable[Span],
        events: Iterable[Event],
        *,
        at: float | None = None,
        open_spans: Iterable[Span] = (),
    ) -> None:
        """Add closed spans and events; `open_spans` (cut at `at`) replace the previous cut."""
        spans, events, open_spans = list(spans), list(events), list(open_spans)
        times = [s.end for s in (*spans, *open_spans)] + [e.at for e in events]
        reached = max([at or 0.0, *times])
        with self._write(f"checkpoint session {session_id}") as conn:
            row = rows.row(conn, session_id)
            if row is None or row.status != SessionStatus.RUNNING.value:
                raise StorageError(f"session {session_id} is not running; begin() it first")
            where = schema.spans.c.session_id == session_id
            conn.execute(schema.spans.delete().where(where, schema.spans.c.provisional))
            rows.insert_spans(conn, session_id, spans, provisional=False)
            rows.insert_spans(conn, session_id, open_spans, provisional=True)
            # Observations are not kept: the spans say all they said.
            rows.insert_events(
                conn, session_id, [e for e in events if not isinstance(e, Observation)]
            )
            conn.execute(
                schema.sessions.update()
                .where(schema.sessions.c.session_id == session_id)
                .values(checkpoint_at=max(row.checkpoint_at, reached), heartbeat=time.time())
            )

    def unfinished(self) -> list[str]:
        """Sessions still marked running: live now, or their process died (see `recover`)."""
        with self._read("list unfinished sessions") as conn:
            found = conn.execute(
                sa.select(schema.sessions.c.session_id)
                .where(schema.sessions.c.status == SessionStatus.RUNNING.value)
                .order_by(schema.sessions.c.started_at)
            )
            return [r.session_id for r in found]

    def recover(self, session_id: str, settings: DomainSettings | None = None) -> SessionRecord:
        """Rebuild (and save) an incomplete record of a session whose process died."""
        with self._read(f"read the checkpoints of {session_id}") as conn:
            row = rows.row(conn, session_id)
            if row is None:
                raise SessionNotFound(f"no stored session has the id {session_id!r}")
            if row.status != SessionStatus.RUNNING.value:
                return self.load(session_id)
            if (writer := rows.live_writer(row)) is not None:
                raise StorageError(
                    f"session {session_id} is still being recorded by {writer}; recover it "
                    "only after that process has stopped"
                )
            spans = rows.spans(conn, session_id)
            events = rows.events(conn, session_id)
        chapter = codec.chapter_from(json.loads(row.chapter_json))
        header = SessionHeader(
            session_id=session_id,
            chapter=with_opt_outs(chapter, self.opted_out(row.chapter)),
            started_at=datetime.fromtimestamp(row.started_at, UTC),
            platform=row.platform,
            room=row.room,
        )
        record = assemble(
            header,
            events,
            spans=spans,
            end_at=row.checkpoint_at,
            settings=settings or DomainSettings(),
            complete=False,
        )
        self.save(record, status=SessionStatus.RECOVERED)
        return record

    def reopen(self, session_id: str) -> Earlier:
        """Continue a running session whose writer died (its claim says so): what it saved.

        The caller must hold the meeting's claim (meetbot.fleet.claims); the writer column is
        not consulted, because a dead machine's row looks alive for minutes.
        """
        with self._write(f"continue session {session_id}") as conn:
            return reopen_in(conn, session_id)

    # -- finished sessions ------------------------------------------------------------------

    def save(self, record: SessionRecord, *, status: SessionStatus = SessionStatus.SAVED) -> None:
        """Store a finished record, replacing its checkpoints (or an earlier version of it)."""
        record = without_opted_out(record, self.opted_out(record.chapter))
        sid = record.session_id
        with self._write(f"save session {sid}") as conn:
            rows.delete_session_rows(conn, sid, keep_session=True)
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
            if rows.row(conn, sid) is None:
                conn.execute(
                    schema.sessions.insert().values(
                        session_id=sid, checkpoint_at=record.duration_s, chapter_json="{}", **values
                    )
                )
            else:
                conn.execute(
                    schema.sessions.update()
                    .where(schema.sessions.c.session_id == sid)
                    .values(**values)
                )
            rows.insert_spans(conn, sid, record.spans, provisional=False)
            rows.rewrite_attendees(conn, sid, record.attendees)

    def load(self, session: str) -> SessionRecord:
        """A saved session by id or by a unique prefix of its id."""
        with self._read(f"load session {session}") as conn:
            sid = rows.resolve(conn, session)
            return rows.record(conn, sid)

    def list_sessions(
        self, chapter: str | None = None, limit: int | None = None
    ) -> list[StoredSession]:
        """Sessions newest first, running ones included (see `status`)."""
        s = schema.sessions.c
        query = sa.select(schema.sessions).order_by(s.started_at.desc(), s.session_id)
        if chapter is not None:
            query = query.where(s.chapter == chapter)
        if limit is not None:
            query = query.limit(limit)
        with self._read("list sessions") as conn:
            return [rows.stored_session(r) for r in conn.execute(query)]

    def finished_sessions(
        self,
        chapter: str | None = None,
        *,
        limit: int,
        until: datetime | None = None,
        exclude: str | None = None,
    ) -> list[SessionRecord]:
        """The last `limit` finished (saved or recovered) sessions, oldest first.

        Of one chapter or all; with `until`, only those started at or before it; `exclude` a
        session id left out (the one being reported on, when its history is wanted).
        """
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
        with self._read("list finished sessions") as conn:
            ids = [r.session_id for r in conn.execute(query)]
            return [rows.record(conn, sid) for sid in reversed(ids)]

    def history(
        self, person: str, chapter: str | None = None, limit: int | None = None
    ) -> list[SessionRecord]:
        """Finished sessions `person` attended, newest first (case, accents, decoration ignored)."""
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
        with self._read(f"read the history of {person}") as conn:
            ids = [r.session_id for r in conn.execute(query)]
            return [rows.record(conn, sid) for sid in ids]

    # -- people ------------------------------------------------------------------------------

    def forget(self, person: str) -> int:
        """Delete everything stored about `person`; returns how many sessions it touched.

        An opt-out stays: it is the one fact that keeps the person out of future sessions.
        """
        with self._write(f"forget {person}") as conn:
            return forget_in(conn, name_key(person), rows.rewrite_attendees)

    def set_opt_out(self, person: str, chapter: str, opted_out: bool) -> None:
        k = name_key(person)
        if not k:
            raise StorageError(f"{person!r} is not a name; give the person's name to opt out")
        table = schema.opt_outs
        with self._write(f"record the opt-out of {person}") as conn:
            conn.execute(table.delete().where(table.c.chapter == chapter, table.c.person_key == k))
            conn.execute(
                table.insert().values(
                    chapter=chapter,
                    person_key=k,
                    person=person,
                    opted_out=opted_out,
                    updated_at=time.time(),
                )
            )

    def opted_out(self, chapter: str) -> set[str]:
        """Names of the people of `chapter` who opted out (as they gave them)."""
        t = schema.opt_outs.c
        with self._read("read opt-outs") as conn:
            rows = conn.execute(sa.select(t.person).where(t.chapter == chapter, t.opted_out))
            return {r.person for r in rows}

    def purge(self, now: datetime, retention_days: int | None = None) -> int:
        """Delete spans and events of sessions older than the retention; returns sessions purged.

        Per-session aggregates (attendees, scores, turns) stay for the leads' comparisons.
        """
        days = retention_days if retention_days is not None else self.retention_days
        cutoff = (now - timedelta(days=days)).timestamp()
        with self._write("purge old spans") as conn:
            return rows.purge_spans(conn, cutoff)

    def replace(self, record: SessionRecord) -> None:
        """Rewrite a saved session's attendees, turns and notes (after a reclassification).

        Status and spans stay as stored, so a purged session stays purged.
        """
        record = without_opted_out(record, self.opted_out(record.chapter))
        sid = record.session_id
        s = schema.sessions.c
        with self._write(f"update session {sid}") as conn:
            if rows.row(conn, sid) is None:
                raise SessionNotFound(f"no stored session has the id {sid!r}")
            header = json.dumps(codec.record_header(record), ensure_ascii=False)
            conn.execute(schema.sessions.update().where(s.session_id == sid).values(header=header))
            rows.rewrite_attendees(conn, sid, record.attendees)

    # -- internals ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self, action: str) -> Iterator[sa.Connection]:
        # One writer at a time per store: a checkpoint still running in its worker thread when
        # Ctrl-C arrives must finish before the final save replaces the session's rows.
        with self._lock, self._translate(action), self._engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def _read(self, action: str) -> Iterator[sa.Connection]:
        with self._translate(action), self._engine.connect() as conn:
            yield conn

    def _translate(self, action: str) -> contextlib.AbstractContextManager[None]:
        return translating(self._engine, action)


__all__ = ["SQLITE_FILE", "Earlier", "SessionStatus", "Store", "StoredSession", "engine_url"]
