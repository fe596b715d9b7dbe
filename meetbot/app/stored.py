"""The store as the commands use it: opened from the settings, a session loaded (or rebuilt from
its checkpoints when its process died), and the chapter's sessions before it for comparisons.
"""

from __future__ import annotations

from meetbot import config
from meetbot.config.schema import Settings
from meetbot.domain.record import SessionRecord
from meetbot.store import SessionStatus, Store


def open_store(settings: Settings) -> Store:
    return Store.open(
        settings.storage.url, config.data_dir(), retention_days=settings.storage.retention_days
    )


def load_session(store: Store, session: str, settings: Settings) -> SessionRecord:
    """A saved session by id or prefix; one whose process died is rebuilt from checkpoints."""
    running = [sid for sid in store.unfinished() if sid.startswith(session)]
    saved = [
        s
        for s in store.list_sessions()
        if s.session_id.startswith(session) and s.status is not SessionStatus.RUNNING
    ]
    if len(running) == 1 and not saved:
        return store.recover(running[0], settings.domain())
    return store.load(session)


def earlier_sessions(store: Store, record: SessionRecord, limit: int) -> list[SessionRecord]:
    """Up to `limit` finished sessions of the same chapter before this one, oldest first."""
    return store.finished_sessions(
        record.chapter, limit=limit, until=record.started_at, exclude=record.session_id
    )
