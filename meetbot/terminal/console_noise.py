"""Console noise: mediapipe's C++ start-up chatter dropped from stderr, everything else kept.

mediapipe 0.10.21 and TensorFlow Lite write a few absl/TFLite lines straight to file descriptor 2
every time a face graph starts ("Feedback manager requires a model with a single signature…",
"Created TensorFlow Lite XNNPACK delegate…"). They come from C++ before absl logging is set up,
so no Python logging setting reaches them, and they tell a user nothing.

`quiet_console()` points fd 2 at a pipe read by a small filter process that drops exactly those
lines and forwards every other byte unchanged: Python tracebacks, meetbot's own messages, C++
errors (E/F severity), FFmpeg's decoder errors. A process rather than a thread: a thread dies
with us, so the line a C++ CHECK failure writes just before abort() — the most useful one —
would be lost in the pipe; the filter process reads it after we are gone and then sees EOF.
It runs in its own session, so Ctrl-C in the terminal interrupts meetbot but not the filter,
which forwards the interrupted run's last lines and exits when the pipe closes.

This file is also the filter process's script (`python -I -S console_noise.py`): stdlib only.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import signal
import subprocess
import sys
from collections.abc import Iterator

# The known lines, whole. absl lines are `<severity><mmdd> <time> <thread> <file>:<line>] <msg>`;
# only I(nfo) and W(arning) from these files with these messages are dropped, so an E or F
# line — even from the same file — always gets through.
NOISE = re.compile(
    rb"INFO: Created TensorFlow Lite XNNPACK delegate for CPU\."
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    rb"|[IW]\d{4} [\d:.]+ +\d+ (?:"
    rb"inference_feedback_manager\.cc:\d+\] Feedback manager requires a model with a single "
    rb"signature inference\. Disabling support for feedback tensors\."
    rb"|landmark_projection_calculator\.cc:\d+\] Using NORM_RECT without IMAGE_DIMENSIONS is "
    rb"only supported for the square ROI\. Provide IMAGE_DIMENSIONS or use PROJECTION_MATRIX\."
    rb")"
)
# Every noise line starts with one of these; an unfinished line that does not is forwarded at
# once (a prompt, a progress dot), one that does waits for its newline (or HOLD_S of quiet).
_NOISE_FIRST = (b"I", b"W")
HOLD_S = 0.2
# At exit, how long to wait for the filter to forward what is still in the pipe. It ends as soon
# as the pipe closes; only a child process still holding our stderr makes it wait longer.
DRAIN_S = 5.0


class LineFilter:
    """Bytes in, bytes to forward out; holds at most one unfinished line that may be noise."""

    def __init__(self) -> None:
        self._partial = b""

    @property
    def holding(self) -> bool:
        return bool(self._partial)

    def feed(self, data: bytes) -> bytes:
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()
        out = [line + b"\n" for line in lines if not is_noise(line)]
        if self._partial and not self._partial.startswith(_NOISE_FIRST):
            out.append(self._partial)
            self._partial = b""
        return b"".join(out)

    def flush(self) -> bytes:
        """The held unfinished line, unless it is noise (end of input, or quiet for a while)."""
        partial, self._partial = self._partial, b""
        return b"" if is_noise(partial) else partial


def is_noise(line: bytes) -> bool:
    return NOISE.fullmatch(line.rstrip(b"\r")) is not None


@contextlib.contextmanager
def quiet_console(*, enabled: bool = True) -> Iterator[None]:
    """Filter this process's fd 2 (and its children's, which inherit it) until the block ends.

    If the filter cannot start (no fd 2, no process slots), the console is left as it was:
    noise is better than a command that fails for its sake.
    """
    filter_process = _start() if enabled else None
    try:
        yield
    finally:
        if filter_process is not None:
            _stop(*filter_process)


def _start() -> tuple[int, subprocess.Popen[bytes]] | None:
    try:
        if sys.stderr is not None:
            sys.stderr.flush()  # what Python buffered so far goes out before the switch
        original = os.dup(2)
    except (OSError, ValueError):
        return None
    try:
        read_end, write_end = os.pipe()
    except OSError:
        os.close(original)
        return None
    try:
        process = subprocess.Popen(
            [sys.executable, "-I", "-S", __file__],
            stdin=read_end,
            stdout=original,
            stderr=original,
            start_new_session=True,
        )
    except OSError:
        os.close(original)
        return None
    else:
        os.dup2(write_end, 2)
    finally:
        os.close(read_end)
        os.close(write_end)
    return original, process


# Filters still forwarding for a child of ours when we stopped waiting; kept so their Popen is
# not collected (and reaped) while they run.
_lingering: list[subprocess.Popen[bytes]] = []


def _stop(original: int, process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(OSError, ValueError, AttributeError):
        sys.stderr.flush()  # through the filter, before the switch back
    os.dup2(original, 2)  # closes our write end: the filter reads what is left, then EOF
    os.close(original)
    try:
        process.wait(timeout=DRAIN_S)
    except subprocess.TimeoutExpired:
        _lingering.append(process)


def _run_filter(source: int = 0, sink: int = 1) -> None:
    """The filter process: stdin (the pipe) to stdout (the real stderr) until EOF."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # belt and braces: it has its own session
    lines = LineFilter()
    while True:
        if lines.holding and not select.select([source], [], [], HOLD_S)[0]:
            sink = _write(sink, lines.flush())
            continue
        data = os.read(source, 65536)
        if not data:
            _write(sink, lines.flush())
            return
        sink = _write(sink, lines.feed(data))


def _write(sink: int, data: bytes) -> int:
    """Write all of `data`; once the console is gone (-1), keep draining so writers never block."""
    while data and sink >= 0:
        try:
            data = data[os.write(sink, data) :]
        except OSError:
            return -1
    return sink


if __name__ == "__main__":
    _run_filter()
