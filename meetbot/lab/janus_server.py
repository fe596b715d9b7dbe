"""A private, throw-away Janus for tests and the demo.

    async with JanusServer() as janus:            # inside scripts/in-sandbox
        await janus.create_room(1234)
        ... connect to janus.url ...
        await janus.restart()                     # same url, rooms re-created

The config is rendered from meetbot/lab/janus_conf/ into a temporary folder: WebSocket API on
127.0.0.1 with a free port, no HTTP transport, no STUN/TURN, IPv6 off, mDNS ignored, and ICE only
on the sandbox's veth (Janus never uses loopback for ICE, so media needs the veth that
scripts/in-sandbox makes). Janus runs in the foreground (`janus -F DIR -C DIR/janus.jcfg -o`),
its log goes to `log_path`.

Janus dies with the process that started it (PR_SET_PDEATHSIG, set by an exec wrapper), even
one killed with SIGKILL, and the folder it leaves then (it holds the admin secret) is removed by
the next JanusServer: each folder names its owner's pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from string import Template
from types import TracebackType
from typing import Any, Self

import aiohttp

from meetbot.connectors.janus_session import JanusError, JanusSession, server_info
from meetbot.errors import ConnectError
from meetbot.lab.janus_process import (
    FOLDER_PREFIX,
    exit_words,
    lib_dir,
    remove_stale_folders,
    spawn,
    stop,
    tail,
)
from meetbot.lab.ownership import mark_owner
from meetbot.lab.services import free_port

log = logging.getLogger(__name__)

SANDBOX_INTERFACE = "mv0"  # made by scripts/in-sandbox, 10.77.0.1/24
_CONF = Path(__file__).with_name("janus_conf")


def sandbox_problem() -> str | None:
    """Why real-Janus tests cannot run here, or None when they can."""
    if os.environ.get("MEETBOT_SANDBOX") != "1":
        return "not inside the test network namespace; run: scripts/in-sandbox .venv/bin/pytest"
    try:
        # Asks the kernel about THIS network namespace (/sys/class/net would show the host's).
        socket.if_nametoindex(SANDBOX_INTERFACE)
    except OSError:
        return f"no {SANDBOX_INTERFACE} interface; run the command through scripts/in-sandbox"
    if shutil.which("janus") is None:
        return "janus is not installed; apt-get install janus"
    return None


class JanusCrashed(ConnectError):
    """The lab's Janus died (a signal or an exit code) under a request: Janus's own bug.

    Janus 1.1.2 sometimes dies with SIGSEGV destroying a room that has people in it (a gate
    met it about once in ten runs; upstream's open meetecho/janus-gateway#3627 is a crash on
    that path), so a test may run its meeting again on a fresh Janus instead of failing.
    """


@dataclass(frozen=True, slots=True)
class RoomSpec:
    """A VideoRoom as the lab creates it. Audio-level settings make Janus send talking events;
    notify_joining makes it tell the bot about people who join without publishing."""

    room: int
    pin: str = ""
    publishers: int = 64
    description: str = "meetbot lab room"
    audio_level_average: int = 40
    audio_active_packets: int = 50
    bitrate: int = 256_000
    notify_joining: bool = True


class JanusServer:
    def __init__(
        self,
        *,
        interface: str = SANDBOX_INTERFACE,
        debug_level: int = 3,
        start_timeout_s: float = 10.0,
        rtp_port_range: str = "20000-40000",
        session_timeout_s: int = 60,
    ) -> None:
        self.interface = interface
        self.debug_level = debug_level
        self.start_timeout_s = start_timeout_s
        self.rtp_port_range = rtp_port_range
        self.session_timeout_s = session_timeout_s  # Janus drops sessions silent this long
        self.port = 0
        self.admin_port = 0
        self._admin_secret = secrets.token_hex(16)
        self.rooms: dict[int, RoomSpec] = {}
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    @property
    def folder(self) -> Path:
        assert self._tmp is not None, "use `async with JanusServer()`"
        return Path(self._tmp.name)

    @property
    def pid(self) -> int | None:
        """Janus's process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    @property
    def log_path(self) -> Path:
        return self.folder / "janus.log"

    async def __aenter__(self) -> Self:
        binary = shutil.which("janus")
        if binary is None:
            raise ConnectError("janus is not installed; apt-get install janus")
        remove_stale_folders()
        self._tmp = tempfile.TemporaryDirectory(prefix=FOLDER_PREFIX)
        mark_owner(self.folder)
        self.port = free_port()
        self.admin_port = free_port()
        self._render(lib_dir())
        self._http = aiohttp.ClientSession()
        try:
            await self._start()
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._stop(kill=False)
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    async def restart(self, *, kill: bool = False) -> None:
        """Stop Janus (SIGKILL when `kill`, like a crash) and start it again on the same port.

        Rooms made with create_room are re-created: they were not permanent.
        """
        await self._stop(kill=kill)
        await self._start()
        for spec in list(self.rooms.values()):
            await self._create(spec)

    async def create_room(self, room: int, **options: Any) -> RoomSpec:
        """Create a VideoRoom with talking events on (see RoomSpec for the options)."""
        spec = replace(RoomSpec(room), **options)
        await self._create(spec)
        self.rooms[room] = spec
        return spec

    async def destroy_room(self, room: int) -> None:
        """Destroy a room: everyone in it (the bot too) gets `destroyed`."""
        self.rooms.pop(room, None)
        async with self._admin() as handle:
            await handle.message({"request": "destroy", "room": room})

    async def hang_up_subscriptions(self, feed_id: int) -> int:
        """Hang up every VideoRoom subscriber PeerConnection receiving `feed_id`, as a network
        failure between Janus and those viewers would; the publisher is untouched.
        Returns how many were hung up."""
        hung = 0
        async for target, plugin in self.handles():
            feeds = {s.get("feed_id") for s in plugin.get("streams", ())}
            if plugin.get("type") == "subscriber" and feed_id in feeds:
                await self.admin({"janus": "hangup_webrtc", **target})
                hung += 1
        return hung

    async def handles(self) -> AsyncIterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Every plugin handle Janus holds: its address for the Admin API (session and handle
        id) and what its plugin says about it (`plugin_specific`)."""
        for session_id in (await self.admin({"janus": "list_sessions"}))["sessions"]:
            listing = await self.admin({"janus": "list_handles", "session_id": session_id})
            for handle_id in listing.get("handles", ()):
                target = {"session_id": session_id, "handle_id": handle_id}
                info = (await self.admin({"janus": "handle_info", **target})).get("info", {})
                yield target, dict(info.get("plugin_specific", {}))

    async def admin(self, request: dict[str, Any]) -> dict[str, Any]:
        """One Janus Admin API request (loopback only, secret filled in)."""
        assert self._http is not None
        url = f"ws://127.0.0.1:{self.admin_port}/"
        body = {**request, "transaction": secrets.token_hex(6), "admin_secret": self._admin_secret}
        async with self._http.ws_connect(url, protocols=("janus-admin-protocol",)) as ws:
            await ws.send_json(body)
            async with asyncio.timeout(5.0):
                reply: dict[str, Any] = await ws.receive_json()
        if reply.get("janus") == "error":
            raise ConnectError(f"Janus admin {request.get('janus')}: {reply.get('error')}")
        return reply

    async def _create(self, spec: RoomSpec) -> None:
        body: dict[str, Any] = {
            "request": "create",
            "room": spec.room,
            "permanent": False,
            "description": spec.description,
            "publishers": spec.publishers,
            "bitrate": spec.bitrate,
            "fir_freq": 10,
            "videocodec": "vp8",
            "audiocodec": "opus",
            # Talking events: publishers send the ssrc-audio-level extension; Janus averages
            # it over audio_active_packets packets and compares with audio_level_average.
            "audiolevel_ext": True,
            "audiolevel_event": True,
            "audio_level_average": spec.audio_level_average,
            "audio_active_packets": spec.audio_active_packets,
            # Without it Janus only tells the bot about publishers: someone with camera and
            # microphone off would be invisible, so counted absent.
            "notify_joining": spec.notify_joining,
        }
        if spec.pin:
            body["pin"] = spec.pin
        async with self._admin() as handle:
            await handle.message(body)

    @contextlib.asynccontextmanager
    async def _admin(self) -> Any:
        try:
            async with JanusSession(self.url, http=self._http) as session:
                handle = await session.attach()
                try:
                    yield handle
                finally:
                    await handle.detach()
        except JanusError:
            raise  # Janus answered: it runs
        except ConnectError as exc:
            # A lost session is often Janus itself gone (a gate once lost one on `destroy`):
            # its exit code and last log lines then say so, before its folder is deleted.
            died = await self._exited()
            if died is None:
                raise
            raise JanusCrashed(f"{exc}; {died}") from exc

    async def _exited(self) -> str | None:
        """How Janus ended, if it has (waiting a moment for its exit to be reaped)."""
        proc = self._proc
        if proc is None:
            return None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(2.0):
                await proc.wait()
        if proc.returncode is None:
            return None
        return f"janus exited ({exit_words(proc.returncode)}); its log ends: {self._tail(12)}"

    def _render(self, lib_dir: str) -> None:
        values = {
            "configs_folder": str(self.folder),
            "lib_dir": lib_dir,
            "debug_level": str(self.debug_level),
            "rtp_port_range": self.rtp_port_range,
            "ice_enforce_list": self.interface,
            "ws_port": str(self.port),
            "admin_port": str(self.admin_port),
            "admin_secret": self._admin_secret,
            "session_timeout": str(self.session_timeout_s),
        }
        for template in sorted(_CONF.glob("*.jcfg.txt")):
            text = Template(template.read_text()).substitute(values)
            (self.folder / template.name.removesuffix(".txt")).write_text(text)

    async def _start(self) -> None:
        self._proc = await spawn(self.folder, self.log_path)
        await self._wait_ready()

    async def _wait_ready(self) -> None:
        assert self._http is not None
        assert self._proc is not None
        async with asyncio.timeout(self.start_timeout_s):
            while True:
                if self._proc.returncode is not None:
                    raise ConnectError(
                        f"janus exited with {exit_words(self._proc.returncode)} at start-up; "
                        f"see its log: {self._tail()}"
                    )
                with contextlib.suppress(ConnectError):
                    info = await server_info(self.url, self._http, timeout_s=1.0)
                    if "janus.plugin.videoroom" in info.get("plugins", {}):
                        return
                # Polling a child process we just started: there is no event to wait on.
                await asyncio.sleep(0.05)

    async def _stop(self, *, kill: bool) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            await stop(proc, kill=kill)

    def _tail(self, lines: int = 5) -> str:
        return tail(self.log_path, lines)
