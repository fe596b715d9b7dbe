"""`meetbot fleet status` lists the workers, idle ones too, against real worker processes, a real
redis-server and a real PostgreSQL: a worker shows up with its free slots once it takes jobs,
one stopped cleanly is removed, one killed is marked gone once its lease has lapsed."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis_server import free_port, redis_server

from meetbot.cli import main
from meetbot.config.schedule import Occurrence
from meetbot.fleet.chapters import load_folder
from meetbot.fleet.claims import Claims
from meetbot.fleet.jobs import JobContext
from meetbot.fleet.status import as_json, as_text
from meetbot.fleet.worker import Presence
from meetbot.fleet.workers import Worker, Workers
from meetbot.lab.worker_processes import processes, until
from meetbot.store.database import create_engine

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parent.parent
LEASE_S = 4.0
WORKER = ("--platforms", "janus", "--concurrency", "2", "--lease-s", str(LEASE_S))


def chapters(folder: Path) -> Path:
    folder.mkdir()
    (folder / "a.toml").write_text(
        f'[chapter]\nname = "Alder"\n[meeting]\nurl = "ws://127.0.0.1:{free_port()}/"\n'
    )
    return folder


def status(*extra: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["fleet", "status", "--lease-s", str(LEASE_S), *extra]) == 0
    return out.getvalue()


def workers() -> dict[str, dict[str, Any]]:
    return {w["name"]: w for w in json.loads(status("--json"))["workers"]}


@pytest.fixture
def region(
    tmp_path: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[dict[str, str]]:
    folder = chapters(tmp_path / "chapters")
    with redis_server() as broker:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
        env |= {
            "MEETBOT_HOME": str(tmp_path / "home"),
            "MEETBOT_STORAGE__URL": pg_url,
            "MEETBOT_BROKER_URL": broker,
            "MEETBOT_CHAPTERS": str(folder),
            "PYTHONPATH": str(ROOT),
        }
        for name in ("MEETBOT_STORAGE__URL", "MEETBOT_CHAPTERS"):
            monkeypatch.setenv(name, env[name])
        yield env


async def test_idle_workers_show_and_stopped_ones_leave_or_go(
    region: dict[str, str], tmp_path: Path
) -> None:
    assert "workers (0 alive, 0 gone):\n  none: start `meetbot fleet worker`" in status()
    host = socket.gethostname()
    with processes() as procs:
        started = [
            procs.spawn(tmp_path / f"worker{i}.log", region, "fleet", "worker", *WORKER)
            for i in (1, 2)
        ]
        names = {f"{host}:{p.pid}" for p in started}
        seen = await until(
            "both workers in fleet status",
            lambda: (w := workers()).keys() == names and w,
            within_s=240,
            logs=tmp_path,
        )
        for worker in seen.values():
            assert worker["state"] == "alive"
            assert (worker["platforms"], worker["concurrency"]) == (["janus"], 2)
            assert (worker["free"], worker["meetings"]) == (2, [])  # idle
        assert "workers (2 alive, 0 gone):" in status()

        stopped, killed = started
        stopped.send_signal(signal.SIGTERM)  # a clean stop (systemctl stop): it leaves
        assert stopped.wait(timeout=120) == 0
        await until(
            "the stopped worker removed",
            lambda: workers().keys() == {f"{host}:{killed.pid}"},
            within_s=30,
        )

        os.killpg(killed.pid, signal.SIGKILL)  # a dead machine: no goodbye
        killed.wait()
        gone = await until(
            "the killed worker marked gone",
            lambda: (w := workers()[f"{host}:{killed.pid}"])["state"] == "gone" and w,
            within_s=60,
        )
        assert gone["seen_s_ago"] > LEASE_S
        assert f"{host}:{killed.pid}" in status()
        assert "workers (0 alive, 1 gone):" in status()
        assert "GONE: not seen for" in status()


def test_a_worker_lists_the_meetings_its_pool_runs(region: dict[str, str], tmp_path: Path) -> None:
    """The presence of this (test) process, whose child plays a pool process holding a
    meeting: the meeting is listed and one slot is taken."""
    engine = create_engine(region["MEETBOT_STORAGE__URL"])
    claims = Claims(engine, lease_s=LEASE_S)
    occurrence = Occurrence("Alder", datetime.now(UTC) + timedelta(seconds=30), 600.0)
    claims.plan(occurrence, join_before_s=60)
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        claims.claim(occurrence.key, f"{socket.gethostname()}:{child.pid}")
        context = JobContext(load_folder(region["MEETBOT_CHAPTERS"]), claims)
        presence = Presence(context, Workers(engine), concurrency=2)
        presence.beat()
        (me,) = Workers(engine).all()
        assert me.name == f"{socket.gethostname()}:{os.getpid()}"
        assert me.meetings == (occurrence.key,)
        assert me.free == 1
        assert f"running {occurrence.key}" in status()
        presence.leave()
        assert Workers(engine).all() == []
    finally:
        child.communicate(b"")
        engine.dispose()


@pytest.mark.parametrize("unseen_s", [3.95, 3.99, 4.0, 4.01, 4.04, 4.09, 4.1])
def test_the_seconds_status_prints_agree_with_alive_or_gone(unseen_s: float) -> None:
    """A worker is gone once unseen for longer than the lease; the tenths printed say so too
    (plain rounding printed 4.04 s as 4.0 beside a 4 s lease; two gates met it)."""
    now = 1_000_000.0
    worker = Worker("h:1", "h", ("janus",), 1, (), now - 60, now - unseen_s)
    (shown,) = as_json([], now, workers=[worker], lease_s=LEASE_S)["workers"]
    if shown["state"] == "gone":
        assert shown["seen_s_ago"] > LEASE_S
        assert f"not seen for {shown['seen_s_ago']:g} s (lease 4 s)" in as_text(
            [], now, workers=[worker], lease_s=LEASE_S
        )
    else:
        assert shown["seen_s_ago"] <= LEASE_S
    assert abs(shown["seen_s_ago"] - unseen_s) < 0.1
