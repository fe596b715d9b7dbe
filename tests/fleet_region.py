"""A region in a box for the outage tests: a private PostgreSQL and redis-server that a test may
stop and start again, a room of its own on a sandboxed Janus, real `meetbot fleet worker` and
`meetbot fleet scheduler` processes (each in its own process group, as meetbot.lab.fleet_demo
runs them), and one scripted meeting (meetbot.lab.stage).

The Janus is the caller's and may serve several regions in turn (a module-scoped fixture): the
tests stop databases and workers, never Janus, and each region's meeting has a fresh room, so
nothing of an earlier test's meeting is in it.

    async with region(tmp_path, janus, lease_s=8.0) as r:
        a = r.worker("machine-a")
        r.scheduler()
        await r.ready(workers=1)
        key = await r.meeting(length_s=40)
        await r.until("watched", lambda: r.claims.get(key).state is State.RUNNING)

Waits poll the database (or a process's log) for a state; a check that meets a database the
test has stopped reads as "not yet".
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
import sqlalchemy as sa

from meetbot.clock import MonotonicClock
from meetbot.config.schedule import Occurrence
from meetbot.errors import MeetbotError, StorageError
from meetbot.fleet.claims import Claims
from meetbot.lab.fleet_demo import chapter_file, people
from meetbot.lab.janus_server import JanusServer
from meetbot.lab.services import (
    PostgresService,
    RedisService,
    ServiceMissing,
    postgres_service,
    redis_service,
)
from meetbot.lab.stage import render_faces, run_scenario
from meetbot.lab.worker_processes import Processes, workers_ready
from meetbot.publishers.outbox import Outbox
from meetbot.store import Store, schema
from meetbot.store.database import create_engine

ROOT = Path(__file__).resolve().parent.parent
ROOMS = itertools.count(7101)  # a fresh room per region on a shared Janus
CHAPTER = "Alder"
LEAD_S = 4.0  # the meeting starts this long after it is planned
T = TypeVar("T")


@dataclass
class Region:
    root: Path
    janus: JanusServer
    room: int
    pg: PostgresService
    redis: RedisService
    claims: Claims
    store: Store
    lease_s: float
    procs: Processes = field(default_factory=Processes)
    scenario: asyncio.Task[object] | None = None

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
        return env | {
            "MEETBOT_SANDBOX": "1",
            "MEETBOT_HOME": str(self.root / "home"),
            "MEETBOT_STORAGE__URL": self.pg.url,
            "MEETBOT_BROKER_URL": self.redis.url,
            "MEETBOT_CHAPTERS": str(self.root / "chapters"),
            "PYTHONPATH": str(ROOT),
        }

    def worker(self, host: str, concurrency: int = 1) -> subprocess.Popen[bytes]:
        """A `meetbot fleet worker` naming its machine `host` (--host, as an operator would)."""
        return self.procs.spawn(
            self.logs / f"worker-{host}.log", self.env(), "fleet", "worker",
            "--concurrency", str(concurrency), "--lease-s", str(self.lease_s), "--host", host,
        )  # fmt: skip

    def scheduler(self) -> subprocess.Popen[bytes]:
        return self.procs.spawn(
            self.logs / "scheduler.log", self.env(), "fleet", "scheduler",
            "--tick", "1", "--lease-s", str(self.lease_s),
        )  # fmt: skip

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def restart_pg(self) -> None:
        """Start the stopped PostgreSQL again; the test's own pooled connections died with it."""
        self.pg.start()
        self.store.engine.dispose()
        self.claims.engine.dispose()

    async def ready(self, workers: int) -> None:
        await workers_ready(self.redis.url, workers)

    async def meeting(self, length_s: float) -> str:
        """Plan a one-off meeting starting in a moment and start its scripted members."""
        scenario = people(length_s + 8)
        book = await render_faces(scenario)  # before the clock runs: rendering takes seconds
        occurrence = Occurrence(CHAPTER, datetime.now(UTC) + timedelta(seconds=LEAD_S), length_s)
        await asyncio.to_thread(
            self.claims.plan, occurrence, join_before_s=LEAD_S + 5, one_off=True
        )
        self.scenario = asyncio.create_task(
            run_scenario(self.janus.url, self.room, scenario, MonotonicClock(), book=book)
        )
        return occurrence.key

    async def until(self, what: str, check: Callable[[], T | None], within_s: float) -> T:
        """Poll `check` (in a thread) until it holds; a stopped database reads as not yet."""
        deadline = time.monotonic() + within_s
        while True:
            try:
                found = await asyncio.to_thread(check)
            except (StorageError, sa.exc.DBAPIError):  # the database is down, or was restarted
                found = None
            if found:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}\n{self.tails()}")
            await asyncio.sleep(0.3)

    def tails(self) -> str:
        return "\n".join(
            f"--- {p.name}\n" + p.read_text(errors="replace")[-3000:]
            for p in sorted(self.logs.glob("*.log"))
        )

    def checkpointed(self, session_id: str) -> float:
        """How far (session seconds) the session's checkpoints reach."""
        with self.store.engine.connect() as conn:
            found = conn.execute(
                sa.select(schema.sessions.c.checkpoint_at).where(
                    schema.sessions.c.session_id == session_id
                )
            ).scalar()
        return float(found or 0.0)

    def recaps(self, session_id: str) -> list[str]:
        """The status of every outbox entry holding this session's recap."""
        return [
            str(e.status)
            for e in Outbox(self.store.engine).entries(limit=1000)
            if e.dedupe_key == f"recap:{session_id}"
        ]


@contextlib.asynccontextmanager
async def region(tmp_path: Path, janus: JanusServer, *, lease_s: float) -> AsyncIterator[Region]:
    for sub in ("chapters", "logs", "home"):
        (tmp_path / sub).mkdir()
    with contextlib.ExitStack() as stack:
        try:
            pg = stack.enter_context(postgres_service())
            redis = stack.enter_context(redis_service())
        except ServiceMissing as exc:
            pytest.skip(str(exc))
        room = next(ROOMS)
        await janus.create_room(room)
        chapter_file(tmp_path / "chapters", CHAPTER, janus.url, room)
        engine = create_engine(pg.url)
        store = Store.open(pg.url)
        claims = Claims(engine, lease_s=lease_s)
        r = Region(tmp_path, janus, room, pg, redis, claims, store, lease_s)
        try:
            yield r
        finally:
            r.procs.stop_all()
            if r.scenario is not None:
                r.scenario.cancel()
                with contextlib.suppress(asyncio.CancelledError, MeetbotError, OSError):
                    await r.scenario
            store.close()
            engine.dispose()
