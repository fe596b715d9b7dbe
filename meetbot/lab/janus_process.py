"""The lab Janus as a child process: started so that it dies with its owner and never dumps
core, found where Debian installs its plugins, its folder removed when a killed owner could
not, and its exit said in words.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import glob
import os
import resource
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

from meetbot.errors import ConnectError

FOLDER_PREFIX = "meetbot-janus-"  # the server's temporary folder (config, log, admin secret)
OWNER_FILE = "owner.pid"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


async def spawn(folder: Path, log_path: Path) -> asyncio.subprocess.Process:
    """Janus in the foreground with the config in `folder`, its output appended to `log_path`."""
    with log_path.open("ab") as log_file:
        return await asyncio.create_subprocess_exec(
            "janus",
            "-F",
            str(folder),
            "-C",
            str(folder / "janus.jcfg"),
            "-o",  # no colours in the log
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
            preexec_fn=die_with(os.getpid()),
        )


async def stop(proc: asyncio.subprocess.Process, *, kill: bool) -> None:
    """SIGTERM (SIGKILL when `kill`, like a crash), and SIGKILL if it lingers 5 s."""
    if proc.returncode is not None:
        return
    if kill:
        proc.kill()
    else:
        proc.terminate()
    try:
        async with asyncio.timeout(5.0):
            await proc.wait()
    except TimeoutError:
        proc.kill()
        await proc.wait()


def tail(log_path: Path, lines: int = 5) -> str:
    """The end of Janus's log on one line."""
    try:
        return " | ".join(log_path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def exit_words(returncode: int) -> str:
    """A finished process's return code in words: "code 1", or "signal SIGSEGV"."""
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"signal {signal.Signals(-returncode).name}"
    return f"code {returncode}"


def die_with(parent: int) -> Callable[[], None]:
    """For the forked child before it execs Janus: be killed when `parent` dies, and never
    dump core.

    Strictly, when the parent's forking thread ends: asyncio forks from the event loop's thread,
    which lives as long as the server is used.
    """

    # Looked up before the fork: between fork and exec only async-signal-safe work is sure
    # not to deadlock on a lock another thread held (dlopen's is one).
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def arrange() -> None:
        # A crashed Janus's memory holds the meeting's media: it is never dumped to disk.
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return  # not Linux: the folder clean-up below still catches what is left
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return arrange


def remove_stale_folders(root: Path | None = None) -> list[Path]:
    """Delete Janus folders whose owner process is gone (killed before it could clean up).

    Folders of running owners, and folders without an owner file, are left alone.
    """
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*"):
        try:
            owner = int((folder / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def lib_dir() -> str:
    for candidate in [*sorted(glob.glob("/usr/lib/*/janus")), "/usr/lib/janus", "/opt/janus/lib"]:
        if Path(candidate, "plugins", "libjanus_videoroom.so").exists():
            return candidate
    raise ConnectError("janus plugins not found under /usr/lib; apt-get install janus")
