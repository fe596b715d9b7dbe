"""The Store: the one object that holds a session database (see the package's docstring).

It owns the engine, lets one writer at a time in, and turns database errors into a StorageError
that names what was being done; each method is one read or one write transaction over the
functions of the package's concept modules.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self

import sqlalchemy as sa

from meetbot.domain.events import Event
from meetbot.domain.header import SessionHeader
from meetbot.domain.names import key as name_key
from meetbot.domain.record import SessionRecord, Span
from meetbot.domain.settings import DomainSettings
from meetbot.errors import StorageError
from meetbot.store import codec, queries, records, rows, schema
from meetbot.store.checkpoints import begin_in, checkpoint_in, checkpointed, rebuilt, unfinished_in
from meetbot.store.database import Configured, create_engine, translating
from meetbot.store.privacy import forget_in, opted_out_in, set_opt_out_in, without_opted_out
from meetbot.store.resume import Earlier, reopen_in
from meetbot.store.rows import SessionStatus, StoredSession


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

    def begin(self, header: SessionHeader, settings: DomainSettings | None = None) -> None:
        """Register a session that is starting; checkpoints and crash recovery hang off it.
        `settings` are the domain tunables it is recorded with, kept for every recomputation."""
        with self._write(f"start session {header.session_id}") as conn:
            begin_in(conn, header, settings)

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
            checkpoint_in(conn, session_id, spans, events, reached=reached, open_spans=open_spans)

    def unfinished(self) -> list[str]:
        """Sessions still marked running: live now, or their process died (see `recover`)."""
        with self._read("list unfinished sessions") as conn:
            return unfinished_in(conn)

    def recover(self, session_id: str, settings: DomainSettings | None = None) -> SessionRecord:
        """Rebuild (and save) an incomplete record of a session whose process died.

        It is judged with the tunables it was recorded with; `settings` only stand in for a
        session stored before those were kept. Its events stay until retention."""
        with self._read(f"read the checkpoints of {session_id}") as conn:
            found = checkpointed(conn, session_id)
            if found is None:  # saved or recovered already
                return self.load(session_id)
        row, spans, events = found
        opted_out = self.opted_out(row.chapter)
        record = rebuilt(session_id, row, spans, events, opted_out, settings)
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

    def save(
        self,
        record: SessionRecord,
        *,
        status: SessionStatus = SessionStatus.SAVED,
        events: Iterable[Event] | None = None,
        settings: DomainSettings | None = None,
    ) -> None:
        """Store a finished record, replacing its spans and attendees (or an earlier version).

        Its events stay until retention, so a recomputation can be redone; `events` (all of
        the meeting's, when the caller has them) replace the checkpointed ones. `settings`, the
        tunables it was judged with, are for a session that was not begun (offline analysis)."""
        record = without_opted_out(record, self.opted_out(record.chapter))
        with self._write(f"save session {record.session_id}") as conn:
            records.save_in(conn, record, status=status, events=events, settings=settings)

    def recorded_settings(self, session: str) -> DomainSettings | None:
        """The domain tunables `session` was recorded with (None: stored before they were)."""
        with self._read(f"read the settings of {session}") as conn:
            found = rows.row(conn, rows.resolve(conn, session))
            return codec.settings_from(json.loads(found.settings_json))

    def resolve(self, session: str) -> str:
        """The id of the one stored session `session` is the id or a unique prefix of."""
        with self._read(f"find session {session}") as conn:
            return rows.resolve(conn, session)

    def load(self, session: str) -> SessionRecord:
        """A saved session by id or by a unique prefix of its id."""
        with self._read(f"load session {session}") as conn:
            sid = rows.resolve(conn, session)
            return rows.record(conn, sid)

    def list_sessions(
        self, chapter: str | None = None, limit: int | None = None
    ) -> list[StoredSession]:
        """Sessions newest first, running ones included (see `status`)."""
        with self._read("list sessions") as conn:
            return queries.listed(conn, chapter, limit)

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
        with self._read("list finished sessions") as conn:
            return queries.finished(conn, chapter, limit=limit, until=until, exclude=exclude)

    def history(
        self, person: str, chapter: str | None = None, limit: int | None = None
    ) -> list[SessionRecord]:
        """Finished sessions `person` attended, newest first (case, accents, decoration ignored)."""
        with self._read(f"read the history of {person}") as conn:
            return queries.history(conn, person, chapter, limit)

    # -- people ------------------------------------------------------------------------------

    def forget(self, person: str) -> int:
        """Delete everything stored about `person`; returns how many sessions it touched.

        An opt-out stays: it is the one fact that keeps the person out of future sessions.
        """
        with self._write(f"forget {person}") as conn:
            return forget_in(conn, name_key(person), rows.rewrite_attendees)

    def delete(self, session: str) -> str:
        """Delete one session (by id or unique prefix) and everything stored about it: its
        row, spans, events and attendees. Returns its id. A session still being recorded by
        another process is refused."""
        with self._write(f"delete session {session}") as conn:
            return records.delete_in(conn, session)

    def set_opt_out(self, person: str, chapter: str, opted_out: bool) -> None:
        k = name_key(person)
        if not k:
            raise StorageError(f"{person!r} is not a name; give the person's name to opt out")
        with self._write(f"record the opt-out of {person}") as conn:
            set_opt_out_in(conn, chapter, k, person, opted_out)

    def opted_out(self, chapter: str) -> set[str]:
        """Names of the people of `chapter` who opted out (as they gave them)."""
        with self._read("read opt-outs") as conn:
            return opted_out_in(conn, chapter)

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
        with self._write(f"update session {record.session_id}") as conn:
            records.replace_in(conn, record)

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
