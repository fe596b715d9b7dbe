"""Ctrl-C as an event: the first signal sets `stop`, the next one does what it did before."""

from __future__ import annotations

import asyncio
import signal
from types import FrameType

from meetbot.terminal.interrupt import stop_on_signals


async def test_the_first_signal_sets_stop_and_the_second_reaches_the_old_handler() -> None:
    seen: list[int] = []

    def old_handler(signum: int, frame: FrameType | None) -> None:
        seen.append(signum)

    before = signal.signal(signal.SIGUSR1, old_handler)
    try:
        with stop_on_signals((signal.SIGUSR1,)) as stop:
            signal.raise_signal(signal.SIGUSR1)
            async with asyncio.timeout(30):
                await stop.wait()
            assert seen == []  # the first one only ended the meeting
            signal.raise_signal(signal.SIGUSR1)  # e.g. a second Ctrl-C: aborts as it always did
            assert seen == [signal.SIGUSR1]
        assert signal.getsignal(signal.SIGUSR1) == old_handler
    finally:
        signal.signal(signal.SIGUSR1, before)


async def test_leaving_the_block_unsignalled_puts_the_handlers_back() -> None:
    before = signal.getsignal(signal.SIGINT)
    with stop_on_signals() as stop:
        assert signal.getsignal(signal.SIGINT) != before
    assert not stop.is_set()
    assert signal.getsignal(signal.SIGINT) == before
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
