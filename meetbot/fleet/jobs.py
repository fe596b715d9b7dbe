"""One meeting occurrence, as a worker process runs it: check, claim, watch, recap, finish.

    outcome = run_job(context, "Riverside@2026-03-03T07:00:00Z")

The claim (meetbot.fleet.claims) makes this safe to run twice: a duplicate job is refused, and
after a worker died the next one continues the same session (Store.reopen) and posts the recap
once (the outbox keys it by session). Refusals are not errors: the job is done, nothing to do.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Self

from meetbot import app, proc
from meetbot.clock import MonotonicClock
from meetbot.config import links
from meetbot.config.schema import Settings
from meetbot.domain.record import SessionRecord
from meetbot.errors import MeetbotError, SessionNotFound
from meetbot.fleet.chapters import Chapters
from meetbot.fleet.claims import Claim, Claims, Refused, Row
from meetbot.fleet.platforms import JANUS_ONLY, Offer, platform_problem
from meetbot.store import Store

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    FINISHED = "finished"
    REFUSED = "refused"  # a duplicate, or over: acknowledged, nothing to do
    UNABLE = "unable"  # this worker lacks the platform's parts: another worker should try


class Unable(MeetbotError):
    """This worker cannot join this meeting (reason in the message); retry elsewhere."""


@dataclass(frozen=True, slots=True)
class JobContext:
    chapters: Chapters
    claims: Claims
    offers: Offer = JANUS_ONLY  # the platform families this worker runs (platforms.detect)
    # Called when the claim is lost mid-meeting (another worker took over after our lease
    # lapsed): two bots must never watch one meeting, so the default ends this process.
    on_lost: Callable[[], None] = lambda: os._exit(75)
    # This machine's name in worker names (`fleet worker --host`): a process of the same name
    # is checked locally (holder_gone), so two machines must never share one.
    host: str = field(default_factory=socket.gethostname)


def worker_name(host: str | None = None) -> str:
    """This process, as status shows it; computed per job (pool processes are forked)."""
    return f"{host or socket.gethostname()}:{os.getpid()}"


def holder_gone(worker: str, here: str | None = None) -> bool:
    """Whether the worker holding a meeting is a process of this machine (named `here`) that
    has died."""
    host, _, pid = worker.rpartition(":")
    if host != (here or socket.gethostname()) or not pid.isdigit():
        return False  # another machine: only its lease can tell
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return proc.zombie(pid)  # killed but not yet reaped by its pool: it holds no meeting


def settings_for(context: JobContext, row: Row) -> Settings:
    settings = context.chapters.get(row.chapter)
    if row.url or row.room is not None:  # a one-off invite names its own meeting
        meeting = settings.meeting
        # The stored link is in the bot's form already; reading it again names its platform.
        found = links.recognise(row.url, meeting.jitsi_hosts) if row.url else None
        meeting = dataclasses.replace(
            meeting,
            platform=meeting.platform if found is None else found.platform,
            url=row.url or meeting.url,
            room=meeting.room if row.room is None else row.room,
        )
        settings = dataclasses.replace(settings, meeting=meeting)
    return settings


def run_job(context: JobContext, key: str) -> Outcome:
    me = worker_name(context.host)
    try:
        row = context.claims.get(key)
        settings = settings_for(context, row)
        problem = asyncio.run(platform_problem(settings, context.offers))
        if problem:
            context.claims.note(key, f"{me} refused: {problem}")
            raise Unable(problem)
        claim = context.claims.claim(key, me, gone=lambda w: holder_gone(w, context.host))
    except Refused as refused:
        log.warning("job %s refused: %s", key, refused)
        return Outcome.REFUSED
    log.warning(
        "%s: %s %s (session %s)",
        me,
        "continuing" if claim.handover else "joining",
        key,
        claim.row.session_id,
    )
    try:
        asyncio.run(_attend(context, settings, claim, me))
    except BaseException as exc:
        context.claims.fail(key, f"{type(exc).__name__}: {exc}", me)
        raise
    context.claims.finish(key, me)
    return Outcome.FINISHED


async def _attend(context: JobContext, settings: Settings, claim: Claim, me: str) -> None:
    with _Heartbeat(context, claim.row.key, me), app.open_store(settings) as store:
        record = await _watch(
            settings, store, claim, lambda: context.claims.admitted(claim.row.key, me)
        )
        await app.finish(record, settings, store, stream=sys.stderr)


async def _watch(
    settings: Settings, store: Store, claim: Claim, admitted: Callable[[], None]
) -> SessionRecord:
    """The meeting's record: watched from the start, continued after a handover, or (when a
    worker died after saving it) as saved, so only its recap is left to do."""
    sid = claim.row.session_id
    ends = claim.row.ends_at
    earlier = None
    if sid in await asyncio.to_thread(store.unfinished):
        earlier = await asyncio.to_thread(store.reopen, sid)
        if ends <= datetime.now(UTC):
            # Its worker died and the meeting is over: keep what was saved, post the recap.
            return await asyncio.to_thread(store.recover, sid, settings.domain())
    else:
        try:
            return await asyncio.to_thread(store.load, sid)
        except SessionNotFound:
            pass
    clock = MonotonicClock(None if earlier is None else earlier.started_at)
    return await app.watch(
        settings,
        store,
        clock,
        until_s=(ends - clock.started_at).total_seconds(),
        stream=sys.stderr,
        session_id=None if earlier is not None else sid,
        earlier=earlier,
        on_admitted=admitted,
    )


class _Heartbeat:
    """Keeps the lease from a thread of its own: joining blocks the event loop for seconds
    (loading the vision models), and a lease must not lapse because of that."""

    def __init__(self, context: JobContext, key: str, me: str) -> None:
        self.context, self.key, self.me = context, key, me
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name=f"lease {key}", daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join()

    def _run(self) -> None:
        claims = self.context.claims
        while not self.stop.wait(claims.lease_s / 4):
            try:
                held = claims.beat(self.key, self.me)
            except MeetbotError as exc:
                # The database is down: the meeting goes on (checkpoints retry too); the
                # lease may lapse, and then the next beat finds it lost.
                log.warning("heartbeat of %s failed: %s", self.key, exc)
                continue
            if not held:
                log.error("%s: another worker took over %s; leaving at once", self.me, self.key)
                self.context.on_lost()
                return


def retry_delay(row: Row, now: float | None = None, every_s: float = 10.0) -> float | None:
    """When an unable job should try again (on another worker), or None once it is over."""
    now = time.time() if now is None else now
    return every_s if row.ends_at.timestamp() - now > every_s else None
