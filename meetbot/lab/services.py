"""Private, throw-away Redis and PostgreSQL servers for the fleet's demo and tests.

    with redis_server() as broker_url, postgres_server() as store_url:
        ...

Redis listens on 127.0.0.1 (a free port, no persistence); PostgreSQL on a unix socket in a
temporary folder only (`listen_addresses=''`). PostgreSQL refuses to run as root, so under root
the cluster belongs to the `postgres` system user. Both are gone afterwards, data included,
even after an owner killed with SIGKILL: Redis dies with it, and the next PostgreSQL of the lab
stops a cluster whose owner is gone and deletes its folder (meetbot.lab.ownership).

The outage tests stop a server mid-meeting and start it again on the same port (Redis) or the
same socket and data folder (PostgreSQL): `redis_service()` / `postgres_service()` yield a
handle with `url`, `stop()` and `start()`.
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
from meetbot.lab.ownership import mark_owner, owned, remove_stale

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_PREFIX = "meetbot-pg-"  # a cluster's temporary folder: its data, socket and log
REDIS_PREFIX = "meetbot-redis-"


class ServiceMissing(MeetbotError):
    """A server the demo or a test needs is not installed here."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisService:
    """A redis-server on one port that can be stopped and started again. Nothing is persisted:
    a restarted server is empty, as a crashed Redis without an append-only file comes back."""

    def __init__(self, binary: str, port: int, folder: str, start_timeout_s: float) -> None:
        self.binary, self.port, self.folder = binary, port, folder
        self.start_timeout_s = start_timeout_s
        self.url = f"redis://127.0.0.1:{port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            owned([self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
                   "--appendonly", "no", "--dir", self.folder, "--protected-mode", "yes"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + self.start_timeout_s
        while not _pong(self.port):  # a child we started: poll its port until it answers
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise ServiceMissing(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Kill it, as a crash would: clients see their connections drop."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@contextlib.contextmanager
def redis_service(port: int | None = None, start_timeout_s: float = 20.0) -> Iterator[RedisService]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServiceMissing("redis-server is not installed; run scripts/setup")
    remove_stale(REDIS_PREFIX)
    folder = mark_owner(Path(tempfile.mkdtemp(prefix=REDIS_PREFIX)))
    service = RedisService(binary, port or free_port(), str(folder), start_timeout_s)
    try:
        service.start()
        yield service
    finally:
        service.stop()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def redis_server(port: int | None = None, start_timeout_s: float = 20.0) -> Iterator[str]:
    """Yield redis://127.0.0.1:PORT/0 of a fresh redis-server."""
    with redis_service(port, start_timeout_s) as service:
        yield service.url


def _pong(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), 1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


class PostgresService:
    """One cluster on a private socket; `stop()` is `pg_ctl stop -m fast` (what an operator's
    restart does), `start()` brings it back on the same socket and data folder."""

    def __init__(self, root: Path, owner: str | None) -> None:
        self.root, self.owner = root, owner
        self.data = root / "data"
        self.url = f"postgresql+psycopg://postgres@/postgres?host={root}"

    def start(self) -> None:
        options = f"-c listen_addresses='' -k {self.root} -c fsync=off"
        start = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "-l",
                 str(self.root / "log"), "start"]  # fmt: skip
        subprocess.run(_as_owner(start, self.owner), check=True, capture_output=True)

    def stop(self, mode: str = "fast") -> None:
        _stop_cluster(self.root, self.owner, mode)


def _stop_cluster(root: Path, owner: str | None, mode: str = "immediate") -> None:
    """`pg_ctl stop` of the cluster in `root` (nothing happens if it is not running)."""
    stop = [str(PG_BIN / "pg_ctl"), "-D", str(root / "data"), "-m", mode, "-w", "stop"]
    subprocess.run(_as_owner(stop, owner), check=False, capture_output=True)


@contextlib.contextmanager
def postgres_service() -> Iterator[PostgresService]:
    """Start a cluster; yield its handle (`url`: SQLAlchemy's, of the `postgres` database);
    destroy it."""
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
    remove_stale(PG_PREFIX, before=lambda folder: _stop_cluster(folder, owner))
    root = mark_owner(Path(tempfile.mkdtemp(prefix=PG_PREFIX)))
    try:
        if owner:
            shutil.chown(root, owner)
        service = PostgresService(root, owner)
        initdb = [str(PG_BIN / "initdb"), "-D", str(service.data), "-U", "postgres", "-A",
                  "trust", "--no-sync", "-E", "UTF8"]  # fmt: skip
        subprocess.run(_as_owner(initdb, owner), check=True, capture_output=True)
        service.start()
        try:
            yield service
        finally:
            service.stop("immediate")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Start a cluster; yield a SQLAlchemy URL of its `postgres` database; destroy it."""
    with postgres_service() as service:
        yield service.url
