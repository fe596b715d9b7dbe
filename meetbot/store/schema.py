"""Tables of the session store and the ordered migrations that build them.

The database records its version in `schema_version`; opening an older database runs the
missing steps, in order, in one transaction. A step is frozen once released: it names its own
columns instead of reading the current table definitions, so replaying it on an old file does
exactly what it did back then. Add a change as a new step at the end of MIGRATIONS.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import sqlalchemy as sa

from meetbot.domain.names import key as name_key
from meetbot.errors import StorageError
from meetbot.store.database import ddl_lock

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version", metadata, sa.Column("version", sa.Integer, nullable=False)
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("chapter", sa.String(200), nullable=False, index=True),
    sa.Column("started_at", sa.Float, nullable=False),  # UTC epoch seconds: sorts, purges
    sa.Column("duration_s", sa.Float, nullable=False, default=0.0),
    sa.Column("platform", sa.String(32), nullable=False),
    sa.Column("room", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # running / saved / recovered
    sa.Column("complete", sa.Boolean, nullable=False, default=False),
    sa.Column("checkpoint_at", sa.Float, nullable=False, default=0.0),  # session seconds
    sa.Column("chapter_json", sa.Text, nullable=False, default="{}"),  # roster snapshot
    sa.Column("header", sa.Text, nullable=False, default="{}"),  # turns + notes
    sa.Column("attendees", sa.Text, nullable=False, default="[]"),  # v1 only; emptied by v2
    sa.Column("spans_purged", sa.Boolean, nullable=False, default=False),
    sa.Column("writer", sa.String(200), nullable=False, default=""),  # host:pid, running only
    sa.Column("heartbeat", sa.Float, nullable=False, default=0.0),  # wall clock of last write
    # The domain tunables the session was recorded with: every recomputation uses these.
    sa.Column("settings_json", sa.Text, nullable=False, default="{}"),
)

spans = sa.Table(
    "spans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.String(64), nullable=False, index=True),
    sa.Column("participant", sa.String(200), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("start_s", sa.Float, nullable=False),
    sa.Column("end_s", sa.Float, nullable=False),
    # An open span cut at the last checkpoint; replaced by the next one, so a crash loses at
    # most one checkpoint interval even of a state that has held for an hour.
    sa.Column("provisional", sa.Boolean, nullable=False, default=False),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("session_id", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("participant", sa.String(200), nullable=True),
    sa.Column("data", sa.Text, nullable=False),
)

opt_outs = sa.Table(
    "opt_outs",
    metadata,
    sa.Column("chapter", sa.String(200), primary_key=True),
    sa.Column("person_key", sa.String(200), primary_key=True),
    sa.Column("person", sa.String(200), nullable=False),
    sa.Column("opted_out", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

attendees = sa.Table(
    "attendees",
    metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("person", sa.String(200), nullable=False),
    sa.Column("person_key", sa.String(200), nullable=False, index=True),
    sa.Column("attendance", sa.String(16), nullable=False),
    sa.Column("data", sa.Text, nullable=False),
)


def _v1_base(conn: sa.Connection) -> None:
    """Sessions with their attendees inline, spans, checkpointed events, opt-outs."""
    md = sa.MetaData()
    sa.Table(
        "sessions",
        md,
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("chapter", sa.String(200), nullable=False, index=True),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("duration_s", sa.Float, nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("room", sa.String(200), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("checkpoint_at", sa.Float, nullable=False),
        sa.Column("chapter_json", sa.Text, nullable=False),
        sa.Column("header", sa.Text, nullable=False),
        sa.Column("attendees", sa.Text, nullable=False),
        sa.Column("spans_purged", sa.Boolean, nullable=False),
    )
    sa.Table(
        "spans",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(64), nullable=False, index=True),
        sa.Column("participant", sa.String(200), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("start_s", sa.Float, nullable=False),
        sa.Column("end_s", sa.Float, nullable=False),
        # An open span cut at the last checkpoint; replaced by the next one, so a crash loses at
        # most one checkpoint interval even of a state that has held for an hour.
        sa.Column("provisional", sa.Boolean, nullable=False, default=False),
    )
    sa.Table(
        "events",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("session_id", sa.String(64), nullable=False, index=True),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("participant", sa.String(200), nullable=True),
        sa.Column("data", sa.Text, nullable=False),
    )
    sa.Table(
        "opt_outs",
        md,
        sa.Column("chapter", sa.String(200), primary_key=True),
        sa.Column("person_key", sa.String(200), primary_key=True),
        sa.Column("person", sa.String(200), nullable=False),
        sa.Column("opted_out", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )
    md.create_all(conn)


def _v2_attendee_rows(conn: sa.Connection) -> None:
    """Attendees get their own rows so history and forget find a person without a full scan."""
    md = sa.MetaData()
    table = sa.Table(
        "attendees",
        md,
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("person", sa.String(200), nullable=False),
        sa.Column("person_key", sa.String(200), nullable=False, index=True),
        sa.Column("attendance", sa.String(16), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    md.create_all(conn)
    old = sa.table("sessions", sa.column("session_id", sa.String), sa.column("attendees", sa.Text))
    for session_id, inline in conn.execute(sa.select(old.c.session_id, old.c.attendees)).all():
        for position, data in enumerate(json.loads(inline or "[]")):
            conn.execute(
                table.insert().values(
                    session_id=session_id,
                    position=position,
                    person=data["person"],
                    person_key=name_key(data["person"]),
                    attendance=data["attendance"],
                    data=json.dumps(data, ensure_ascii=False),
                )
            )
    # The copy is the only one from now on: personal data is not kept twice.
    conn.execute(old.update().values(attendees="[]"))


def _v3_writer(conn: sa.Connection) -> None:
    """Who writes a running session and when it last did, so recovery never takes a live one."""
    conn.execute(sa.text("ALTER TABLE sessions ADD COLUMN writer VARCHAR(200) NOT NULL DEFAULT ''"))
    conn.execute(sa.text("ALTER TABLE sessions ADD COLUMN heartbeat FLOAT NOT NULL DEFAULT 0"))


def _v4_settings(conn: sa.Connection) -> None:
    """The tunables a session was recorded with, so a recovery or a correction made later, by
    a command run without the chapter's file, judges it as it was judged live."""
    conn.execute(
        sa.text("ALTER TABLE sessions ADD COLUMN settings_json TEXT NOT NULL DEFAULT '{}'")
    )


MIGRATIONS: tuple[Callable[[sa.Connection], None], ...] = (
    _v1_base,
    _v2_attendee_rows,
    _v3_writer,
    _v4_settings,
)
LATEST = len(MIGRATIONS)


def current_version(conn: sa.Connection) -> int:
    if not sa.inspect(conn).has_table("schema_version"):
        return 0
    return int(conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar() or 0)


def migrate(conn: sa.Connection, target: int = LATEST) -> int:
    """Run the steps from the database's version up to `target`; returns the version before."""
    # The bot service and a meeting may open a new database at the same moment: one
    # migrates, the other waits for it (the lock ends with the transaction).
    ddl_lock(conn)
    schema_version.create(conn, checkfirst=True)
    before = current_version(conn)
    if before > LATEST:
        raise StorageError(
            f"the session database has schema version {before}, newer than this meetbot knows "
            f"({LATEST}); upgrade meetbot, or point storage.url at another database"
        )
    for version in range(before + 1, target + 1):
        MIGRATIONS[version - 1](conn)
        conn.execute(schema_version.delete())
        conn.execute(schema_version.insert().values(version=version))
    return before
