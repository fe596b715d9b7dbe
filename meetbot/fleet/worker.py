"""`meetbot fleet worker`: a Celery worker running one meeting per pool process.

Concurrency comes from the machine's cores and the cost of the costliest meeting it offers
(meetbot.fleet.platforms: a browser meeting costs three Janus ones); each pool process runs
one meeting and is then replaced (worker_max_tasks_per_child = 1), so a long day of meetings
never accumulates memory. The main process keeps the worker's row in the workers table fresh
(meetbot.fleet.workers) from the moment it takes jobs until it stops, so `meetbot fleet status`
shows idle workers too.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from typing import Any

from celery import Celery
from celery.exceptions import CPendingDeprecationWarning
from celery.signals import worker_process_init, worker_ready, worker_shutdown

from meetbot import proc
from meetbot.errors import MeetbotError
from meetbot.fleet.broker import JOIN, QUEUE, broker_url, make_app
from meetbot.fleet.jobs import (
    JobContext,
    Outcome,
    Unable,
    holder_gone,
    retry_delay,
    run_job,
    worker_name,
)
from meetbot.fleet.platforms import WEB
from meetbot.fleet.workers import Worker, Workers

log = logging.getLogger(__name__)


def build(context: JobContext, url: str | None = None) -> Celery:
    """The Celery app with the join task bound to `context`."""
    celery = make_app(url or broker_url(), longest_meeting_s=context.chapters.longest_s)

    @celery.task(name=JOIN, bind=True)  # type: ignore[untyped-decorator]
    def join(task: Any, key: str) -> str:
        try:
            return run_job(context, key).value
        except Unable as exc:
            row = context.claims.get(key)
            delay = retry_delay(row)
            if delay is None:
                context.claims.fail(key, f"no worker could join it: {exc}")
                return Outcome.UNABLE.value
            # Back on the queue for another worker (or this one, once its problem is fixed).
            raise task.retry(countdown=delay, max_retries=None) from exc

    def _fresh_connections(**_: Any) -> None:
        # A forked pool process must not share the parent's database sockets.
        context.claims.engine.dispose(close=False)

    # weak=False: a signal keeps only a weak reference by default, and this closure would be
    # gone (never called) once build() returns.
    worker_process_init.connect(_fresh_connections, weak=False)

    return celery


class Presence:
    """This worker's row, beaten from a thread of the main process every quarter lease (Celery
    owns the main thread). Started once the worker takes jobs; removed when it stops."""

    def __init__(self, context: JobContext, workers: Workers, concurrency: int) -> None:
        self.context, self.workers, self.concurrency = context, workers, concurrency
        self.name = worker_name(context.host)
        self.started_at = time.time()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="worker presence", daemon=True)

    def now(self) -> Worker:
        host = self.name.rpartition(":")[0]
        pool = [f"{host}:{pid}" for pid in proc.children(os.getpid())]
        return Worker(
            name=self.name,
            host=host,
            platforms=tuple(self.context.offers.families),
            concurrency=self.concurrency,
            meetings=tuple(self.context.claims.running_on(pool)),
            started_at=self.started_at,
            seen_at=time.time(),
        )

    def beat(self) -> None:
        try:
            self.workers.beat(self.now(), dead=lambda w: holder_gone(w, self.context.host))
        except MeetbotError as exc:  # the database is down: status will say gone, then back
            log.warning("worker heartbeat failed: %s", exc)

    def start(self) -> None:
        self.thread.start()

    def leave(self) -> None:
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join()
        try:
            self.workers.leave(self.name)
        except MeetbotError as exc:
            log.warning("could not remove this worker from the workers table: %s", exc)

    def _run(self) -> None:
        self.beat()
        while not self.stop.wait(self.context.claims.lease_s / 4):
            self.beat()


def run(context: JobContext, concurrency: int, *, url: str | None = None) -> None:
    """Run the worker in the foreground until it is stopped (SIGTERM waits for meetings)."""
    celery = build(context, url)
    presence = Presence(context, Workers(context.claims.engine), concurrency)
    # Both are sent in the main process only (a pool process has signals of its own).
    worker_ready.connect(lambda **_: presence.start(), weak=False)
    worker_shutdown.connect(lambda **_: presence.leave(), weak=False)
    # Loaded once here, before the pool forks: each meeting's process then starts in a moment
    # instead of importing aiortc, mediapipe (and Playwright) for seconds after its start.
    import meetbot.connectors.janus
    import meetbot.media.sampler

    if WEB in context.offers.families:
        import meetbot.connectors.browser.connector  # noqa: F401

    quiet_broker_outages()
    name = f"meetbot-{os.getpid()}@{context.host}"
    celery.worker_main(
        [
            "worker",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            f"--queues={QUEUE}",
            f"--hostname={name}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ]
    )


class _NoTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if "Connection to broker lost" in str(record.msg):
            record.exc_info, record.exc_text = None, None
        return True


class _Answered(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "worker_cancel_long_running_tasks_on_connection_loss" not in record.getMessage()


def quiet_broker_outages() -> None:
    """A Redis outage as an operator wants to read it: Celery's "Connection to broker lost"
    without its traceback, one "Cannot connect" per retry, and "Connected to" when it is back
    (Celery says that at INFO, below the worker's level). Meetings go on meanwhile, and
    Celery's warning that version 6 will cancel them is answered in make_app."""
    logging.getLogger("celery.worker.consumer.consumer").addFilter(_NoTraceback())
    logging.getLogger("celery.worker.consumer.connection").setLevel(logging.INFO)
    # Celery's worker turns its own warnings back on after start-up: drop this one as a line.
    warnings.filterwarnings("ignore", category=CPendingDeprecationWarning)
    logging.getLogger("py.warnings").addFilter(_Answered())
