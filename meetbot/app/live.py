"""The live job: join the configured meeting, watch it until it ends (the session saves its
record), then finish it (meetbot.app.finishing).

aiortc and mediapipe take seconds to load, so the connector, the sampler and the session are
imported only when a meeting is watched.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any, TextIO

from meetbot import config
from meetbot.app.finishing import Finished, finish
from meetbot.app.stored import open_store
from meetbot.clock import MonotonicClock
from meetbot.config.schema import Settings
from meetbot.domain.record import SessionRecord
from meetbot.errors import MeetbotError, StoppedWhileJoining
from meetbot.store import Earlier, Store
from meetbot.terminal.interrupt import stop_on_signals
from meetbot.terminal.progress import TerminalProgress

if TYPE_CHECKING:
    from meetbot.connectors.base import Connector

log = logging.getLogger(__name__)


async def watch(
    settings: Settings,
    store: Store,
    clock: MonotonicClock,
    *,
    until_s: float | None,
    stop: asyncio.Event | None = None,
    stream: TextIO | None = None,
    session_id: str | None = None,
    earlier: Earlier | None = None,
    connector: Connector | None = None,
    on_admitted: Callable[[], None] | None = None,
) -> SessionRecord:
    """Join the configured meeting, watch it until it ends (or `stop` is set), and return the
    saved record (a new session, or the continuation of `earlier`: see run_session).
    `connector`: one already entered (joined) by the caller, else the platform's is made.
    `on_admitted` is called (in a thread: it may write to a database) once the bot is in the
    room (the connector's `admitted` event)."""
    # Imported here: aiortc and mediapipe take seconds to load, and only a live meeting
    # needs them (`meetbot sessions`, `report`, `post` stay quick).
    from meetbot.connectors.platform import connector_for
    from meetbot.media.sampler import MediaSampler
    from meetbot.session import run_session

    out = stream or sys.stdout
    progress = TerminalProgress(settings.chapter.name, out)
    async with AsyncExitStack() as stack:
        if connector is None:
            print(f"meetbot: joining as {settings.meeting.display_name!r}", file=out)
            made = connector_for(settings, clock, config.data_dir())
            left = None if until_s is None else until_s - clock()
            connector = await enter_unless_stopped(stack, made, stop, left)
        sampler = await stack.enter_async_context(
            MediaSampler(settings.sampling, settings.detector, clock)
        )
        announce = getattr(connector, "announce", settings.meeting.announce)
        failure: Exception | None = None
        async with asyncio.TaskGroup() as tg:
            told = tg.create_task(_when_admitted(connector.admitted, announce, out, on_admitted))
            try:
                record = await run_session(
                    connector,
                    sampler,
                    settings=settings,
                    store=store,
                    clock=clock,
                    until=until_s,
                    stop=stop,
                    observer=progress,
                    session_id=session_id,
                    earlier=earlier,
                )
            except Exception as exc:
                # Re-raised below, outside the group, as itself: raised in the group's body it
                # would leave as an ExceptionGroup, and a failed join is one line to the user.
                failure = exc
            finally:
                told.cancel()
        if failure is not None:
            raise failure
        if str(getattr(connector, "ended_by", "")) == "removed":
            print(
                "meetbot: the host removed the bot from the meeting; the session until then "
                "is saved and reported",
                file=out,
            )
        return record


async def enter_unless_stopped(
    stack: AsyncExitStack, made: Connector, stop: asyncio.Event | None, left_s: float | None
) -> Connector:
    """Enter `made` into `stack`: a browser connector joins there, lobby included. Ctrl-C
    (`stop`) or the end time (`left_s` from now) first ends the join: StoppedWhileJoining,
    and nothing was recorded (no session has begun)."""
    entering = asyncio.create_task(stack.enter_async_context(made))
    waits: set[asyncio.Future[Any]] = {entering}
    if stop is not None:
        waits.add(asyncio.create_task(stop.wait()))
    try:
        await asyncio.wait(
            waits,
            timeout=None if left_s is None else max(left_s, 0.0),
            return_when=asyncio.FIRST_COMPLETED,
        )
    finally:
        for task in waits:
            task.cancel()
        # The join's own clean-up (closing the browser) runs before we go on; its outcome is
        # read below, or dropped when we were stopped or cancelled.
        await asyncio.wait(waits)
    if not entering.cancelled():
        return entering.result()  # joined, or the join's own ConnectError
    raise StoppedWhileJoining(interrupted=stop is not None and stop.is_set())


async def _when_admitted(
    admitted: asyncio.Event, announce: str, out: TextIO, on_admitted: Callable[[], None] | None
) -> None:
    await admitted.wait()
    # Said once the bot is in the room (on Janus the join itself happens in the session): a
    # join that then fails has announced nothing.
    print(f"meetbot: {announce}", file=out)
    if on_admitted is None:
        return
    try:
        await asyncio.to_thread(on_admitted)
    except MeetbotError as exc:
        # Only bookkeeping (e.g. the store is briefly down): never a reason to leave the room.
        log.warning("could not record that the bot was admitted: %s", exc)


async def join(
    settings: Settings,
    *,
    until_s: float | None,
    stream: TextIO | None = None,
    stop_signals: Sequence[signal.Signals] = (),
) -> Finished:
    """The whole live job: watch the meeting (saved), then its report files and recap.

    While the meeting is watched, the first of `stop_signals` (the CLI passes SIGINT and
    SIGTERM) ends it like its natural end; afterwards, and on a second signal, they work as
    usual, so Ctrl-C during the recap aborts it (the outbox keeps it).
    """
    with open_store(settings) as store:
        with stop_on_signals(stop_signals) as stop:
            record = await watch(
                settings, store, MonotonicClock(), until_s=until_s, stop=stop, stream=stream
            )
        return await finish(record, settings, store, stream=stream)
