"""Ctrl-C as the end of a meeting, not as the end of the program.

    with stop_on_signals() as stop:
        record = await run_session(..., stop=stop)

The first SIGINT/SIGTERM only sets `stop`: the session actor ends the meeting there (as
interrupted), saves the record and returns it, and the caller goes on to reports and the recap.
The handlers are then put back as they were, so a second Ctrl-C does what it did before we
came: under `asyncio.run` it cancels the main task (the session saves what it has and the
cancellation propagates), a third raises KeyboardInterrupt.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)

_Handler = Callable[[int, Any], Any] | int | None


@contextlib.contextmanager
def stop_on_signals(signals: Sequence[signal.Signals] = STOP_SIGNALS) -> Iterator[asyncio.Event]:
    """An event set by the first of `signals` while the block runs (inside a running loop)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    previous: dict[signal.Signals, _Handler] = {}

    def restore(sig: signal.Signals) -> None:
        if sig in previous:
            loop.remove_signal_handler(sig)
            handler = previous.pop(sig)
            if handler is not None:
                signal.signal(sig, handler)

    def first(sig: signal.Signals) -> None:
        stop.set()
        for each in list(previous):
            restore(each)

    for sig in signals:
        previous[sig] = signal.getsignal(sig)
        loop.add_signal_handler(sig, first, sig)
    try:
        yield stop
    finally:
        for sig in list(previous):
            restore(sig)
