"""Private, throw-away Redis and PostgreSQL servers for the fleet's demo and tests.

    with redis_server() as broker_url, postgres_server() as store_url:
        ...

Redis listens on 127.0.0.1 (a free port, no persistence); PostgreSQL on a unix socket in a
temporary folder only (`listen_addresses=''`). PostgreSQL refuses to run as root, so under root
the cluster belongs to the `postgres` system user. Both are gone afterwards, data included.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from meetbot.errors import MeetbotError

PG_BIN = Path("/usr/lib/postgresql/15/bin")


class ServiceMissing(MeetbotError):
    """A server the demo or a test needs is not installed here."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def redis_server(port: int | None = None, start_timeout_s: float = 20.0) -> Iterator[str]:
    """Yield redis://127.0.0.1:PORT/0 of a fresh redis-server."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceMissing("redis-server is not installed; run scripts/setup")
    port = port or free_port()
    folder = tempfile.mkdtemp(prefix="meetbot-redis-")
    proc = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly",
         "no", "--dir", folder, "--protected-mode", "yes"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + start_timeout_s
        while not _pong(port):  # a child we started: poll its port until it answers
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ServiceMissing(f"redis-server did not start on port {port}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a cluster; yield a SQLAlchemy URL of its `postgres` database; destroy it."""
    if not (PG_BIN / "initdb").exists():
        raise ServiceMissing(f"PostgreSQL 15 is not installed ({PG_BIN}/initdb missing)")
    owner = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise ServiceMissing(
                "running as root and no 'postgres' user can own the cluster"
            ) from None
        owner = "postgres"
    root = Path(tempfile.mkdtemp(prefix="meetbot-pg-"))
    try:
        if owner:
            shutil.chown(root, owner)
        data = root / "data"
        initdb = [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8"]  # fmt: skip
        subprocess.run(_as_owner(initdb, owner), check=True, capture_output=True)
        options = f"-c listen_addresses='' -k {root} -c fsync=off"
        start = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l",
                 str(root / "log"), "start"]  # fmt: skip
        subprocess.run(_as_owner(start, owner), check=True, capture_output=True)
        try:
            yield f"postgresql+psycopg://postgres@/postgres?host={root}"
        finally:
            stop = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            subprocess.run(_as_owner(stop, owner), check=False, capture_output=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
