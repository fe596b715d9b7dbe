"""The store as the commands use it: opened from the settings, a session loaded (or rebuilt from
its checkpoints when its process died), and the chapter's sessions before it for comparisons.
"""

from __future__ import annotations

from meetbot import config
from meetbot.config.schema import Settings
from meetbot.domain.record import SessionRecord
from meetbot.store import Store


def open_store(settings: Settings) -> Store:
    return Store.open(
        settings.storage.url, config.data_dir(), retention_days=settings.storage.retention_days
    )


def load_session(store: Store, session: str, settings: Settings) -> SessionRecord:
    """A saved session by id or prefix; one whose process died is rebuilt from checkpoints."""
    sid = store.resolve(session)  # one place refuses an empty, ambiguous or unknown id
    if sid in store.unfinished():
        return store.recover(sid, settings.domain())
    return store.load(sid)


def earlier_sessions(store: Store, record: SessionRecord, limit: int) -> list[SessionRecord]:
    """Up to `limit` finished sessions of the same chapter before this one, oldest first."""
    return store.finished_sessions(
        record.chapter, limit=limit, until=record.started_at, exclude=record.session_id
    )
