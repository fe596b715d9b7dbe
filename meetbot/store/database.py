"""Which database the store talks to, and how its errors reach people.

Empty `storage.url` means the SQLite file in the data folder; PostgreSQL URLs go through psycopg 3.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from meetbot.errors import StorageError

SQLITE_FILE = "meetbot.sqlite3"
# A server that accepts the TCP connection but never answers (a wrong port behind a firewall
# or a proxy, a stopped VM) would otherwise hang every command forever: libpq has no default
# connect timeout. A URL that sets its own `connect_timeout` or `options` keeps them.
CONNECT_TIMEOUT_S = 10
# No store query runs for long; one stuck behind a lock or a dying server gives up instead.
STATEMENT_TIMEOUT_MS = 60_000


class StorageLike(Protocol):
    @property
    def url(self) -> str: ...

    @property
    def retention_days(self) -> int: ...


class Configured(Protocol):
    """Anything with a `storage` section: meetbot.config.schema.Settings."""

    @property
    def storage(self) -> StorageLike: ...


# One advisory lock for every CREATE/ALTER meetbot runs on PostgreSQL (store migrations, the
# outbox, the fleet's tables): workers of a region start at the same moment on an empty
# database, and `CREATE TABLE` after a "does it exist?" check races between them.
_DDL_LOCK = 7210001


def ddl_lock(conn: sa.Connection) -> None:
    """Hold the DDL lock until `conn`'s transaction ends (PostgreSQL; SQLite's writers are
    serialised by the database file's own lock)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text(f"SELECT pg_advisory_xact_lock({_DDL_LOCK})"))


def add_missing_columns(conn: sa.Connection, table: sa.Table, added: Mapping[str, str]) -> None:
    """Give a table an older release created the columns added since (name -> column DDL):
    create_all leaves an existing table as it is. Call it under ddl_lock: one process adds."""
    have = {c["name"] for c in sa.inspect(conn).get_columns(table.name)}
    for name, ddl in added.items():
        if name not in have:
            conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} {ddl}")


def create_engine(url: str, data_dir: Path | None = None) -> sa.Engine:
    """An engine for `storage.url`; the SQLite file is private to the user and in WAL mode."""
    target = engine_url(url, data_dir)
    try:
        engine = sa.create_engine(target, connect_args=_connect_args(target))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError) as exc:
        raise StorageError(
            f"storage.url {url!r} is not a usable database URL ({exc}); use "
            "postgresql://USER@HOST/DB or leave it empty for the SQLite file"
        ) from exc
    if engine.dialect.name == "sqlite":
        path = engine.url.database
        if path and path != ":memory:" and not os.path.exists(path):
            # Attendance is personal data: only the user who runs meetbot may read the file.
            with contextlib.suppress(OSError):
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        sa.event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _connect_args(target: str) -> dict[str, Any]:
    """Driver options that bound how long a PostgreSQL server may keep us waiting."""
    try:
        parsed = sa.engine.make_url(target)
    except sa.exc.ArgumentError:
        return {}  # create_engine says why in one line
    if parsed.get_backend_name() != "postgresql":
        return {}
    args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        args["connect_timeout"] = CONNECT_TIMEOUT_S
    if "options" not in parsed.query:
        args["options"] = f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"
    return args


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the Discord bot read while a live session checkpoints; the busy timeout makes
    # the two wait for each other briefly instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


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


@contextlib.contextmanager
def translating(engine: sa.Engine, action: str) -> Iterator[None]:
    """Turn SQLAlchemy's errors into one StorageError line that says what to check."""
    try:
        yield
    except sa.exc.SQLAlchemyError as exc:
        where = engine.url.render_as_string(hide_password=True)
        if _locked(exc):
            raise StorageError(
                f"cannot {action} in {where}: the database is busy, locked by another process; "
                "let the other meetbot command finish (or stop the program holding the "
                "database), then run this again"
            ) from exc
        # The driver's first line only: SQLAlchemy appends the whole statement (a CREATE TABLE
        # is twenty lines) and a link to its documentation.
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StorageError(
            f"cannot {action} in {where}: {detail}; check that the database is reachable "
            "and writable (storage.url, or MEETBOT_HOME for the SQLite file)"
        ) from exc


def _locked(exc: sa.exc.SQLAlchemyError) -> bool:
    """Another connection holds a lock we waited for (SQLite's busy_timeout, PostgreSQL's
    lock_not_available)."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "55P03":
        return True
    message = str(orig).lower()
    return isinstance(exc, sa.exc.OperationalError) and (
        "database is locked" in message or "database table is locked" in message
    )
