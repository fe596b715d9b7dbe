"""A join that fails stores nothing and says why in one line (issue 14, item 2).

Janus down, a wrong room, a wrong or missing pin: the bot was never in the meeting, so no
session may be stored (it used to be one in which every member was absent) and the command
prints the ConnectError's line (it used to be an ExceptionGroup traceback).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from meetbot import app, config
from meetbot.clock import MonotonicClock
from meetbot.errors import ConnectError
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.store import Store

pytestmark = [
    pytest.mark.janus,
    pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem())),
]

ROOM = 6161
PIN = "2468"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chapter(folder: Path, url: str, room: int, pin: str) -> Path:
    path = folder / "chapter.toml"
    path.write_text(
        f'[chapter]\nname = "Join failures"\n[meeting]\nurl = "{url}"\nroom = {room}\n'
        f'pin = "{pin}"\njoin_timeout_s = 2.0\n[[roster]]\nname = "Ann Lee"\n',
        encoding="utf-8",
    )
    return path


async def test_a_join_that_fails_stores_nothing(tmp_path: Path) -> None:
    async with JanusServer() as janus:
        await janus.create_room(ROOM, pin=PIN)
        cases = {
            "janus down": (f"ws://127.0.0.1:{closed_port()}/", ROOM, PIN, "ws://127.0.0.1:"),
            "wrong room": (janus.url, ROOM + 1, PIN, "check meeting.room"),
            "wrong pin": (janus.url, ROOM, "1111", "check meeting.pin"),
            "missing pin": (janus.url, ROOM, "", "needs a pin; set meeting.pin"),
        }
        for case, (url, room, pin, says) in cases.items():
            settings = config.load(chapter(tmp_path, url, room, pin), env={})
            with Store.open("", tmp_path / case.replace(" ", "-")) as store:
                with pytest.raises(ConnectError) as caught:
                    await app.watch(settings, store, MonotonicClock(), until_s=60.0)
                assert type(caught.value) is not ExceptionGroup, case
                assert says in str(caught.value), (case, caught.value)
                assert store.list_sessions() == [], case  # no phantom meeting


async def test_the_command_says_it_in_one_line_and_stores_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with JanusServer() as janus:
        await janus.create_room(ROOM, pin=PIN)
        settings = config.load(chapter(tmp_path, janus.url, ROOM + 1, PIN), env={})
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
        env |= {"MEETBOT_HOME": str(home), "MEETBOT_SANDBOX": "1"}
        command = [sys.executable, "-m", "meetbot", "join", "--config", settings.source]
        # Janus answers from its own process while this one waits for the command.
        done = subprocess.run(  # noqa: ASYNC221
            [*command, "--minutes", "5"],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
    assert done.returncode == 2, done.stderr[-2000:]
    (line,) = done.stderr.strip().splitlines()
    assert line == (f"meetbot: room {ROOM + 1} does not exist on {janus.url}; check meeting.room")
    with Store.open("", home) as store:
        assert store.list_sessions() == []
