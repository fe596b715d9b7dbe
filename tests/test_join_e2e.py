"""`meetbot join` as a user runs it: a real process in a real Janus room, ended with Ctrl-C.

Ctrl-C means "stop watching", not "lose the meeting": the process must still save the session,
write the report and hand the recap to the outbox, then exit 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from meetbot.clock import MonotonicClock
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.lab.scenario import Scenario, Script
from meetbot.lab.stage import render_faces, run_scenario
from meetbot.store import SessionStatus, Store

pytestmark = [
    pytest.mark.janus,
    pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem())),
]

ROOM = 5151


async def _read_until(stream: IO[str], needle: str, seen: list[str]) -> None:
    while True:
        line = await asyncio.to_thread(stream.readline)
        if not line:
            raise AssertionError(f"meetbot join ended before printing {needle!r}: {seen}")
        seen.append(line.rstrip())
        if needle in line:
            return


PEOPLE = Scenario(
    (
        Script("ann", "Ann Lee", speaks=((2.0, 8.0),)),
        Script("bo", "Bo Chen (phone)"),
    ),
    duration_s=40.0,
)


async def test_ctrl_c_saves_reports_and_posts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    chapter = tmp_path / "chapter.toml"
    # Rendered before anyone's clock runs: on a busy machine this alone takes over ten
    # seconds, which would have Ann join after her own turn.
    faces = await render_faces(PEOPLE)
    async with JanusServer() as janus:
        await janus.create_room(ROOM)
        chapter.write_text(
            f'[chapter]\nname = "Join test"\n[meeting]\nurl = "{janus.url}"\nroom = {ROOM}\n'
            '[[roster]]\nname = "Ann Lee"\n[[roster]]\nname = "Bo Chen"\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
        # Unbuffered: the bot's first lines must reach the test as they are printed.
        env |= {"MEETBOT_HOME": str(home), "MEETBOT_SANDBOX": "1", "PYTHONUNBUFFERED": "1"}
        # Plain subprocess read from a thread: asyncio's child watcher sometimes loses the exit
        # status under pytest-asyncio ("Unknown child process pid").
        proc = subprocess.Popen(  # noqa: ASYNC220 - starting it is instant; waits are threaded
            [sys.executable, "-m", "meetbot", "join", "--config", str(chapter), "--minutes", "5"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert proc.stdout is not None
        seen: list[str] = []
        scenario: asyncio.Task[object] | None = None
        try:
            # The people come once the bot is in the room (loading mediapipe and joining can
            # take half a minute on a busy machine), so it hears Ann's whole turn.
            async with asyncio.timeout(180):
                await _read_until(proc.stdout, "meetbot: joining as", seen)
            scenario = asyncio.create_task(
                run_scenario(janus.url, ROOM, PEOPLE, MonotonicClock(), book=faces)
            )
            async with asyncio.timeout(120):
                await _read_until(proc.stdout, "Ann Lee stops speaking", seen)
            proc.send_signal(signal.SIGINT)
            rest, _ = await asyncio.to_thread(proc.communicate, timeout=120)
            code = proc.returncode
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()  # communicate() closes it; a failed wait would leave it open
            if scenario is not None:
                scenario.cancel()
                await asyncio.gather(scenario, return_exceptions=True)
    output = "\n".join(seen) + "\n" + rest
    assert code == 0, output
    assert "meetbot: joining as 'meetbot (attendance bot)'" in output  # announced, visible
    assert "meetbot: Hi, I'm meetbot." in output  # once in the room
    assert "Ann Lee joined" in output
    assert "session " in rest
    assert "saved" in rest
    assert "recap → console: sent" in rest
    with Store.open("", home) as store:
        (summary,) = store.list_sessions()
        record = store.load(summary.session_id)
    assert summary.status is SessionStatus.SAVED
    assert "ended early: interrupted" in record.notes
    names = {a.person for a in record.attendees if a.joined_at is not None}
    assert names == {"Ann Lee", "Bo Chen"}  # "Bo Chen (phone)" is Bo
    assert (home / "reports" / record.session_id / "report.html").exists()


async def test_a_report_folder_that_cannot_be_written_makes_join_exit_1(tmp_path: Path) -> None:
    # Issue 23, L5b: no report files and a failed console recap used to end with exit 0.
    home = tmp_path / "home"
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the reports folder should be", encoding="utf-8")
    chapter = tmp_path / "chapter.toml"
    async with JanusServer() as janus:
        await janus.create_room(ROOM)
        chapter.write_text(
            f'[chapter]\nname = "Join test"\n[meeting]\nurl = "{janus.url}"\nroom = {ROOM}\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
        env |= {
            "MEETBOT_HOME": str(home),
            "MEETBOT_SANDBOX": "1",
            "MEETBOT_REPORTS__OUT_DIR": str(blocked / "reports"),
        }
        # An empty room watched for six seconds; Janus answers from its own process meanwhile.
        done = subprocess.run(  # noqa: ASYNC221
            [sys.executable, "-m", "meetbot", "join", "--config", str(chapter), "--minutes", "0.1"],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    with Store.open("", home) as store:
        (summary,) = store.list_sessions()  # the record is kept
    sid = summary.session_id
    assert summary.status is SessionStatus.SAVED
    assert "recap → console: failed" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == (
        f"meetbot: session {sid} is saved, but its report files were not written and its recap "
        f"was not delivered; once the cause above is fixed, `meetbot report {sid}` writes them "
        "and `meetbot outbox --retry` delivers it"
    )
