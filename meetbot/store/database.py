"""Which database the store talks to, and how its errors reach people.

Empty `storage.url` means the SQLite file in the data folder; PostgreSQL URLs go through psycopg 3.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from meetbot.errors import StorageError

SQLITE_FILE = "meetbot.sqlite3"


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
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        raise StorageError(
            f"cannot {action} in {where}: {detail}; check that the database is reachable "
            "and writable (storage.url, or MEETBOT_HOME for the SQLite file)"
        ) from exc
