"""What Linux's /proc says about processes: which there are, their command line, state,
parent and CPU time.

Read directly (no psutil). The command name in /proc/PID/stat is in parentheses and may itself
hold spaces or ")", so a process's fields are the words after the last ")": state first, then
the parent's pid; user and system CPU ticks are the 12th and 13th.
"""

from __future__ import annotations

import os
from pathlib import Path

_GONE = ("Z", "X")  # a zombie (killed, not yet reaped) or a dead process runs nothing
_TICKS = os.sysconf("SC_CLK_TCK")


def stat(pid: int | str) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name; None when there is no such process
    (it ended, or this machine has no /proc)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()
    return fields if len(fields) > 12 else None


def pids() -> list[int]:
    """Every process id /proc lists now (empty without /proc)."""
    try:
        return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return []


def cmdline(pid: int) -> list[bytes] | None:
    """The process's command-line arguments; None when it is gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None


def state(pid: int | str) -> str | None:
    """The process's one-letter state ("R", "S", "Z", ...), None when it is gone."""
    fields = stat(pid)
    return None if fields is None else fields[0]


def running(pid: int | str) -> bool:
    """Whether the process runs: it exists and is neither a zombie nor dead."""
    return state(pid) not in (None, *_GONE)


def zombie(pid: int | str) -> bool:
    """Killed but not yet reaped by its parent."""
    return state(pid) == "Z"


def children(parent: int) -> list[int]:
    """The running processes whose parent is `parent`, in pid order."""
    found = []
    for pid in pids():
        fields = stat(pid)
        if fields is not None and fields[1] == str(parent) and fields[0] not in _GONE:
            found.append(pid)
    return sorted(found)


def tree(root: int) -> list[int]:
    """`root` and all its descendants, in pid order."""
    parents = {pid: int(fields[1]) for pid in pids() if (fields := stat(pid)) is not None}
    keep = {root}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in keep and pid not in keep:
                keep.add(pid)
                grew = True
    return sorted(keep)


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time the process has used; None when it is gone."""
    fields = stat(pid)
    return None if fields is None else (int(fields[11]) + int(fields[12])) / _TICKS
