"""What a region costs: meetings per machine, and the scheduler's, broker's and database's load.

    scripts/in-sandbox .venv/bin/python bench/fleet.py --chapters 500 --json

1. Meetings per 2-core machine on Janus: the bot's CPU in one 20-participant meeting, measured by
   bench/participants.py (a private Janus, 20 replayed publishers, the real bot), and how many
   such meetings fit in this machine's cores at 80 % (headroom for joins and recaps). The bot's
   process with detection off is the baseline of the same run.
2. The scheduler and broker for N chapters meeting at the same hour, against a real PostgreSQL
   and redis-server (meetbot.lab.services): a tick that plans every chapter's next meetings, a
   tick that queues all N join jobs at once, the broker's memory per queued job, and the
   database's cost per claim and per heartbeat. The baseline is an idle tick (nothing to do).
3. Scheduled start → admitted: a real `meetbot fleet worker` process (idle, Janus reachable)
   picking up a job queued AT the meeting's start (join_before_min = 0, the worst case: an
   invite for now), claiming it, and its bot getting into the room (the row's admitted_at);
   each meeting lasts eight seconds in an empty room. With a lead, the bot is in the room
   join_before_min minus this before the start.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import redis

from meetbot.config.schedule import Occurrence, Schedule
from meetbot.config.schema import ChapterSection, Settings
from meetbot.fleet.broker import QUEUE, make_app, send_join
from meetbot.fleet.chapters import Chapters
from meetbot.fleet.claims import Claims, State
from meetbot.fleet.scheduler import Scheduler
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.services import postgres_server, redis_server
from meetbot.lab.worker_processes import processes, until, workers_ready
from meetbot.proc import children
from meetbot.store.database import create_engine

HERE = Path(__file__).resolve().parent
HEADROOM = 0.8  # of the cores: joins, recaps and the OS need the rest


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def meetings_per_machine(seconds: float) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE / "participants.py"), "--participants", "20",
         "--seconds", str(seconds), "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"bench/participants.py failed: {done.stderr[-2000:]}")
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    bot = float(measured["bot_cpu_percent"])
    cores = os.cpu_count() or 1
    return {
        "participants": 20,
        "bot_cpu_percent": bot,
        "bot_cpu_percent_detection_off": measured["baseline"]["bot_cpu_percent"],
        "bot_rss_mb": measured.get("rss_mb"),
        "cores": cores,
        "meetings_per_machine": max(1, math.floor(cores * 100 * HEADROOM / max(bot, 1.0))),
    }


def region(chapters: int) -> Chapters:
    """`chapters` chapters all meeting on Tuesdays at 07:00, London time."""
    weekly = Schedule(weekdays=("tuesday",), start="07:00", timezone="Europe/London")
    by_name = {
        f"Chapter {i:03d}": Settings(chapter=ChapterSection(f"Chapter {i:03d}"), schedule=weekly)
        for i in range(chapters)
    }
    return Chapters(Path("bench"), by_name)


def scheduler_and_broker(chapters: int) -> dict[str, Any]:
    with postgres_server() as pg, redis_server() as broker:
        engine = create_engine(pg)
        claims = Claims(engine, lease_s=60)
        celery = make_app(broker, longest_meeting_s=5400)
        scheduler = Scheduler(region(chapters), claims, lambda key: send_join(celery, key))
        r = redis.Redis.from_url(broker)
        memory0 = int(r.info("memory")["used_memory"])
        tuesday = datetime(2031, 1, 7, 6, 0, tzinfo=UTC)  # an hour before the meetings
        t0, c0 = time.perf_counter(), cpu_s()
        planned = scheduler.tick(tuesday.timestamp())
        plan = (time.perf_counter() - t0, cpu_s() - c0)
        t0, c0 = time.perf_counter(), cpu_s()
        idle = scheduler.tick(tuesday.timestamp() + 60)  # baseline: nothing new to do
        idle_cost = (time.perf_counter() - t0, cpu_s() - c0)
        at = (tuesday + timedelta(minutes=58)).timestamp()  # 07:00 minus join_before_min
        t0, c0 = time.perf_counter(), cpu_s()
        sent = scheduler.tick(at)
        send = (time.perf_counter() - t0, cpu_s() - c0)
        queued = int(r.llen(QUEUE))
        memory = int(r.info("memory")["used_memory"]) - memory0
        keys = sent.sent
        t0 = time.perf_counter()
        for i, key in enumerate(keys):
            claims.claim(key, f"bench:{i}", now=at + 200)
        claim_s = (time.perf_counter() - t0) / max(len(keys), 1)
        t0 = time.perf_counter()
        for i, key in enumerate(keys):
            claims.beat(key, f"bench:{i}")
        beat_s = (time.perf_counter() - t0) / max(len(keys), 1)
        assert all(claims.get(k).state is State.RUNNING for k in keys[:3])
        engine.dispose()
    return {
        "chapters": chapters,
        "planned": len(planned.planned),
        "plan_tick_s": round(plan[0], 3),
        "plan_tick_cpu_s": round(plan[1], 3),
        "idle_tick_s": round(idle_cost[0], 4),
        "idle_tick_cpu_s": round(idle_cost[1], 4),
        "queue_tick_s": round(send[0], 3),
        "queue_tick_cpu_s": round(send[1], 3),
        "queue_ms_per_job": round(1000 * send[0] / max(len(keys), 1), 2),
        "queued_in_redis": queued,
        "redis_bytes_per_job": round(memory / max(queued, 1)),
        "claim_ms": round(1000 * claim_s, 2),
        "heartbeat_ms": round(1000 * beat_s, 2),
        "idle_problems": idle.problems,
    }


async def start_to_admitted(runs: int) -> dict[str, Any]:
    """A real worker process picking up jobs queued at their start: queue → claimed and
    scheduled start → admitted, `runs` times."""
    with (
        tempfile.TemporaryDirectory(prefix="meetbot-bench-") as tmp,
        postgres_server() as pg,
        redis_server() as broker,
        processes() as procs,
    ):
        async with JanusServer() as janus:
            await janus.create_room(9)
            folder = Path(tmp) / "chapters"
            folder.mkdir()
            (folder / "a.toml").write_text(
                f'[chapter]\nname = "Bench"\n[meeting]\nurl = "{janus.url}"\nroom = 9\n'
            )
            env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
            env |= {"MEETBOT_SANDBOX": "1", "MEETBOT_HOME": tmp, "MEETBOT_STORAGE__URL": pg,
                    "MEETBOT_BROKER_URL": broker, "MEETBOT_CHAPTERS": str(folder)}  # fmt: skip
            worker = procs.spawn(
                Path(tmp) / "worker.log", env, "fleet", "worker", "--concurrency", "1"
            )
            await workers_ready(broker, 1)
            engine = create_engine(pg)
            claims = Claims(engine, lease_s=60)
            celery = make_app(broker, longest_meeting_s=60)
            claimed, joined, admitted = [], [], []
            previous = None
            for _ in range(runs):
                # Idle means its pool process is ready: the one that ran the previous meeting
                # has been replaced (one meeting per process), else that start-up is timed.
                await until(
                    "an idle worker",
                    lambda gone=previous: (pool := pool_processes(worker.pid)) and gone not in pool,
                    within_s=120,
                )
                # An eight-second meeting in an empty room, queued at its start.
                occurrence = Occurrence("Bench", datetime.now(UTC), 8.0)
                claims.plan(occurrence, join_before_s=0)
                sent_at = time.time()
                send_join(celery, occurrence.key)
                row = await until(  # the worker is free again before the next job
                    "the meeting's end",
                    lambda key=occurrence.key: (
                        (r := claims.get(key)).state in (State.FINISHED, State.FAILED) and r
                    ),
                    within_s=120,
                )
                if row.since is None or row.admitted_at is None:
                    raise SystemExit(f"the bench meeting was never joined: {row.reason}")
                previous = int(row.worker.rpartition(":")[2])
                claimed.append(row.since - sent_at)
                joined.append(row.admitted_at - row.since)
                admitted.append(row.admitted_at - occurrence.start.timestamp())
            engine.dispose()
    return {
        "runs": runs,
        "queue_to_claimed_s": _spread(claimed),
        "claimed_to_admitted_s": _spread(joined),
        "start_to_admitted_s": _spread(admitted),
    }


def pool_processes(worker: int) -> list[int]:
    """The worker's pool processes: its children but the console-noise filter the CLI runs."""

    def filter_process(pid: int) -> bool:
        try:
            return "console_noise" in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
        except OSError:
            return False

    return [pid for pid in children(worker) if not filter_process(pid)]


def _spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "min": round(ordered[0], 2),
        "median": round(ordered[len(ordered) // 2], 2),
        "p90": round(ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)], 2),
        "max": round(ordered[-1], 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chapters", type=int, default=500, help="chapters meeting at one hour")
    ap.add_argument("--seconds", type=float, default=20.0, help="bot measurement window")
    ap.add_argument("--pickups", type=int, default=5, help="start → admitted runs")
    ap.add_argument(
        "--skip-meetings", action="store_true", help="skip part 1 (bench/participants.py)"
    )
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    problem = sandbox_problem()
    if problem is not None:
        ap.error(f"{problem} (e.g. scripts/in-sandbox .venv/bin/python bench/fleet.py)")
    result = {
        "meetings": {} if a.skip_meetings else meetings_per_machine(a.seconds),
        "scheduler": scheduler_and_broker(a.chapters),
        "pickup": asyncio.run(start_to_admitted(a.pickups)),
    }
    if a.json:
        print(json.dumps(result))
        return
    for part, figures in result.items():
        for key, value in figures.items():
            print(f"{part}.{key}: {value}")


if __name__ == "__main__":
    main()
