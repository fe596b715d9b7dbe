"""A throw-away PostgreSQL server for the store tests: a fresh cluster on a private unix socket.

Nothing listens on TCP (`listen_addresses=''`), so the server is reachable only through a socket
file in a temporary folder. PostgreSQL refuses to run as root, so under root the cluster belongs
to the `postgres` system user. Import the fixtures into a test module:

    from postgres import pg_server, pg_url  # noqa: F401
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start a cluster, yield a SQLAlchemy URL of its `postgres` database, then destroy it."""
    if not (BIN / "initdb").exists():
        pytest.skip(
            f"PostgreSQL 15 is not installed ({BIN}/initdb missing): apt install postgresql"
        )
    owner = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to own the cluster")
        owner = "postgres"
    root = Path(tempfile.mkdtemp(prefix="meetbot-pg-"))
    try:
        if owner:
            shutil.chown(root, owner)
        data, sock = root / "data", root
        subprocess.run(
            _as_owner(
                [
                    str(BIN / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "-A",
                    "trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ],
                owner,
            ),
            check=True,
            capture_output=True,
        )
        options = f"-c listen_addresses='' -k {sock} -c fsync=off"
        subprocess.run(
            _as_owner(
                [
                    str(BIN / "pg_ctl"),
                    "-D",
                    str(data),
                    "-o",
                    options,
                    "-w",
                    "-l",
                    str(root / "log"),
                    "start",
                ],
                owner,
            ),
            check=True,
            capture_output=True,
        )
        try:
            yield f"postgresql+psycopg://postgres@/postgres?host={sock}"
        finally:
            subprocess.run(
                _as_owner(
                    [str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], owner
                ),
                check=False,
                capture_output=True,
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    with postgres_cluster() as url:
        yield url


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty database on the shared test server, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield pg_server.replace("/postgres?", f"/{name}?")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
