"""What the outbox tests share: a clock that only the outbox's own waits move, a bot's outbox
loop's sleep that counts its passes, and `meetbot` run as a user runs it later (a separate
process on the same data folder)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path


class FakeTime:
    """The outbox's clock and sleep in one: time passes only while the outbox waits, so a
    deadline is checked on this clock, never on the wall."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.start = self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Passes:
    """A bot's outbox-loop sleep: counts the loop's passes (each ends in one), sleeps for real."""

    def __init__(self) -> None:
        self.count = 0
        self.changed = asyncio.Condition()

    async def __call__(self, seconds: float) -> None:
        async with self.changed:
            self.count += 1
            self.changed.notify_all()
        await asyncio.sleep(seconds)

    async def more(self, n: int) -> None:
        """Until `n` more passes have ended."""
        async with asyncio.timeout(30), self.changed:
            target = self.count + n
            await self.changed.wait_for(lambda: self.count >= target)


def chapter_file(folder: Path, channel_id: int) -> Path:
    """A minimal chapter file that posts to `channel_id` with the bot."""
    path = folder / "chapter.toml"
    path.write_text(
        f'[chapter]\nname = "Riverside"\n\n[discord]\nchannel_id = {channel_id}\n',
        encoding="utf-8",
    )
    return path


async def meetbot(*args: str, **env: str) -> tuple[int, str, str]:
    """Run the real `meetbot` in a child process, while this loop keeps serving the fake."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "meetbot",
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(60):
            out, err = await proc.communicate()
    finally:
        if proc.returncode is None:  # timed out: no child may outlive its test
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
