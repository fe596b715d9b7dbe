"""meetbot.proc against real processes: a child that runs, one killed and not yet reaped (a
zombie), one reaped, and one whose command name holds ") " as /proc/PID/stat shows it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from meetbot import proc

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")


def test_a_child_runs_then_is_a_zombie_then_gone() -> None:
    child = subprocess.Popen(["sleep", "60"])
    try:
        assert proc.running(child.pid)
        assert not proc.zombie(child.pid)
        assert child.pid in proc.children(os.getpid())
        assert child.pid in proc.tree(os.getpid())
        assert child.pid in proc.pids()
        assert proc.cmdline(child.pid) == [b"sleep", b"60", b""]
        os.kill(child.pid, signal.SIGKILL)
        # Killed but not reaped: it stays a zombie until we wait for it.
        os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)
        assert proc.zombie(child.pid)
        assert not proc.running(child.pid)
        assert child.pid not in proc.children(os.getpid())  # a zombie runs nothing
    finally:
        child.kill()
        child.wait()
    assert proc.state(child.pid) is None
    assert proc.stat(child.pid) is None
    assert proc.cpu_seconds(child.pid) is None
    assert proc.cmdline(child.pid) is None
    assert not proc.running(child.pid)


def test_a_command_name_with_a_parenthesis_and_spaces_is_read_right(tmp_path: Path) -> None:
    odd = tmp_path / "a) b (c"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", odd)
    child = subprocess.Popen([str(odd), "60"])
    try:
        fields = proc.stat(child.pid)
        assert fields is not None
        assert fields[1] == str(os.getpid())  # the parent, not a word of the name
        assert proc.running(child.pid)
        assert child.pid in proc.children(os.getpid())
    finally:
        child.kill()
        child.wait()


def test_cpu_time_is_counted() -> None:
    before = proc.cpu_seconds(os.getpid())
    assert before is not None
    end = before + 0.05
    spent = before
    for _ in range(100_000):  # burn a little CPU until /proc shows it (seconds at most)
        sum(i * i for i in range(1_000))
        spent = proc.cpu_seconds(os.getpid()) or 0.0
        if spent >= end:
            break
    assert spent >= end
