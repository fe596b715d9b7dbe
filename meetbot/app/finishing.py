"""After a meeting: the saved record's recap queued, its report files written, the recap
delivered, and what happened said in a few lines.

The order is fixed so that a folder that cannot be written or a Discord outage at any step loses
nothing that `meetbot report` / `meetbot post` cannot finish later.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from meetbot.app.report_files import write_report_files
from meetbot.app.stored import earlier_sessions
from meetbot.config.schema import Settings
from meetbot.domain.record import SessionRecord
from meetbot.errors import ConfigError
from meetbot.publishers.base import DeliveryReceipt, Status
from meetbot.publishers.delivery import deliver_recap, queue_recap, recap_receipts, what
from meetbot.publishers.outbox import Outbox, Sleep
from meetbot.store import Store


@dataclass(frozen=True, slots=True)
class Finished:
    """Where everything about one session went. `receipts` are its recap's; `others` those of
    older messages the same run delivered from the outbox, each with what it is."""

    record: SessionRecord
    files: tuple[Path, ...]
    receipts: tuple[DeliveryReceipt, ...]
    others: tuple[tuple[str, DeliveryReceipt], ...] = ()


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
    # The run delivers the whole outbox: this session's recap apart from older messages.
    own = await asyncio.to_thread(recap_receipts, outbox, receipts, record.session_id)
    mine = {r.message_id for r in own}
    others = [
        (await asyncio.to_thread(what, outbox, r), r) for r in receipts if r.message_id not in mine
    ]
    if any(r.status is Status.PENDING for r in own):
        print(delivered_later(settings), file=stream or sys.stdout)
    return Finished(record, files, tuple(own), tuple(others))


def delivered_later(settings: Settings) -> str:
    """What happens to a recap Discord did not take at the meeting's end — only what is true."""
    every = settings.discord.outbox_every_s
    return (
        f"meetbot: the recap is not on Discord yet (no success within "
        f"{settings.discord.finish_timeout_s:g} s); it is kept in the outbox and sent by "
        f"`meetbot outbox --retry`, by a `meetbot discord` bot running on this store (it "
        f"retries every {every / 60:g} min), or at the end of the next meeting"
    )


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
        print(f"  recap → {r.destination}: {_state(r)}", file=stream)
    for label, r in finished.others:
        print(f"  also {label} → {r.destination}: {_state(r)}", file=stream)


def _state(r: DeliveryReceipt) -> str:
    return "sent" if r.status is Status.SENT else f"{r.status} — {r.note}"


def undelivered(finished: Finished) -> str | None:
    """One line when the report files or the session's recap did not get where they go (the
    record is saved: it says what redoes them); None when everything arrived."""
    sid = finished.record.session_id
    missing, redo = [], []
    if not finished.files:
        missing.append("its report files were not written")
        redo.append(f"`meetbot report {sid}` writes them")
    if any(r.status is not Status.SENT for r in finished.receipts):
        missing.append("its recap was not delivered")
        redo.append("`meetbot outbox --retry` delivers it")
    if not missing:
        return None
    return (
        f"session {sid} is saved, but {' and '.join(missing)}; once the cause above is fixed, "
        f"{' and '.join(redo)}"
    )
