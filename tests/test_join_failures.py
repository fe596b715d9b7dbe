"""A join that fails stores nothing and says why in one line (issue 14, item 2).

Janus down, a wrong room, a wrong or missing pin: the bot was never in the meeting, so no
session may be stored (it used to be one in which every member was absent) and the command
prints the ConnectError's line (it used to be an ExceptionGroup traceback). The same holds for
a meeting ended (Ctrl-C, the end time) while the bot is still joining: here a real Janus that
is frozen (SIGSTOP) accepts the connection and never answers, as a stuck server does.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from meetbot import app, config
from meetbot.clock import MonotonicClock
from meetbot.errors import ConnectError, StoppedWhileJoining
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


def chapter(folder: Path, url: str, room: int, pin: str, join_timeout_s: float = 2.0) -> Path:
    path = folder / "chapter.toml"
    path.write_text(
        f'[chapter]\nname = "Join failures"\n[meeting]\nurl = "{url}"\nroom = {room}\n'
        f'pin = "{pin}"\njoin_timeout_s = {join_timeout_s}\n[[roster]]\nname = "Ann Lee"\n',
        encoding="utf-8",
    )
    return path


@contextlib.contextmanager
def frozen(janus: JanusServer) -> Iterator[None]:
    """Janus stopped (SIGSTOP): its socket still accepts, nothing answers, until the block ends."""
    assert janus.pid is not None
    os.kill(janus.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(janus.pid, signal.SIGCONT)


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
    # Said only once the bot is in the room (issue 23, L7): never before a join that fails.
    assert "meetbot: joining as" in done.stdout
    assert settings.meeting.announce not in done.stdout
    with Store.open("", home) as store:
        assert store.list_sessions() == []


async def test_the_end_time_while_still_joining_stores_nothing(tmp_path: Path) -> None:
    async with JanusServer() as janus:
        await janus.create_room(ROOM, pin=PIN)
        # The join would wait a minute for the frozen Janus; the meeting's end comes first.
        settings = config.load(chapter(tmp_path, janus.url, ROOM, PIN, 60.0), env={})
        with Store.open("", tmp_path) as store, frozen(janus):
            with pytest.raises(StoppedWhileJoining) as caught:
                await app.watch(settings, store, MonotonicClock(), until_s=3.0)
            assert caught.value.interrupted is False
            assert store.list_sessions() == []  # used to be a 3 s meeting with Ann absent
            assert store.unfinished() == []


async def test_ctrl_c_while_still_joining_says_nothing_was_recorded(tmp_path: Path) -> None:
    home = tmp_path / "home"
    async with JanusServer() as janus:
        await janus.create_room(ROOM, pin=PIN)
        settings = config.load(chapter(tmp_path, janus.url, ROOM, PIN, 60.0), env={})
        env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
        env |= {"MEETBOT_HOME": str(home), "MEETBOT_SANDBOX": "1", "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "meetbot", "join", "--config", settings.source]
        # Janus is frozen and answers nothing: this loop has nothing to serve while it waits.
        with (
            frozen(janus),
            subprocess.Popen(  # noqa: ASYNC220
                [*command, "--minutes", "30"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            ) as bot,
        ):
            assert bot.stdout is not None
            try:
                ready, _, _ = select.select([bot.stdout], [], [], 300)
                assert ready, "the bot never started joining"
                assert bot.stdout.readline().startswith("meetbot: joining as")
                bot.send_signal(signal.SIGINT)  # Ctrl-C while the join waits for Janus
                out, err = bot.communicate(timeout=120)
            finally:
                if bot.poll() is None:
                    bot.kill()
    assert bot.returncode == 130, err[-2000:]
    assert err.strip().splitlines() == [
        "meetbot: interrupted before the bot was admitted to the meeting; nothing was recorded"
    ]
    assert "saved" not in out
    with Store.open("", home) as store:
        assert store.list_sessions() == []
