"""The lab's private Janus: config, rooms, restart, and a clear error without janus."""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from janus_room import on_a_janus_that_survives

from meetbot.connectors.janus_session import JanusError, JanusSession, plugin_data, server_info
from meetbot.errors import ConnectError
from meetbot.lab.janus_server import (
    JanusCrashed,
    JanusServer,
    remove_stale_folders,
    sandbox_problem,
)

in_sandbox = pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))


async def test_missing_janus_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ConnectError, match="janus is not installed; apt-get install janus"):
        async with JanusServer():
            pass


def test_sandbox_problem_says_how_to_get_in(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEETBOT_SANDBOX", raising=False)
    assert sandbox_problem() == (
        "not inside the test network namespace; run: scripts/in-sandbox .venv/bin/pytest"
    )


async def _rooms(url: str) -> dict[int, dict[str, object]]:
    async with JanusSession(url) as session:
        handle = await session.attach()
        listing = plugin_data(await handle.message({"request": "list"}))
    return {room["room"]: room for room in listing["list"]}


@pytest.mark.janus
@in_sandbox
async def test_config_is_private_and_loopback_only() -> None:
    async with JanusServer() as janus:
        assert janus.url.startswith("ws://127.0.0.1:")
        jcfg = (janus.folder / "janus.jcfg").read_text()
        ws = (janus.folder / "janus.transport.websockets.jcfg").read_text()
        assert f'configs_folder = "{janus.folder}"' in jcfg
        assert 'ice_enforce_list = "mv0"' in jcfg
        assert "ipv6 = false" in jcfg
        assert "ignore_mdns = true" in jcfg
        assert "stun_server" not in jcfg.replace("no stun_server", "")
        assert 'ws_ip = "127.0.0.1"' in ws
        assert f"ws_port = {janus.port}" in ws
        assert not list(janus.folder.glob("*.txt"))  # templates rendered, not copied


@pytest.mark.janus
@in_sandbox
async def test_rooms_have_talking_events_and_survive_a_restart() -> None:
    async with JanusServer() as janus:
        await janus.create_room(5, pin="9", audio_level_average=35, audio_active_packets=40)
        before = await _rooms(janus.url)
        url = janus.url
        await janus.restart(kill=True)
        assert janus.url == url
        after = await _rooms(janus.url)
    for rooms in (before, after):
        room = rooms[5]
        assert room["audiolevel_event"] is True
        assert room["audiolevel_ext"] is True
        assert room["audio_level_average"] == 35
        assert room["audio_active_packets"] == 40
        assert room["pin_required"] is True


@pytest.mark.janus
@in_sandbox
async def test_a_janus_that_died_says_how_in_the_lab_error() -> None:
    """A crashed Janus (a gate once lost its session on `destroy`) is named in the error, with
    its exit and the end of its log, which its folder takes away when the server is closed."""
    async with JanusServer() as janus:
        await janus.create_room(5)
        assert janus.pid is not None
        limits = (await asyncio.to_thread(Path(f"/proc/{janus.pid}/limits").read_text)).splitlines()
        core = next(line for line in limits if line.startswith("Max core file size"))
        assert core.split()[4:6] == ["0", "0"], core  # a crash leaves no memory (media) on disk
        os.kill(janus.pid, signal.SIGSEGV)
        with pytest.raises(JanusCrashed, match=r"janus exited \(signal SIGSEGV\); its log ends: "):
            await janus.destroy_room(5)
        await janus.restart(kill=True)
        await janus.create_room(6)
        with pytest.raises(JanusError, match="exists"):  # an alive Janus's refusal stays itself
            await janus.create_room(6)


@pytest.mark.janus
@in_sandbox
async def test_a_meeting_whose_janus_crashed_runs_again_and_other_failures_do_not() -> None:
    runs: list[int] = []

    async def meeting() -> int:
        runs.append(len(runs))
        async with JanusServer() as janus, asyncio.TaskGroup() as group:
            await janus.create_room(5)
            if len(runs) == 1:  # the first run's Janus crashes, inside a task as a bot's would
                assert janus.pid is not None
                os.kill(janus.pid, signal.SIGSEGV)
                group.create_task(janus.destroy_room(5))
            else:
                await janus.destroy_room(5)
        return len(runs)

    assert await on_a_janus_that_survives(meeting) == 2

    async def refused() -> None:
        runs.append(len(runs))
        async with JanusServer() as janus:
            await janus.destroy_room(5)  # no such room: Janus refuses, and stays up

    runs.clear()
    with pytest.raises(JanusError, match="No such room"):
        await on_a_janus_that_survives(refused)
    assert runs == [0]


@pytest.mark.janus
@in_sandbox
async def test_stopping_really_stops_janus() -> None:
    async with aiohttp.ClientSession() as http:
        async with JanusServer() as janus:
            url = janus.url
            assert (await server_info(url, http))["janus"] == "server_info"
        with pytest.raises(ConnectError, match="cannot reach Janus"):
            await server_info(url, http)


OWNER = """
import asyncio
from meetbot.lab.janus_server import JanusServer

async def main():
    async with JanusServer() as janus:
        print(janus.pid, janus.folder, flush=True)
        await asyncio.Event().wait()

asyncio.run(main())
"""


@pytest.mark.janus
@in_sandbox
def test_janus_and_its_secret_folder_do_not_outlive_an_owner_killed_with_sigkill() -> None:
    # As when `meetbot demo`'s meeting process is killed -9: nothing runs its clean-up.
    janus_pid = 0
    with subprocess.Popen(
        [sys.executable, "-c", OWNER], stdout=subprocess.PIPE, text=True
    ) as owner:
        try:
            assert owner.stdout is not None
            ready, _, _ = select.select([owner.stdout], [], [], 120)
            assert ready, "the owner never reported a running Janus"
            pid, folder_name = owner.stdout.readline().split(maxsplit=1)
            janus_pid, folder = int(pid), Path(folder_name.strip())
            assert (folder / "janus.jcfg").exists()
            watch = os.pidfd_open(janus_pid)
            owner.kill()
            owner.wait(timeout=60)
            try:
                gone, _, _ = select.select([watch], [], [], 60)  # readable once Janus exited
            finally:
                os.close(watch)
            assert gone, "Janus outlived the process that started it"
        finally:
            owner.kill()
            with contextlib.suppress(ProcessLookupError):
                if janus_pid:
                    os.kill(janus_pid, signal.SIGKILL)  # only if the test failed: no orphan
    assert folder.exists()  # nobody could clean up: the next server does
    assert folder in remove_stale_folders()
    assert not folder.exists()
