"""Lab servers never outlive the process that started them, even one killed with SIGKILL:
Redis dies with it, and the next PostgreSQL of the lab stops a cluster whose owner is gone and
deletes its folder (meetbot.lab.ownership). Real redis-server and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from meetbot.lab.ownership import OWNER_FILE, mark_owner, owned, remove_stale
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


SPAWN_WHILE_DECODING = """
import sys, threading
import av, numpy as np
from meetbot.lab.services import redis_service

stop = threading.Event()

def convert() -> None:  # what the media drain does all meeting: a scaler made and freed
    picture = np.zeros((240, 320, 3), np.uint8)
    while not stop.is_set():
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
        frame.reformat(width=160, height=120, format="yuv420p", interpolation="BILINEAR")

threads = [threading.Thread(target=convert, daemon=True) for _ in range(2)]
for thread in threads:
    thread.start()
for _ in range(int(sys.argv[1])):
    with redis_service():
        pass
stop.set()
print("spawned", flush=True)
"""


def test_lab_servers_start_while_pyav_threads_convert_frames() -> None:
    """A lab server spawned while PyAV threads make and free scalers, many times in a row, never
    hangs: no Python runs between fork and exec. With a pre-exec function the forked child froze in
    `sws_freeContext` (a fresh machine's gate hung four times on it), within a few dozen spawns
    here; the child runs in its own session so that a child stuck that way is killed with it."""
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed; run scripts/setup")
    with subprocess.Popen(
        [sys.executable, "-c", SPAWN_WHILE_DECODING, "120"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    ) as owner:
        try:
            out, _ = owner.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(owner.pid, signal.SIGKILL)
            owner.communicate()
            pytest.fail("spawning a lab server hung while PyAV threads converted frames")
    assert owner.returncode == 0, out
    assert "spawned" in out


def test_servers_are_wrapped_to_die_with_their_owner() -> None:
    """The wrapper names its owner, and a parent that is already gone gets no server: the
    shell sees it is not its parent's child any more and exits before the exec."""
    argv = owned(["sleep", "30"], parent=dead_pid())
    assert argv[1:4] == ["--pdeathsig", "KILL", "--"]
    result = subprocess.run(argv, check=False, timeout=30)
    assert result.returncode == 97
    assert subprocess.run(owned(["true"]), check=False, timeout=30).returncode == 0
