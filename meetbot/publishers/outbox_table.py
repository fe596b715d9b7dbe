"""The outbox's table in the session store: its columns, a row read as an entry, and the
columns added since its first release (brought onto an older database when it is opened).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa

from meetbot.publishers.base import Status, post_from_json
from meetbot.store.database import add_missing_columns
from reports.post import Post

_metadata = sa.MetaData()
outbox_table = sa.Table(
    "outbox_messages",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("destination", sa.String(64), nullable=False),
    sa.Column("dedupe_key", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("nonce", sa.String(25), nullable=False),
    sa.Column("post", sa.Text, nullable=False),  # JSON; charts only, never frames or audio
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("sent_parts", sa.Text, nullable=False, default="[]"),
    sa.Column("last_error", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("next_attempt_at", sa.Float, nullable=False, default=0.0),
    sa.Column("sent_at", sa.Float, nullable=True),
    # Who is sending it right now ('' = nobody) and until when that claim holds (outbox clock).
    sa.Column("claim", sa.String(32), nullable=False, default=""),
    sa.Column("lease_until", sa.Float, nullable=False, default=0.0),
    sa.UniqueConstraint("destination", "dedupe_key", name="uq_outbox_dedupe"),
)


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A row, for listing (`meetbot outbox`) and for delivery."""

    id: int
    destination: str
    dedupe_key: str
    status: Status
    nonce: str
    post: Post
    attempts: int
    sent_parts: tuple[str, ...]
    last_error: str
    created_at: float
    next_attempt_at: float
    sent_at: float | None


# Columns added after the table was first released, with the DDL that adds them to an old one.
_ADDED_COLUMNS = {
    "claim": "VARCHAR(32) NOT NULL DEFAULT ''",
    "lease_until": "FLOAT NOT NULL DEFAULT 0",
}


def create_table(conn: sa.Connection) -> None:
    """The table, or what an older release's table lacks (call it under ddl_lock)."""
    _metadata.create_all(conn)
    add_missing_columns(conn, outbox_table, _ADDED_COLUMNS)


def entry_of(r: sa.RowMapping) -> OutboxEntry:
    return OutboxEntry(
        id=r["id"],
        destination=r["destination"],
        dedupe_key=r["dedupe_key"],
        status=Status(r["status"]),
        nonce=r["nonce"],
        post=post_from_json(r["post"]),
        attempts=r["attempts"],
        sent_parts=tuple(json.loads(r["sent_parts"])),
        last_error=r["last_error"],
        created_at=r["created_at"],
        next_attempt_at=r["next_attempt_at"],
        sent_at=r["sent_at"],
    )
