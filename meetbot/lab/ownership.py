"""Lab servers belong to the process that started them, even when it is killed with SIGKILL.

A server run as our direct child dies with us (`owned`: the kernel's parent-death signal, set
by an exec wrapper) and never dumps core. Every server's temporary folder names its owner
(`mark_owner`), so a folder an owner killed mid-run could not clean up, and a server that could
not be tied to its owner (PostgreSQL, which pg_ctl starts as a daemon), are removed by the next
server of the same kind (`remove_stale`). Folders of owners still running, and folders without
an owner, are left.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

OWNER_FILE = "owner.pid"


def owned(argv: Sequence[str], parent: int | None = None) -> list[str]:
    """`argv` wrapped so the server is killed when `parent` (this process) dies and never
    dumps core (a server's memory can hold a meeting's media).

    The child runs no Python between fork and exec: util-linux's `setpriv` sets the
    parent-death signal and a shell sets the core limit, then each execs the next. A
    pre-exec function would run Python in a child forked while decoder threads are alive, and a
    decoder object freed there can wait forever on a thread the child does not have (PyAV's
    `sws_freeContext`; see the warning on subprocess's pre-exec function).

    The shell checks that its parent is still `parent`, now that the signal is armed: a parent
    that died before would never send it. Strictly, the signal comes when the parent's forking
    thread ends: asyncio forks from the event loop's thread, and the tests fork from their main
    thread, which live as long as the server is used.
    """
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise FileNotFoundError("setpriv not found; apt-get install util-linux")
    owner = os.getpid() if parent is None else parent
    return [setpriv, "--pdeathsig", "KILL", "--", "/bin/sh", "-c", _GUARD, "owned", str(owner),
            *argv]  # fmt: skip


# $1 is the owner's pid; the rest is the server's command line, exec'd in place so the
# server keeps the pid its owner was given.
_GUARD = 'ulimit -c 0 || exit 96; [ "$PPID" = "$1" ] || exit 97; shift; exec "$@"'


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
