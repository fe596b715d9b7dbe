"""Lab servers never outlive the process that started them, even one killed with SIGKILL:
Redis dies with it, and the next PostgreSQL of the lab stops a cluster whose owner is gone and
deletes its folder (meetbot.lab.ownership). Real redis-server and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from meetbot.lab.ownership import OWNER_FILE, mark_owner, remove_stale
from meetbot.lab.services import ServiceMissing, postgres_service, redis_service

PREFIX = "meetbot-test-owned-"


def dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_only_folders_of_owners_gone_are_removed(tmp_path: Path) -> None:
    live, gone = tmp_path / f"{PREFIX}live", tmp_path / f"{PREFIX}gone"
    stray = tmp_path / f"{PREFIX}stray"  # no owner file: not ours to judge
    for folder in (live, gone, stray):
        folder.mkdir()
    mark_owner(live)
    (gone / OWNER_FILE).write_text(str(dead_pid()))
    stopped: list[Path] = []
    assert remove_stale(PREFIX, tmp_path, before=stopped.append) == [gone]
    assert stopped == [gone]
    assert live.exists()
    assert stray.exists()
    assert not gone.exists()


OWNER = """
import sys
from meetbot.lab.services import postgres_service, redis_service

with redis_service() as redis, postgres_service() as pg:
    assert redis.proc is not None
    print(redis.proc.pid, redis.folder, pg.root, flush=True)
    sys.stdin.read()  # until killed
"""


def _exited(pid: int, within_s: float) -> bool:
    """Whether process `pid` (not our child) ends within `within_s`."""
    try:
        watch = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([watch], [], [], within_s)  # readable once it exited
        return bool(ready)
    finally:
        os.close(watch)


@pytest.mark.postgres
def test_redis_and_postgres_do_not_outlive_an_owner_killed_with_sigkill() -> None:
    redis_pid = 0
    with subprocess.Popen(
        [sys.executable, "-c", OWNER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as owner:
        try:
            assert owner.stdout is not None
            ready, _, _ = select.select([owner.stdout], [], [], 120)
            line = owner.stdout.readline() if ready else ""
            if not line:
                owner.kill()
                pytest.skip("redis-server or PostgreSQL is not installed; run scripts/setup")
            pid, redis_folder, root_name = line.split()
            redis_pid, root = int(pid), Path(root_name)
            postmaster = int((root / "data" / "postmaster.pid").read_text().split()[0])
            owner.kill()  # as `kill -9` would: nothing runs its clean-up
            owner.wait(timeout=60)
            assert _exited(redis_pid, 60), "redis-server outlived its owner"
            with redis_service():  # the next Redis of the lab deletes the dead one's folder
                pass
            assert not Path(redis_folder).exists()
            assert root.exists()  # PostgreSQL runs on (pg_ctl made it a daemon) ...
            try:
                with postgres_service():  # ... until the next cluster of the lab starts
                    pass
            except ServiceMissing as exc:
                pytest.skip(str(exc))
            assert _exited(postmaster, 60), "the killed owner's PostgreSQL still runs"
            assert not root.exists()
        finally:
            owner.kill()
            with contextlib.suppress(ProcessLookupError):
                if redis_pid:
                    os.kill(redis_pid, signal.SIGKILL)  # only if the test failed: no orphan
