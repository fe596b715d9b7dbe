"""A demo killed with kill -9 leaves its session marked running; the next demo that fails names
it and says how to recover it, instead of only blaming Janus and unshare (issue 23).

The meeting half fails here for real and at once: scripts/in-sandbox finds no unshare on a PATH
holding only bash. The leftover is a session begun in the store and never finished, which is
what a killed demo leaves.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from meetbot import app
from meetbot.domain.header import SessionHeader
from meetbot.lab import demo
from meetbot.session import new_session_id


def left_running(home: Path) -> str:
    settings = demo.settings(3)
    started = datetime.now(UTC)
    header = SessionHeader(
        session_id=new_session_id(started),
        chapter=settings.to_chapter(),
        started_at=started,
        platform="janus",
        room="4242",
    )
    with app.open_store(settings) as store:
        store.begin(header, settings.domain())
    return header.session_id


def test_a_failed_demo_names_the_session_a_killed_demo_left_running(
    tmp_path: Path, isolated_meetbot_env: Path
) -> None:
    sid = left_running(isolated_meetbot_env)
    bare = tmp_path / "bin"
    bare.mkdir()
    bash = shutil.which("bash")
    assert bash is not None
    (bare / "bash").symlink_to(bash)
    env = {k: v for k, v in os.environ.items() if k != "MEETBOT_SANDBOX"}
    env |= {"PATH": str(bare), "MEETBOT_HOME": str(isolated_meetbot_env)}
    done = subprocess.run(
        [sys.executable, "-m", "meetbot", "demo", "--participants", "3", "--minutes", "0.5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    *above, last = done.stderr.strip().splitlines()
    assert any("in-sandbox: needs unshare" in line for line in above)  # the real cause
    assert last == (
        "meetbot: the demo meeting failed (exit 2); the lines above say why. Demo session "
        f"{sid} is still marked running: an earlier demo was stopped before it could save it "
        f"(or is still running). Once no demo runs, `meetbot report {sid}` recovers it; "
        "`meetbot sessions` lists every session"
    )
