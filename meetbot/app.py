"""Composition root: wires connector, media, session, store, reports and publishers.

Only this module (and the CLI) knows every part. The order after a meeting is fixed: the record
is saved by the session first, then the recap is queued in the outbox, then report files are
written, then the recap is delivered — so a crash, a folder that cannot be written or a Discord
outage at any step loses nothing that `meetbot report` / `meetbot post` cannot finish later.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import reports
from meetbot import config
from meetbot.clock import MonotonicClock
from meetbot.config.schema import Settings
from meetbot.domain.record import SessionRecord
from meetbot.errors import ConfigError, MeetbotError
from meetbot.publishers.base import DeliveryReceipt, Status
from meetbot.publishers.console import render_markdown
from meetbot.publishers.delivery import deliver_recap, queue_recap, report_dir
from meetbot.publishers.outbox import Outbox, Sleep
from meetbot.store import Earlier, SessionStatus, Store
from meetbot.terminal.interrupt import stop_on_signals
from meetbot.terminal.progress import TerminalProgress
from reports.post import Post

if TYPE_CHECKING:
    from meetbot.connectors.base import Connector

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Finished:
    """Where everything about one session went."""

    record: SessionRecord
    files: tuple[Path, ...]
    receipts: tuple[DeliveryReceipt, ...]


def open_store(settings: Settings) -> Store:
    return Store.open(
        settings.storage.url, config.data_dir(), retention_days=settings.storage.retention_days
    )


def load_session(store: Store, session: str, settings: Settings) -> SessionRecord:
    """A saved session by id or prefix; one whose process died is rebuilt from checkpoints."""
    running = [sid for sid in store.unfinished() if sid.startswith(session)]
    saved = [
        s
        for s in store.list_sessions()
        if s.session_id.startswith(session) and s.status is not SessionStatus.RUNNING
    ]
    if len(running) == 1 and not saved:
        return store.recover(running[0], settings.domain())
    return store.load(session)


def write_report_files(
    record: SessionRecord, history: Sequence[SessionRecord], settings: Settings
) -> tuple[Path, ...]:
    """The organiser's HTML, Markdown and CSV files for one session."""
    folder = report_dir(settings) / record.session_id
    tz = settings.chapter.timezone
    group = settings.reports.min_group_for_detail
    files = {
        "report.html": reports.html_report(record, history, timezone=tz, min_group=group),
        "report.md": reports.markdown_report(record, history, timezone=tz, min_group=group),
        "attendees.csv": reports.csv_report(record, timezone=tz),
    }
    paths = []
    with writable(folder):
        for name, text in files.items():
            path = folder / name
            path.write_text(text, encoding="utf-8")
            paths.append(path)
    return tuple(paths)


@contextlib.contextmanager
def writable(folder: Path) -> Iterator[None]:
    """Create `folder` and write into it; a folder that cannot take files is one ConfigError."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        yield
    except OSError as exc:
        raise ConfigError(
            f"cannot write report files to {folder} ({exc.strerror or exc}); set "
            "reports.out_dir (or --out) to a writable folder, then run `meetbot report`"
        ) from exc


def earlier_sessions(store: Store, record: SessionRecord, limit: int) -> list[SessionRecord]:
    """Up to `limit` finished sessions of the same chapter before this one, oldest first."""
    return store.finished_sessions(
        record.chapter, limit=limit, until=record.started_at, exclude=record.session_id
    )


def with_report_dir(settings: Settings, folder: str) -> Settings:
    return dataclasses.replace(
        settings, reports=dataclasses.replace(settings.reports, out_dir=folder)
    )


def write_post(post: Post, folder: Path, stem: str) -> tuple[Path, ...]:
    """A Post as files: its Markdown text and every attachment beside it."""
    paths = [folder / f"{stem}.md"]
    with writable(folder):
        paths[0].write_text(render_markdown(post) + "\n", encoding="utf-8")
        for attachment in post.attachments:
            path = folder / attachment.filename
            path.write_bytes(attachment.data)
            paths.append(path)
    return tuple(paths)


async def finish(
    record: SessionRecord,
    settings: Settings,
    store: Store,
    *,
    stream: TextIO | None = None,
    outbox: Outbox | None = None,
    sleep: Sleep = asyncio.sleep,
    env: Mapping[str, str] | None = None,
) -> Finished:
    """The recap queued in the outbox, report files, then delivery. Never raises for Discord
    trouble, nor for a report folder that cannot be written (one line says so).

    Delivery gets discord.finish_timeout_s in all (on the outbox's clock), so a Discord outage
    ends the meeting promptly with the recap stored, instead of minutes of retries.
    """
    history = await asyncio.to_thread(
        earlier_sessions, store, record, settings.reports.compare_last
    )
    # The recap is queued first: the files are the organiser's and `meetbot report` redoes
    # them any time, while the chapter's recap must never be lost to a folder it cannot write.
    outbox = outbox or Outbox(store.engine)
    await asyncio.to_thread(queue_recap, record, settings, outbox)
    files: tuple[Path, ...] = ()
    try:
        files = await asyncio.to_thread(write_report_files, record, history, settings)
    except ConfigError as exc:
        print(f"meetbot: {exc}", file=stream or sys.stderr)
    receipts = await deliver_recap(
        record,
        settings,
        outbox,
        stream=stream,
        sleep=sleep,
        env=env,
        within_s=settings.discord.finish_timeout_s,
    )
    if any(r.status is Status.PENDING for r in receipts):
        print(delivered_later(settings), file=stream or sys.stdout)
    return Finished(record, files, tuple(receipts))


def delivered_later(settings: Settings) -> str:
    """What happens to a recap Discord did not take at the meeting's end — only what is true."""
    every = settings.discord.outbox_every_s
    return (
        f"meetbot: the recap is not on Discord yet (no success within "
        f"{settings.discord.finish_timeout_s:g} s); it is kept in the outbox and sent by "
        f"`meetbot outbox --retry`, by a `meetbot discord` bot running on this store (it "
        f"retries every {every / 60:g} min), or at the end of the next meeting"
    )


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
    room, for connectors that say so (an `admitted` event: Janus, the browser bridge)."""
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
            connector = await stack.enter_async_context(made)
        sampler = await stack.enter_async_context(
            MediaSampler(settings.sampling, settings.detector, clock)
        )
        print(f"meetbot: {getattr(connector, 'announce', settings.meeting.announce)}", file=out)
        async with asyncio.TaskGroup() as tg:
            admitted: asyncio.Event | None = getattr(connector, "admitted", None)
            told = None
            if on_admitted is not None and admitted is not None:
                told = tg.create_task(_tell_admitted(admitted, on_admitted))
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
            if told is not None:
                told.cancel()
        if str(getattr(connector, "ended_by", "")) == "removed":
            print(
                "meetbot: the host removed the bot from the meeting; the session until then "
                "is saved and reported",
                file=out,
            )
        return record


async def _tell_admitted(admitted: asyncio.Event, on_admitted: Callable[[], None]) -> None:
    await admitted.wait()
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


def describe(finished: Finished, stream: TextIO) -> None:
    record = finished.record
    present = sum(1 for a in record.attendees if a.joined_at is not None)
    print(
        f"\nsession {record.session_id} saved: {present} attended, {len(record.turns)} turns, "
        f"{record.duration_s / 60:.1f} min" + ("" if record.complete else " (partial)"),
        file=stream,
    )
    for path in finished.files:
        print(f"  report: {path}", file=stream)
    for r in finished.receipts:
        state = "sent" if r.status is Status.SENT else f"{r.status} — {r.note}"
        print(f"  recap → {r.destination}: {state}", file=stream)
