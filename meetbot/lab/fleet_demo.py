"""`meetbot fleet demo`: a region in a box, with a worker killed mid-meeting.

A private Redis, PostgreSQL and Janus (inside scripts/in-sandbox), the real scheduler and two
real Celery workers as processes, and N chapters whose scripted meetings happen at the same
time. Once the meetings are under way the worker process watching the first chapter is
SIGKILLed; another worker process continues its session. At the end every chapter has one
session and one recap (to the console outbox: no Discord needed), and the summary says which
meeting was handed over.
"""

from __future__ import annotations

import asyncio
import math
import os
import signal
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa

from meetbot.clock import MonotonicClock
from meetbot.config.schedule import Occurrence
from meetbot.domain.record import Span
from meetbot.domain.states import State as Seen
from meetbot.errors import ConnectError
from meetbot.fleet.broker import make_app, send_join
from meetbot.fleet.claims import Claims, State
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.scenario import Behaviour, Scenario, Script
from meetbot.lab.services import postgres_server, redis_server
from meetbot.lab.stage import run_scenario
from meetbot.lab.worker_processes import log_tails, processes, until, workers_ready
from meetbot.publishers.base import Status
from meetbot.publishers.outbox import Outbox
from meetbot.store import Store, schema
from meetbot.store.database import create_engine

NAMES = ("Alder", "Birch", "Cedar", "Dogwood", "Elm", "Fir", "Gorse", "Hazel")
FIRST_ROOM = 7001
LEAD_S = 4.0  # meetings start this long after the workers are ready


def checkpointed(store: Store, session_id: str) -> float:
    """How far (session seconds) a running session's checkpoints reach."""
    with store.engine.connect() as conn:
        found = conn.execute(
            sa.select(schema.sessions.c.checkpoint_at).where(
                schema.sessions.c.session_id == session_id
            )
        ).scalar()
    return float(found or 0.0)


def engaged_saved(store: Store, session_id: str) -> bool:
    """Whether a checkpoint of the session holds someone seen attentive (kill after it, so
    the demo shows what the first worker saw surviving its death)."""
    t = schema.spans.c
    with store.engine.connect() as conn:
        found = conn.execute(
            sa.select(sa.func.count())
            .select_from(schema.spans)
            .where(
                t.session_id == session_id,
                t.state == Seen.ENGAGED.value,
                t.end_s - t.start_s >= 2.0,
            )
        ).scalar()
    return bool(found)


def people(length_s: float) -> Scenario:
    """Two members: one attentive, one who looks away during the other's turn."""
    return Scenario(
        (
            Script("ava", "Ava Attentive", speaks=((8.0, 16.0),)),
            Script(
                "ben",
                "Ben Wanderer",
                speaks=((20.0, 28.0),),
                steps=((8.0, 16.0, Behaviour.LOOKING_AWAY),),
            ),
        ),
        duration_s=length_s,
        fps=4.0,
    )


def chapter_file(folder: Path, name: str, url: str, room: int, channel: int = 0) -> None:
    (folder / f"{name.lower()}.toml").write_text(
        f'[chapter]\nname = "{name}"\n'
        f'[meeting]\nurl = "{url}"\nroom = {room}\n'
        f"[discord]\nchannel_id = {channel}\nfinish_timeout_s = 20.0\n"
        "[storage]\ncheckpoint_s = 2.0\n"
        "[timeline]\nlooking_away_dwell_s = 2.0\n"
        '[[roster]]\nname = "Ava Attentive"\nrole = "lead"\n[[roster]]\nname = "Ben Wanderer"\n',
        encoding="utf-8",
    )


async def run(
    chapters: int, minutes: float, out: TextIO, channels: tuple[int, ...] = ()
) -> dict[str, Any]:
    """Run the demo; `channels` (one Discord channel id per chapter) post the recaps with the
    bot token from the environment, else they go to the console outbox."""
    if channels and len(channels) != chapters:
        raise ConnectError(f"give one channel per chapter: {chapters} chapters, {len(channels)}")
    problem = sandbox_problem()
    if problem:
        raise ConnectError(f"the fleet demo cannot run here: {problem}")
    names = NAMES[:chapters]
    length = minutes * 60
    per_worker = math.ceil((chapters + 1) / 2)  # a free slot for the meeting handed over
    with (
        tempfile.TemporaryDirectory(prefix="meetbot-fleet-") as tmp,
        postgres_server() as pg,
        redis_server() as broker,
        processes() as procs,
    ):
        root = Path(tmp)
        folder, logs = root / "chapters", root / "logs"
        folder.mkdir()
        logs.mkdir()
        async with JanusServer() as janus:
            for i, name in enumerate(names):
                await janus.create_room(FIRST_ROOM + i)
                chapter_file(folder, name, janus.url, FIRST_ROOM + i, *channels[i : i + 1])
            discord = ("MEETBOT_DISCORD_TOKEN", "MEETBOT_DISCORD_API_BASE")
            env = {
                k: v
                for k, v in os.environ.items()
                if not k.startswith("MEETBOT_") or (channels and k in discord)
            }
            env |= {
                "MEETBOT_SANDBOX": "1",
                "MEETBOT_HOME": str(root / "home"),
                "MEETBOT_STORAGE__URL": pg,
                "MEETBOT_BROKER_URL": broker,
                "MEETBOT_CHAPTERS": str(folder),
            }
            lease = ("--lease-s", "20")
            print(
                f"starting: Redis, PostgreSQL, Janus, scheduler, 2 workers x {per_worker}", file=out
            )
            for i in (1, 2):
                procs.spawn(
                    logs / f"worker{i}.log", env, "fleet", "worker",
                    "--concurrency", str(per_worker), "--platforms", "janus", *lease,
                )  # fmt: skip
            procs.spawn(logs / "scheduler.log", env, "fleet", "scheduler", "--tick", "1", *lease)
            await workers_ready(broker, 2)
            engine = create_engine(pg)
            try:
                with Store.open(pg) as store:
                    claims = Claims(engine, lease_s=20)
                    return await _meetings(janus, claims, store, names, length, broker, logs, out)
            finally:
                engine.dispose()


async def _meetings(
    janus: JanusServer,
    claims: Claims,
    store: Store,
    names: tuple[str, ...],
    length: float,
    broker: str,
    logs: Path,
    out: TextIO,
) -> dict[str, Any]:
    began = time.monotonic()
    start = datetime.now(UTC) + timedelta(seconds=LEAD_S)
    keys = {}
    for name in names:
        occurrence = Occurrence(name, start, length)
        claims.plan(occurrence, join_before_s=LEAD_S + 5, one_off=True)
        keys[name] = occurrence.key
    print(f"{len(names)} meetings at {start:%H:%M:%S} UTC, {length:g} s each", file=out)
    clock = MonotonicClock()
    rooms = [
        asyncio.create_task(run_scenario(janus.url, FIRST_ROOM + i, people(length + 8), clock))
        for i in range(len(names))
    ]
    try:
        await until(
            "every meeting watched",
            lambda: all(claims.get(k).state is State.RUNNING for k in keys.values()),
            within_s=120,
            logs=logs,
        )
        duplicate = keys[names[-1]]
        send_join(make_app(broker, longest_meeting_s=length), duplicate)
        await until(
            "the duplicate job refused",
            lambda: claims.get(duplicate).duplicates > 0,
            within_s=60,
            logs=logs,
        )
        print(f"a duplicate job for {names[-1]}'s meeting was refused", file=out)
        victim = claims.get(keys[names[0]])
        await until(
            f"{names[0]}'s first checkpointed attentive member",
            lambda: engaged_saved(store, victim.session_id),
            within_s=60,
            logs=logs,
        )
        killed_at = checkpointed(store, victim.session_id)
        os.kill(int(victim.worker.rpartition(":")[2]), signal.SIGKILL)
        print(f"killed {victim.worker}, the worker process watching {names[0]}", file=out)
        taken = await until(
            f"another worker continuing {names[0]}",
            lambda: (r := claims.get(keys[names[0]])).claims > 1 and r.worker,
            within_s=90,
            logs=logs,
        )
        print(f"{names[0]} continued by {taken}", file=out)
        await until(
            "every meeting finished",
            lambda: all(
                claims.get(k).state in (State.FINISHED, State.FAILED) for k in keys.values()
            ),
            within_s=length + 120,
            logs=logs,
        )
    finally:
        for task in rooms:
            task.cancel()
        await asyncio.gather(*rooms, return_exceptions=True)
    summary = _summary(claims, store, keys, time.monotonic() - began, killed_at)
    if any(
        c["state"] != State.FINISHED.value or not c["recaps_posted"] for c in summary["chapters"]
    ):
        # Something went wrong in a worker: its log is the only account of it.
        print(await asyncio.to_thread(log_tails, logs), file=out)
    return summary


def _summary(
    claims: Claims, store: Store, keys: dict[str, str], elapsed_s: float, killed_at: float
) -> dict[str, Any]:
    entries = {e.dedupe_key: e for e in Outbox(store.engine).entries(limit=1000)}
    sent = {k for k, e in entries.items() if e.status is Status.SENT}
    chapters = []
    for name, key in keys.items():
        row = claims.get(key)
        sessions = [s.session_id for s in store.list_sessions(chapter=name)]
        item: dict[str, Any] = {
            "name": name,
            "sessions": sessions,
            "recaps_posted": sum(1 for s in sessions if f"recap:{s}" in sent),
            "handed_over": row.handovers > 0,
            "state": row.state.value,
            "workers": row.claims,
            "duplicates_refused": row.duplicates,
            "reason": row.reason or None,
            # What became of each recap: sent, or still pending/failed and why.
            "recaps": {
                s: f"{e.status.value}{': ' + e.last_error if e.last_error else ''}"
                for s in sessions
                if (e := entries.get(f"recap:{s}")) is not None
            },
        }
        if row.handovers and row.session_id:
            record = store.load(row.session_id)
            item["notes"] = list(record.notes)
            item["killed_at_s"] = round(killed_at, 1)
            # What each worker saw of it: the first up to the kill, the second after it.
            item["engaged_s"] = {
                "before_kill": _seconds(record.spans, Seen.ENGAGED, 0.0, killed_at),
                "after_kill": _seconds(record.spans, Seen.ENGAGED, killed_at, math.inf),
                "unknown_after_kill": _seconds(record.spans, Seen.UNKNOWN, killed_at, math.inf),
            }
        chapters.append(item)
    return {"chapters": chapters, "workers": 2, "elapsed_s": round(elapsed_s, 1)}


def _seconds(spans: Sequence[Span], state: Seen, start: float, end: float) -> float:
    return round(
        sum(max(0.0, min(s.end, end) - max(s.start, start)) for s in spans if s.state is state), 1
    )
