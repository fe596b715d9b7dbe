"""The lab Janus as a child process: started so that it dies with its owner and never dumps
core (meetbot.lab.ownership), found where Debian installs its plugins, its folder removed when
a killed owner could not, and its exit said in words.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import signal
from pathlib import Path

from meetbot.errors import ConnectError
from meetbot.lab.ownership import owned, remove_stale

FOLDER_PREFIX = "meetbot-janus-"  # the server's temporary folder (config, log, admin secret)


async def spawn(folder: Path, log_path: Path) -> asyncio.subprocess.Process:
    """Janus in the foreground with the config in `folder`, its output appended to `log_path`."""
    with log_path.open("ab") as log_file:
        return await asyncio.create_subprocess_exec(
            *owned(["janus", "-F", str(folder), "-C", str(folder / "janus.jcfg"), "-o"]),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log_file,  # -o: no colours in the log
            stderr=asyncio.subprocess.STDOUT,
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


def remove_stale_folders(root: Path | None = None) -> list[Path]:
    """Delete Janus folders whose owner process is gone (killed before it could clean up)."""
    return remove_stale(FOLDER_PREFIX, root)


def lib_dir() -> str:
    for candidate in [*sorted(glob.glob("/usr/lib/*/janus")), "/usr/lib/janus", "/opt/janus/lib"]:
        if Path(candidate, "plugins", "libjanus_videoroom.so").exists():
            return candidate
    raise ConnectError("janus plugins not found under /usr/lib; apt-get install janus")
