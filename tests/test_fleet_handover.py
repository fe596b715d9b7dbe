"""The fleet end to end, with real parts: redis-server, PostgreSQL, Janus, Celery worker
processes, the scheduler process and the local fake Discord.

Three chapters meet at the same time in one sandboxed Janus, each watched by its own worker
process. A duplicate job for a running meeting is refused. The pool process watching one
meeting is SIGKILLed mid-meeting: its job goes back to the queue, another worker process
continues the SAME session (the gap reads unknown), and each chapter's recap is posted once,
to its own channel.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TypeVar

import pytest
import sqlalchemy as sa
from fake_discord import FakeDiscord, serve
from postgres import pg_server, pg_url  # noqa: F401
from redis_server import redis_server

from meetbot.clock import MonotonicClock
from meetbot.domain.states import State as Seen
from meetbot.fleet.broker import make_app, send_join
from meetbot.fleet.claims import Claims, Row, State
from meetbot.fleet.schedule import Occurrence
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.scenario import Scenario, Script
from meetbot.lab.stage import run_scenario
from meetbot.publishers.outbox import Outbox
from meetbot.store import Store, schema
from meetbot.store.database import create_engine

pytestmark = [
    pytest.mark.janus,
    pytest.mark.postgres,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem())),
]

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = {"Alder": 1001, "Birch": 1002, "Cedar": 1003}  # name -> Discord channel
ROOMS = {"Alder": 6001, "Birch": 6002, "Cedar": 6003}
LEAD_S = 4.0  # the meetings start this long after the test plans them
LENGTH_S = 60.0  # room for a worker's start-up, the kill and the next worker's start-up
LEASE_S = 20.0  # longer than any heartbeat delay on a loaded machine: no false handovers
T = TypeVar("T")


@dataclass
class Fleet:
    claims: Claims
    store: Store
    keys: dict[str, str]  # chapter -> occurrence key
    logs: Path
    broker: str

    def row(self, chapter: str) -> Row:
        return self.claims.get(self.keys[chapter])

    async def until(self, what: str, check: Callable[[], T | None], within_s: float) -> T:
        """Wait for other processes to reach a state; they only show it in the database."""
        deadline = time.monotonic() + within_s
        while True:
            found = await asyncio.to_thread(check)
            if found:
                return found
            if time.monotonic() > deadline:
                tails = "\n".join(
                    f"--- {p.name}\n" + p.read_text(errors="replace")[-2500:]
                    for p in sorted(self.logs.glob("*.log"))
                )
                raise AssertionError(f"timed out waiting for {what}\n{tails}")
            await asyncio.sleep(0.5)


def chapter_file(folder: Path, name: str, url: str) -> None:
    (folder / f"{name.lower()}.toml").write_text(
        f'[chapter]\nname = "{name}"\n'
        f'[meeting]\nurl = "{url}"\nroom = {ROOMS[name]}\n'
        f"[discord]\nchannel_id = {CHAPTERS[name]}\nfinish_timeout_s = 20.0\n"
        "[storage]\ncheckpoint_s = 2.0\n"
        '[[roster]]\nname = "Ava Attentive"\n[[roster]]\nname = "Ben Busy"\n',
        encoding="utf-8",
    )


def people(length_s: float) -> Scenario:
    return Scenario(
        (
            Script("ava", "Ava Attentive", speaks=((10.0, 20.0),)),
            Script("ben", "Ben Busy", speaks=((30.0, 40.0),)),
        ),
        duration_s=length_s,
        fps=4.0,
    )


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:  # each in its own process group: the worker's pool goes too
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def spawn(
    started: list[subprocess.Popen[bytes]], log: Path, env: dict[str, str], *args: str
) -> None:
    out: IO[bytes] = log.open("wb")
    started.append(
        subprocess.Popen(
            [sys.executable, "-m", "meetbot", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    )
    out.close()


async def workers_ready(broker: str, count: int, logs: Path) -> None:
    """Until `count` worker nodes answer Celery's ping (their start-up takes a while here)."""
    control = make_app(broker, longest_meeting_s=LENGTH_S).control
    deadline = time.monotonic() + 180
    while len(await asyncio.to_thread(control.ping, timeout=1.0)) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"workers did not start; see {logs}")


@pytest.fixture
async def fleet(
    tmp_path: Path,
    pg_url: str,  # noqa: F811
    processes: list[subprocess.Popen[bytes]],
) -> AsyncIterator[tuple[Fleet, JanusServer, FakeDiscord]]:
    folder = tmp_path / "chapters"
    folder.mkdir()
    logs = tmp_path / "logs"
    logs.mkdir()
    engine = create_engine(pg_url)
    with redis_server() as broker:
        async with JanusServer() as janus, serve() as discord:
            for name in CHAPTERS:
                await janus.create_room(ROOMS[name])
                chapter_file(folder, name, janus.url)
            env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
            env |= {
                "MEETBOT_SANDBOX": "1",
                "MEETBOT_HOME": str(tmp_path / "home"),
                "MEETBOT_STORAGE__URL": pg_url,
                "MEETBOT_BROKER_URL": broker,
                "MEETBOT_CHAPTERS": str(folder),
                "MEETBOT_DISCORD_TOKEN": "fleet-test-token",
                "MEETBOT_DISCORD_API_BASE": discord.base,
                "PYTHONPATH": str(ROOT),
            }
            lease = ("--lease-s", str(LEASE_S))
            claims = Claims(engine, lease_s=LEASE_S)
            for i in (1, 2):
                spawn(
                    processes,
                    logs / f"worker{i}.log",
                    env,
                    *("fleet", "worker", "--concurrency", "2", *lease),
                )
            spawn(
                processes, logs / "scheduler.log", env, "fleet", "scheduler", "--tick", "1", *lease
            )
            await workers_ready(broker, 2, logs)
            start = datetime.now(UTC) + timedelta(seconds=LEAD_S)
            keys = {}
            for name in CHAPTERS:  # what /meetbot invite does: a one-off occurrence each
                occurrence = Occurrence(name, start, LENGTH_S)
                claims.plan(occurrence, join_before_s=LEAD_S + 5, one_off=True)
                keys[name] = occurrence.key
            with Store.open(pg_url) as store:
                yield Fleet(claims, store, keys, logs, broker), janus, discord
    engine.dispose()


async def test_three_meetings_a_duplicate_and_a_killed_worker(
    fleet: tuple[Fleet, JanusServer, FakeDiscord],
) -> None:
    f, janus, discord = fleet
    clock = MonotonicClock()
    meetings = [
        asyncio.create_task(run_scenario(janus.url, ROOMS[name], people(LENGTH_S + 8), clock))
        for name in CHAPTERS
    ]
    running = await f.until(
        "three meetings watched at once",
        lambda: all(f.row(c).state is State.RUNNING for c in CHAPTERS),
        within_s=120,
    )
    assert running
    holders = {f.row(c).worker for c in CHAPTERS}
    assert len(holders) == 3  # each meeting in its own worker process

    # A duplicate job for a running meeting: refused, the meeting keeps its one bot.
    send_join(make_app(f.broker, longest_meeting_s=LENGTH_S), f.keys["Alder"])
    await f.until("the duplicate refused", lambda: f.row("Alder").duplicates == 1, within_s=60)

    # Kill Birch's worker process once it has checkpointed some of the meeting.
    birch = f.row("Birch")
    await f.until(
        "Birch's first checkpoints",
        lambda: _checkpointed(f, birch.session_id) >= 4.0,
        within_s=60,
    )
    killed_pid = int(birch.worker.rpartition(":")[2])
    os.kill(killed_pid, signal.SIGKILL)
    killed_at = _checkpointed(f, birch.session_id)
    taken = await f.until(
        "another worker continuing Birch",
        lambda: (r := f.row("Birch")).state is State.RUNNING and r.claims == 2 and r,
        within_s=90,
    )
    assert taken.worker != birch.worker
    assert taken.session_id == birch.session_id

    await f.until(
        "all three meetings finished",
        lambda: all(f.row(c).state is State.FINISHED for c in CHAPTERS),
        within_s=LENGTH_S + 120,
    )
    for task in meetings:
        task.cancel()
    await asyncio.gather(*meetings, return_exceptions=True)

    rows = {c: f.row(c) for c in CHAPTERS}
    assert (rows["Birch"].claims, rows["Birch"].handovers) == (2, 1)
    assert rows["Alder"].claims == rows["Cedar"].claims == 1
    assert rows["Alder"].duplicates == 1

    # One session per chapter; Birch's is one session across the two workers.
    for name, row in rows.items():
        (session,) = f.store.list_sessions(chapter=name)
        assert session.session_id == row.session_id
        assert session.status == "saved"
    record = f.store.load(rows["Birch"].session_id)
    assert any("continued by another worker" in n for n in record.notes)
    present = {a.person for a in record.attendees if a.joined_at is not None}
    assert present == {"Ava Attentive", "Ben Busy"}
    ava = next(a for a in record.attendees if a.person == "Ava Attentive")
    assert ava.present_s > LENGTH_S / 2
    spans = [s for s in record.spans if s.state is Seen.UNKNOWN and s.end > killed_at]
    assert spans, "the gap after the kill reads unknown"
    seen_after = [s for s in record.spans if s.state is Seen.ENGAGED and s.start > killed_at]
    assert seen_after, "the next worker watched the rest of the meeting"

    # Each recap once, to its own channel.
    await f.until(
        "three recaps on Discord",
        lambda: all(discord.sent(f"/channels/{ch}/messages") for ch in CHAPTERS.values()),
        within_s=30,
    )
    for name, channel in CHAPTERS.items():
        posts = discord.sent(f"/channels/{channel}/messages")
        text = " ".join(json.dumps(p.payload, ensure_ascii=False) for p in posts)
        assert name in text
        assert not any(other in text for other in CHAPTERS if other != name)
        nonces = [p.payload.get("nonce") for p in posts]
        assert len(set(nonces)) == len(nonces), f"{name}'s recap was posted twice"
    outbox = Outbox(f.store.engine)
    assert outbox.pending() == []
    recaps = [e for e in outbox.entries() if e.dedupe_key.startswith("recap:")]
    assert sorted(e.dedupe_key for e in recaps) == sorted(
        f"recap:{r.session_id}" for r in rows.values()
    )


def _checkpointed(f: Fleet, session_id: str) -> float:
    with f.store.engine.connect() as conn:
        found = conn.execute(
            sa.select(schema.sessions.c.checkpoint_at).where(
                schema.sessions.c.session_id == session_id
            )
        ).scalar()
    return float(found or 0.0)
