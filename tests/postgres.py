"""A throw-away PostgreSQL server for the store tests: a fresh cluster on a private unix socket
(meetbot.lab.services, which the fleet demo uses too).

Nothing listens on TCP (`listen_addresses=''`), so the server is reachable only through a socket
file in a temporary folder. PostgreSQL refuses to run as root, so under root the cluster belongs
to the `postgres` system user. tests/conftest.py registers this module as a plugin, so every test
module can ask for `pg_url` (or `pg_server`) without importing it: an imported fixture is a new
definition in each importing module, and the session cluster would start once per module.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from meetbot.lab.services import ServiceMissing, postgres_server


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """Start a cluster, yield a SQLAlchemy URL of its `postgres` database, then destroy it."""
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_server())
        except ServiceMissing as exc:
            pytest.skip(f"{exc}: apt install postgresql")
        yield url


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
