"""The fleet's table of meeting occurrences: one row per meeting of a chapter, and the row as a
value. Who holds a row and how it may change hands is meetbot.fleet.claims.

The table lives in the store's database beside the sessions (`fleet_occurrences`); every
process creates it if it is missing, under the store's advisory DDL lock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa

from meetbot.store.database import add_missing_columns, ddl_lock

URL_MAX = 500  # characters of an invitation's link (a Teams link with its context is ~350)
metadata = sa.MetaData()
table = sa.Table(
    "fleet_occurrences",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),  # chapter@start (UTC)
    sa.Column("chapter", sa.String(200), nullable=False, index=True),
    sa.Column("starts_at", sa.Float, nullable=False),  # UTC epoch seconds
    sa.Column("length_s", sa.Float, nullable=False),
    sa.Column("enqueue_at", sa.Float, nullable=False),  # starts_at - join_before
    sa.Column("url", sa.String(URL_MAX), nullable=False, default=""),  # one-off: the invite's link
    sa.Column("room", sa.Integer, nullable=True),
    sa.Column("one_off", sa.Boolean, nullable=False, default=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("session_id", sa.String(64), nullable=False, default=""),
    sa.Column("worker", sa.String(200), nullable=False, default=""),
    sa.Column("since", sa.Float, nullable=True),  # when the current worker claimed it
    sa.Column("heartbeat", sa.Float, nullable=False, default=0.0),
    sa.Column("admitted_at", sa.Float, nullable=True),  # when a bot first got into the room
    sa.Column("claims", sa.Integer, nullable=False, default=0),
    sa.Column("handovers", sa.Integer, nullable=False, default=0),
    sa.Column("duplicates", sa.Integer, nullable=False, default=0),  # jobs refused while running
    sa.Column("reason", sa.Text, nullable=False, default=""),  # why failed / last refusal
    sa.Column("updated_at", sa.Float, nullable=False),
)


class State(StrEnum):
    """Where an occurrence is (meetbot.fleet.claims moves it). Stored in rows: never renamed."""

    DUE = "due"
    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Row:
    key: str
    chapter: str
    starts_at: datetime
    length_s: float
    url: str
    room: int | None
    one_off: bool
    state: State
    session_id: str
    worker: str
    since: float | None
    heartbeat: float
    admitted_at: float | None
    claims: int
    handovers: int
    duplicates: int
    reason: str

    @property
    def ends_at(self) -> datetime:
        return datetime.fromtimestamp(self.starts_at.timestamp() + self.length_s, UTC)


def create_table(conn: sa.Connection) -> None:
    """Create the table, or add what an older release's table lacks."""
    ddl_lock(conn)
    metadata.create_all(conn, checkfirst=True)
    add_missing_columns(conn, table, _ADDED_COLUMNS)


# Columns added after the table was first released: create_all leaves an existing table as it is.
_ADDED_COLUMNS = {"admitted_at": "FLOAT"}


def find(conn: sa.Connection, key: str) -> Row | None:
    found = conn.execute(sa.select(table).where(table.c.key == key)).first()
    return None if found is None else row_of(found)


def update(key: str, **values: object) -> sa.Update:
    return table.update().where(table.c.key == key).values(updated_at=time.time(), **values)


def row_of(r: sa.Row[tuple[object, ...]]) -> Row:
    m = r._mapping
    return Row(
        key=m["key"],
        chapter=m["chapter"],
        starts_at=datetime.fromtimestamp(m["starts_at"], UTC),
        length_s=m["length_s"],
        url=m["url"],
        room=m["room"],
        one_off=m["one_off"],
        state=State(m["state"]),
        session_id=m["session_id"],
        worker=m["worker"],
        since=m["since"],
        heartbeat=m["heartbeat"],
        admitted_at=m["admitted_at"],
        claims=m["claims"],
        handovers=m["handovers"],
        duplicates=m["duplicates"],
        reason=m["reason"],
    )
