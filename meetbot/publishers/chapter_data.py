"""`ChapterData` from the session store and the report renderers: what /meetbot answers with.

Store calls are synchronous (SQLAlchemy), so each runs in a worker thread; rendering a chart
takes a moment too. The store is any object with the methods of `SessionStore`, so the bot does
not care whether it is SQLite or PostgreSQL, and tests can hand in small in-memory records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

import reports
from meetbot.config.schema import Settings
from meetbot.domain.record import SessionRecord
from meetbot.errors import SessionNotFound
from reports.post import Post

TREND_SESSIONS = 5  # earlier sessions a member card compares with


class SessionStore(Protocol):
    def load(self, session: str) -> SessionRecord:
        """A session by id or unique id prefix; raises SessionNotFound."""
        ...

    def list_sessions(self, chapter: str, limit: int) -> Sequence[Any]:
        """The newest `limit` sessions of `chapter`, newest first; items have `session_id`
        and `status` ("running" while a meeting is still being recorded)."""
        ...

    def history(self, person: str, chapter: str, limit: int) -> Sequence[SessionRecord]: ...

    def set_opt_out(self, person: str, chapter: str, opted_out: bool) -> None: ...

    def forget(self, person: str) -> int: ...


class StoreChapterData:
    def __init__(self, store: SessionStore, settings: Settings) -> None:
        self._store = store
        self._chapter = settings.chapter.name
        self._timezone = settings.chapter.timezone
        self._min_group = settings.reports.min_group_for_detail

    async def member_card(self, person: str, session: str | None) -> Post:
        return await asyncio.to_thread(self._member_card, person, session)

    def _member_card(self, person: str, session: str | None) -> Post:
        record = self._store.load(session) if session else self._latest()
        history = [
            r
            for r in self._store.history(person, self._chapter, TREND_SESSIONS + 1)
            if r.session_id != record.session_id and r.started_at < record.started_at
        ][:TREND_SESSIONS]
        return reports.member_card(record, person, history, timezone=self._timezone)

    async def comparison(self, sessions: int) -> Post:
        return await asyncio.to_thread(self._comparison, sessions)

    def _comparison(self, sessions: int) -> Post:
        records = [self._store.load(sid) for sid in self._finished(sessions)]
        return reports.comparison(
            records, detail=True, min_group=self._min_group, timezone=self._timezone
        )

    async def set_opt_out(self, person: str, opted_out: bool) -> None:
        await asyncio.to_thread(self._store.set_opt_out, person, self._chapter, opted_out)

    async def forget(self, person: str) -> int:
        return await asyncio.to_thread(self._store.forget, person)

    def _latest(self) -> SessionRecord:
        return self._store.load(self._finished(1)[0])

    def _finished(self, limit: int) -> list[str]:
        """Ids of the newest `limit` finished sessions (a meeting in progress is skipped)."""
        # At most one meeting of a chapter runs at a time, so one extra row is enough.
        listed = self._store.list_sessions(self._chapter, limit + 1)
        ids = [s.session_id for s in listed if getattr(s, "status", "") != "running"][:limit]
        if not ids:
            raise SessionNotFound(f"no finished sessions of {self._chapter} are stored yet")
        return ids
