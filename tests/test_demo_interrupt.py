"""Ctrl-C during `meetbot demo` (issue 14): the meeting ends early, is saved, and the command
says so with the session's id, then reports it, instead of "interrupted" and nothing else.

Run as a user runs it: the outer command and the meeting process it starts in its own network
namespace, both sent the terminal's SIGINT (one process group).
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from meetbot.lab.janus_server import sandbox_problem
from meetbot.store import Store

pytestmark = [
    pytest.mark.janus,
    pytest.mark.slow,
    pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem())),
]


def test_ctrl_c_ends_the_demo_meeting_saved_and_says_which_session(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
    env |= {"MEETBOT_HOME": str(home)}  # no MEETBOT_SANDBOX: the outer/inner split of a user
    with subprocess.Popen(
        [sys.executable, "-m", "meetbot", "demo", "--minutes", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    ) as demo:
        assert demo.stdout is not None
        seen: list[str] = []
        try:
            while not any(" joined" in line for line in seen):
                ready, _, _ = select.select([demo.stdout], [], [], 300)
                assert ready, f"no one joined the demo meeting: {seen}"
                line = demo.stdout.readline()
                assert line, f"the demo ended before anyone joined: {seen}"
                seen.append(line.rstrip())
            os.killpg(demo.pid, signal.SIGINT)  # Ctrl-C in the terminal
            out, err = demo.communicate(timeout=300)
        finally:
            if demo.poll() is None:
                os.killpg(demo.pid, signal.SIGKILL)
    assert demo.returncode == 0, err[-3000:]
    assert "Traceback" not in err
    with Store.open("", home) as store:
        (stored,) = store.list_sessions()  # the interrupted one; no second meeting after it
        record = store.load(stored.session_id)
    assert "ended early: interrupted" in record.notes
    assert f"session {stored.session_id} saved" in out
    assert (home / "reports" / stored.session_id / "report.html").exists()
