"""`ChapterData` from the session store and the report renderers: what /meetbot answers with.

Store calls are synchronous (SQLAlchemy), so each runs in a worker thread; rendering a chart
takes a moment too. The store is any object with the methods of `SessionStore`, so the bot does
not care whether it is SQLite or PostgreSQL, and tests can hand in small in-memory records.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol

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

    def finished_sessions(self, chapter: str, *, limit: int) -> Sequence[SessionRecord]:
        """The newest `limit` finished sessions of `chapter` (none still being recorded),
        oldest first."""
        ...

    def history(self, person: str, chapter: str, limit: int) -> Sequence[SessionRecord]: ...

    def set_opt_out(self, person: str, chapter: str, opted_out: bool) -> None: ...

    def forget(self, person: str) -> int: ...


class StoreChapterData:
    def __init__(self, store: SessionStore, settings: Settings) -> None:
        self._store = store
        self._chapter = settings.chapter.name
        self._timezone = settings.chapter.timezone
        self._language = settings.chapter.language
        self._min_group = settings.reports.min_group_for_detail

    async def member_card(
        self, person: str, session: str | None, language: str | None = None
    ) -> Post:
        return await asyncio.to_thread(self._member_card, person, session, language)

    def _member_card(self, person: str, session: str | None, language: str | None) -> Post:
        record = self._store.load(session) if session else self._latest()
        history = [
            r
            for r in self._store.history(person, self._chapter, TREND_SESSIONS + 1)
            if r.session_id != record.session_id and r.started_at < record.started_at
        ][:TREND_SESSIONS]
        return reports.member_card(
            record, person, history, timezone=self._timezone, language=language or self._language
        )

    async def comparison(self, sessions: int) -> Post:
        return await asyncio.to_thread(self._comparison, sessions)

    def _comparison(self, sessions: int) -> Post:
        records = self._finished(sessions)
        return reports.comparison(
            records,
            detail=True,
            min_group=self._min_group,
            timezone=self._timezone,
            language=self._language,
        )

    async def set_opt_out(self, person: str, opted_out: bool) -> None:
        await asyncio.to_thread(self._store.set_opt_out, person, self._chapter, opted_out)

    async def forget(self, person: str) -> int:
        return await asyncio.to_thread(self._store.forget, person)

    def _latest(self) -> SessionRecord:
        return self._finished(1)[-1]

    def _finished(self, limit: int) -> list[SessionRecord]:
        """The newest `limit` finished sessions, oldest first (a meeting in progress is not)."""
        records = list(self._store.finished_sessions(self._chapter, limit=limit))
        if not records:
            raise SessionNotFound(f"no finished sessions of {self._chapter} are stored yet")
        return records
