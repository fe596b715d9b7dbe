"""meetbot processes for a region in a box: workers and schedulers started as child processes,
each in a process group of its own, and waits on what those processes show only in the
database or the broker. Used by `meetbot fleet demo`, the fleet tests and bench/fleet.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TypeVar

from meetbot.errors import MeetbotError
from meetbot.fleet.broker import make_app

T = TypeVar("T")


@dataclass
class Processes:
    """Child processes, each in its own process group (a worker's pool goes with it)."""

    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def spawn(self, log: Path, env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
        out: IO[bytes] = log.open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "meetbot", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        self.started.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@contextlib.contextmanager
def processes() -> Iterator[Processes]:
    running = Processes()
    try:
        yield running
    finally:
        running.stop_all()


async def until(
    what: str, check: Callable[[], T | None], within_s: float, logs: Path | None = None
) -> T:
    """Wait for other processes to reach a state; they only show it in the database."""
    deadline = time.monotonic() + within_s
    while True:
        found = await asyncio.to_thread(check)
        if found:
            return found
        if time.monotonic() > deadline:
            tails = "" if logs is None else await asyncio.to_thread(log_tails, logs)
            raise MeetbotError(f"timed out waiting for {what}\n{tails}".rstrip())
        await asyncio.sleep(0.5)


def log_tails(logs: Path) -> str:
    """The end of every worker log in `logs`, each under its name."""
    return "\n".join(
        f"--- {p.name}\n" + p.read_text(errors="replace")[-2500:]
        for p in sorted(logs.glob("*.log"))
    )


async def workers_ready(broker: str, count: int, within_s: float = 180.0) -> None:
    """Until `count` worker nodes answer Celery's ping (their start-up takes a while)."""
    control = make_app(broker, longest_meeting_s=3600).control
    deadline = time.monotonic() + within_s
    while len(await asyncio.to_thread(control.ping, timeout=1.0)) < count:
        if time.monotonic() > deadline:
            raise MeetbotError(f"{count} workers did not start within {within_s:g} s")
