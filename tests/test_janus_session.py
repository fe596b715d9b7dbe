"""The Janus WebSocket session against a real Janus: transactions, errors, loss."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest

from meetbot.connectors.janus_session import (
    JanusError,
    JanusSession,
    SessionLost,
    plugin_data,
    server_info,
)
from meetbot.errors import ConnectError
from meetbot.lab.janus_server import JanusServer, sandbox_problem

in_sandbox = pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem()))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nobody listens once the socket closes


async def test_unreachable_server_is_a_connect_error_naming_the_url() -> None:
    url = f"ws://127.0.0.1:{_closed_port()}/"
    with pytest.raises(ConnectError, match=f"cannot reach Janus at {url}.*check meeting.url"):
        async with JanusSession(url, timeout_s=2.0):
            pass


@pytest.mark.janus
@in_sandbox
async def test_plugin_requests_answer_sync_and_async() -> None:
    async with JanusServer() as janus:
        await janus.create_room(77)
        async with JanusSession(janus.url) as session:
            assert session.id is not None
            handle = await session.attach()
            listing = plugin_data(await handle.message({"request": "list"}))  # sync `success`
            assert [room["room"] for room in listing["list"]] == [77]
            joined = plugin_data(  # `ack` first, then the `event` that answers
                await handle.message(
                    {"request": "join", "ptype": "publisher", "room": 77, "display": "t"}
                )
            )
            assert joined["videoroom"] == "joined"
            assert joined["room"] == 77


@pytest.mark.janus
@in_sandbox
async def test_plugin_refusal_carries_janus_code_and_text() -> None:
    async with JanusServer() as janus, JanusSession(janus.url) as session:
        handle = await session.attach()
        with pytest.raises(JanusError, match=r"join: No such room \(999\)") as caught:
            await handle.message({"request": "join", "ptype": "publisher", "room": 999})
        assert caught.value.code == 426


@pytest.mark.janus
@in_sandbox
async def test_core_refusal_is_a_janus_error() -> None:
    async with JanusServer() as janus, JanusSession(janus.url) as session:
        with pytest.raises(JanusError, match="attach") as caught:
            await session.attach("janus.plugin.nonexistent")
        assert caught.value.code != 0


@pytest.mark.janus
@in_sandbox
async def test_janus_going_away_ends_the_session_and_its_event_streams() -> None:
    async with JanusServer() as janus, JanusSession(janus.url) as session:
        handle = await session.attach()
        await janus.restart(kill=True)
        events = [msg async for msg in handle.events()]  # ends when the session is lost
        assert session.lost.is_set()
        assert session.lost_reason == "Janus closed the connection"
        assert all(msg.get("janus") for msg in events)
        with pytest.raises(SessionLost, match="is gone"):
            await session.attach()


@pytest.mark.janus
@in_sandbox
async def test_keepalives_keep_a_session_that_janus_would_time_out() -> None:
    async with (
        JanusServer(session_timeout_s=2) as janus,
        JanusSession(janus.url, keepalive_s=0.3) as kept,
        JanusSession(janus.url, keepalive_s=3600) as silent,
    ):
        async with asyncio.timeout(10):
            await silent.lost.wait()
        assert silent.lost_reason == "Janus timed the session out"
        assert not kept.lost.is_set()
        await kept.attach()  # still a live session on the server


@pytest.mark.janus
@in_sandbox
async def test_server_info_names_the_videoroom_plugin() -> None:
    async with JanusServer() as janus, aiohttp.ClientSession() as http:
        info = await server_info(janus.url, http)
    assert info["janus"] == "server_info"
    assert "janus.plugin.videoroom" in info["plugins"]
