"""The session store: SQLite by default, PostgreSQL by URL, through the same SQLAlchemy Core code.

Synchronous on purpose (SQLAlchemy Core); async callers use `asyncio.to_thread`. The caller owns
the store's lifetime:

    with Store.open(settings.storage.url) as store:
        store.save(record)

What is kept: per-session aggregates (attendees, turns, notes) for ever, per-second state spans
until `purge` (retention), checkpoints of a running session until it is saved. Never a frame,
a face crop or audio. An opted-out person is stored as "opted out" and nothing else.

`Store` (meetbot.store.store) is the one object callers hold; each of its methods is one
transaction over `checkpoints` (a running session), `records` (finished ones), `queries`,
`privacy` (opt-outs, forgetting) and `resume` (a fleet's handover), which read and write through
`rows`, `codec` and the tables of `schema`.
"""

from meetbot.store.database import SQLITE_FILE, engine_url
from meetbot.store.resume import Earlier
from meetbot.store.rows import SessionStatus, StoredSession
from meetbot.store.store import Store

__all__ = ["SQLITE_FILE", "Earlier", "SessionStatus", "Store", "StoredSession", "engine_url"]
