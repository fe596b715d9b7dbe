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
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa

from meetbot.domain.chapter import Chapter
from meetbot.domain.events import Event, Observation, ParticipantId
from meetbot.domain.names import key as name_key
from meetbot.domain.record import SessionRecord, Span
from meetbot.domain.settings import DomainSettings
from meetbot.domain.states import State
from meetbot.errors import SessionNotFound, StorageError
from meetbot.store import codec, schema
from meetbot.store.privacy import forget_in, without_opted_out

SQLITE_FILE = "meetbot.sqlite3"
RUNNING, SAVED, RECOVERED = "running", "saved", "recovered"


@dataclass(frozen=True, slots=True)
class SessionSummary:
    session_id: str
    chapter: str
    started_at: datetime
    duration_s: float
    platform: str
    room: str
    status: str  # running / saved / recovered
    complete: bool


def engine_url(url: str, data_dir: Path | None = None) -> str:
    """`storage.url` as SQLAlchemy wants it; empty means the SQLite file in the data folder."""
    if not url:
        if data_dir is None:
            from meetbot.config import data_dir as default_dir

            data_dir = default_dir()
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"cannot create the data folder {data_dir} ({exc.strerror}); set MEETBOT_HOME "
                "to a writable folder"
            ) from exc
        return f"sqlite:///{data_dir / SQLITE_FILE}"
    # psycopg 3 is what we install; SQLAlchemy's bare postgresql:// would look for psycopg2.
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Store:
    def __init__(self, engine: sa.Engine, *, retention_days: int = 180) -> None:
        self._engine = engine
        self.retention_days = retention_days
        self.migrated_from = 0
        with self._write("open the session database") as conn:
            self.migrated_from = schema.migrate(conn)

    @classmethod
    def open(
        cls,
        url: Any = "",
        data_dir: Path | None = None,
        *,
        retention_days: int | None = None,
    ) -> Store:
        """Open (creating or upgrading) the store at `url`; a `Settings` is accepted too."""
        storage = getattr(url, "storage", None)
        if storage is not None:  # the whole Settings, as StoreChapterData.open passes it
            url, retention_days = storage.url, retention_days or storage.retention_days
        target = engine_url(str(url), data_dir)
        try:
            engine = sa.create_engine(target)
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
            raise StorageError(
                f"storage.url {url!r} is not a usable database URL ({exc}); use "
                "postgresql://USER@HOST/DB or leave it empty for the SQLite file"
            ) from exc
        return cls(engine, retention_days=retention_days or 180)

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

    def begin(
        self,
        session_id: str,
        chapter: Chapter | str,
        started_at: datetime,
        platform: str,
        room: str,
    ) -> None:
        """Register a session that is starting; checkpoints and crash recovery hang off it."""
        snapshot = chapter if isinstance(chapter, Chapter) else Chapter(name=chapter)
        with self._write(f"start session {session_id}") as conn:
            if self._row(conn, session_id) is not None:
                raise StorageError(f"session {session_id} is already stored; use a new id")
            conn.execute(
                schema.sessions.insert().values(
                    session_id=session_id,
                    chapter=snapshot.name,
                    started_at=started_at.timestamp(),
                    duration_s=0.0,
                    platform=platform,
                    room=room,
                    status=RUNNING,
                    complete=False,
                    checkpoint_at=0.0,
                    chapter_json=codec.dumps(snapshot),
                    header="{}",
                    attendees="[]",
                    spans_purged=False,
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
            row = self._row(conn, session_id)
            if row is None or row.status != RUNNING:
                raise StorageError(f"session {session_id} is not running; begin() it first")
            where = schema.spans.c.session_id == session_id
            conn.execute(schema.spans.delete().where(where, schema.spans.c.provisional))
            self._insert_spans(conn, session_id, spans, provisional=False)
            self._insert_spans(conn, session_id, open_spans, provisional=True)
            kept = [e for e in events if not isinstance(e, Observation)]  # spans say it all
            if kept:
                conn.execute(
                    schema.events.insert(),
                    [
                        {
                            "session_id": session_id,
                            "at": e.at,
                            "kind": codec.event_kind(e),
                            "participant": getattr(e, "participant", None),
                            "data": codec.dumps(e),
                        }
                        for e in kept
                    ],
                )
            conn.execute(
                schema.sessions.update()
                .where(schema.sessions.c.session_id == session_id)
                .values(checkpoint_at=max(row.checkpoint_at, reached))
            )

    def unfinished(self) -> list[str]:
        """Sessions still marked running: live now, or their process died (see `recover`)."""
        with self._read("list unfinished sessions") as conn:
            rows = conn.execute(
                sa.select(schema.sessions.c.session_id)
                .where(schema.sessions.c.status == RUNNING)
                .order_by(schema.sessions.c.started_at)
            )
            return [r.session_id for r in rows]

    def recover(self, session_id: str, settings: DomainSettings | None = None) -> SessionRecord:
        """Rebuild (and save) an incomplete record of a session whose process died."""
        from meetbot.assembly import build_record

        with self._read(f"read the checkpoints of {session_id}") as conn:
            row = self._row(conn, session_id)
            if row is None:
                raise SessionNotFound(f"no stored session has the id {session_id!r}")
            if row.status != RUNNING:
                return self.load(session_id)
            spans = self._spans(conn, session_id)
            events = [
                codec.event_from(r.kind, json.loads(r.data))
                for r in conn.execute(
                    sa.select(schema.events.c.kind, schema.events.c.data)
                    .where(schema.events.c.session_id == session_id)
                    .order_by(schema.events.c.at, schema.events.c.id)
                )
            ]
        record = build_record(
            session_id=session_id,
            chapter=codec.chapter_from(json.loads(row.chapter_json)),
            started_at=datetime.fromtimestamp(row.started_at, UTC),
            platform=row.platform,
            room=row.room,
            spans=spans,
            events=events,
            end_at=row.checkpoint_at,
            settings=settings or DomainSettings(),
            complete=False,
            opted_out=self.opted_out(row.chapter),
        )
        self.save(record, status=RECOVERED)
        return record

    # -- finished sessions ------------------------------------------------------------------

    def save(self, record: SessionRecord, *, status: str = SAVED) -> None:
        """Store a finished record, replacing its checkpoints (or an earlier version of it)."""
        record = without_opted_out(record, self.opted_out(record.chapter))
        sid = record.session_id
        with self._write(f"save session {sid}") as conn:
            self._delete_session_rows(conn, sid, keep_session=True)
            values = {
                "chapter": record.chapter,
                "started_at": record.started_at.timestamp(),
                "duration_s": record.duration_s,
                "platform": record.platform,
                "room": record.room,
                "status": status,
                "complete": record.complete,
                "header": json.dumps(codec.record_header(record), ensure_ascii=False),
                "attendees": "[]",
                "spans_purged": False,
            }
            if self._row(conn, sid) is None:
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
            self._insert_spans(conn, sid, record.spans, provisional=False)
            self._rewrite_attendees(conn, sid, record.attendees)

    def load(self, session: str) -> SessionRecord:
        """A saved session by id or by a unique prefix of its id."""
        with self._read(f"load session {session}") as conn:
            sid = self._resolve(conn, session)
            return self._record(conn, sid)

    def list_sessions(
        self, chapter: str | None = None, limit: int | None = None
    ) -> list[SessionSummary]:
        """Sessions newest first, running ones included (see `status`)."""
        s = schema.sessions.c
        query = sa.select(schema.sessions).order_by(s.started_at.desc(), s.session_id)
        if chapter is not None:
            query = query.where(s.chapter == chapter)
        if limit is not None:
            query = query.limit(limit)
        with self._read("list sessions") as conn:
            return [_summary(r) for r in conn.execute(query)]

    def history(
        self, person: str, chapter: str | None = None, limit: int | None = None
    ) -> list[SessionRecord]:
        """Finished sessions `person` attended (by roster or display name), newest first."""
        s, a = schema.sessions.c, schema.attendees.c
        query = (
            sa.select(s.session_id, s.started_at)
            .join(schema.attendees, a.session_id == s.session_id)
            .where(a.person_key == name_key(person), s.status != RUNNING)
            .distinct()
            .order_by(s.started_at.desc(), s.session_id)
        )
        if chapter is not None:
            query = query.where(s.chapter == chapter)
        if limit is not None:
            query = query.limit(limit)
        with self._read(f"read the history of {person}") as conn:
            ids = [r.session_id for r in conn.execute(query)]
            return [self._record(conn, sid) for sid in ids]

    # -- people ------------------------------------------------------------------------------

    def forget(self, person: str) -> int:
        """Delete everything stored about `person`; returns how many sessions it touched.

        An opt-out stays: it is the one fact that keeps the person out of future sessions.
        """
        with self._write(f"forget {person}") as conn:
            return forget_in(conn, name_key(person), self._rewrite_attendees)

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
        s = schema.sessions.c
        with self._write("purge old spans") as conn:
            ids = [
                r.session_id
                for r in conn.execute(
                    sa.select(s.session_id).where(
                        s.started_at < cutoff, s.status != RUNNING, sa.not_(s.spans_purged)
                    )
                )
            ]
            for sid in ids:
                conn.execute(schema.spans.delete().where(schema.spans.c.session_id == sid))
                conn.execute(schema.events.delete().where(schema.events.c.session_id == sid))
            if ids:
                conn.execute(
                    schema.sessions.update().where(s.session_id.in_(ids)).values(spans_purged=True)
                )
            return len(ids)

    def replace(self, record: SessionRecord) -> None:
        """Rewrite a saved session's attendees, turns and notes (after a reclassification).

        Status and spans stay as stored, so a purged session stays purged.
        """
        record = without_opted_out(record, self.opted_out(record.chapter))
        sid = record.session_id
        s = schema.sessions.c
        with self._write(f"update session {sid}") as conn:
            if self._row(conn, sid) is None:
                raise SessionNotFound(f"no stored session has the id {sid!r}")
            header = json.dumps(codec.record_header(record), ensure_ascii=False)
            conn.execute(schema.sessions.update().where(s.session_id == sid).values(header=header))
            self._rewrite_attendees(conn, sid, record.attendees)

    # -- internals ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _write(self, action: str) -> Iterator[sa.Connection]:
        with self._translate(action), self._engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def _read(self, action: str) -> Iterator[sa.Connection]:
        with self._translate(action), self._engine.connect() as conn:
            yield conn

    @contextlib.contextmanager
    def _translate(self, action: str) -> Iterator[None]:
        try:
            yield
        except sa.exc.SQLAlchemyError as exc:
            where = self._engine.url.render_as_string(hide_password=True)
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StorageError(
                f"cannot {action} in {where}: {detail}; check that the database is reachable "
                "and writable (storage.url, or MEETBOT_HOME for the SQLite file)"
            ) from exc

    @staticmethod
    def _row(conn: sa.Connection, session_id: str) -> Any:
        query = sa.select(schema.sessions).where(schema.sessions.c.session_id == session_id)
        return conn.execute(query).first()

    def _resolve(self, conn: sa.Connection, session: str) -> str:
        s = schema.sessions.c
        if self._row(conn, session) is not None:
            return session
        escaped = session.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        ids = [
            r.session_id
            for r in conn.execute(
                sa.select(s.session_id)
                .where(s.session_id.like(escaped + "%", escape="\\"))
                .limit(6)
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

    def _record(self, conn: sa.Connection, sid: str) -> SessionRecord:
        row = self._row(conn, sid)
        if row.status == RUNNING:
            raise SessionNotFound(
                f"session {sid} has no saved record yet: it is still running, or its process "
                "stopped; recovering it rebuilds an incomplete record from its checkpoints"
            )
        header = json.loads(row.header or "{}")
        a = schema.attendees.c
        people = conn.execute(sa.select(a.data).where(a.session_id == sid).order_by(a.position))
        return SessionRecord(
            session_id=sid,
            chapter=row.chapter,
            started_at=datetime.fromtimestamp(row.started_at, UTC),
            duration_s=row.duration_s,
            platform=row.platform,
            room=row.room,
            attendees=tuple(codec.attendee_from(json.loads(p.data)) for p in people),
            turns=codec.turns_from(header.get("turns", [])),
            spans=tuple(self._spans(conn, sid)),
            complete=bool(row.complete),
            notes=tuple(header.get("notes", ())),
        )

    @staticmethod
    def _spans(conn: sa.Connection, sid: str) -> list[Span]:
        t = schema.spans.c
        rows = conn.execute(
            sa.select(t.participant, t.state, t.start_s, t.end_s)
            .where(t.session_id == sid)
            .order_by(t.start_s, t.participant, t.id)
        )
        return [
            Span(ParticipantId(r.participant), State(r.state), r.start_s, r.end_s) for r in rows
        ]

    @staticmethod
    def _insert_spans(
        conn: sa.Connection, sid: str, spans: Sequence[Span], *, provisional: bool
    ) -> None:
        if spans:
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
                    for s in spans
                ],
            )

    @staticmethod
    def _rewrite_attendees(conn: sa.Connection, sid: str, people: Sequence[Any]) -> None:
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

    @staticmethod
    def _delete_session_rows(conn: sa.Connection, sid: str, *, keep_session: bool) -> None:
        for table in (schema.spans, schema.events, schema.attendees):
            conn.execute(table.delete().where(table.c.session_id == sid))
        if not keep_session:
            conn.execute(schema.sessions.delete().where(schema.sessions.c.session_id == sid))


def _summary(row: Any) -> SessionSummary:
    return SessionSummary(
        session_id=row.session_id,
        chapter=row.chapter,
        started_at=datetime.fromtimestamp(row.started_at, UTC),
        duration_s=row.duration_s,
        platform=row.platform,
        room=row.room,
        status=row.status,
        complete=bool(row.complete),
    )


__all__ = ["SQLITE_FILE", "SessionSummary", "Store", "engine_url"]
