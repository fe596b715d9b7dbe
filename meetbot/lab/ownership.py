"""Lab servers belong to the process that started them, even when it is killed with SIGKILL.

A server run as our direct child dies with us (`die_with`: the kernel's parent-death signal)
and never dumps core. Every server's temporary folder names its owner (`mark_owner`), so a
folder an owner killed mid-run could not clean up, and a server that could not be tied to its
owner (PostgreSQL, which pg_ctl starts as a daemon), are removed by the next server of the same
kind (`remove_stale`). Folders of owners still running, and folders without an owner, are left.
"""

from __future__ import annotations

import ctypes
import os
import resource
import shutil
import signal
import tempfile
from collections.abc import Callable
from pathlib import Path

OWNER_FILE = "owner.pid"
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with(parent: int) -> Callable[[], None]:
    """For the forked child before it execs the server: be killed when `parent` dies, and
    never dump core (a server's memory can hold a meeting's media).

    Strictly, when the parent's forking thread ends: asyncio forks from the event loop's thread,
    and the tests fork from their main thread, which live as long as the server is used.
    """

    # Looked up before the fork: between fork and exec only async-signal-safe work is sure
    # not to deadlock on a lock another thread held (dlopen's is one).
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def arrange() -> None:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            return  # not Linux: the folder clean-up still catches what is left
        if os.getppid() != parent:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return arrange


def mark_owner(folder: Path) -> Path:
    """Write this process's id into `folder`, which it owns from now on."""
    (folder / OWNER_FILE).write_text(str(os.getpid()), encoding="ascii")
    return folder


def remove_stale(
    prefix: str, root: Path | None = None, before: Callable[[Path], None] | None = None
) -> list[Path]:
    """Delete the temporary folders named `prefix`* whose owner process is gone, first calling
    `before(folder)` (e.g. to stop the server it ran). Returns the folders removed."""
    removed = []
    for folder in sorted(Path(root or tempfile.gettempdir()).glob(f"{prefix}*")):
        try:
            owner = int((folder / OWNER_FILE).read_text(encoding="ascii"))
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        if before is not None:
            before(folder)
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
