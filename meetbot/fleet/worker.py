"""`meetbot fleet worker`: a Celery worker running one meeting per pool process.

Concurrency comes from the machine's cores and the cost of the costliest meeting it offers
(meetbot.fleet.platforms: a browser meeting costs three Janus ones); each pool process runs
one meeting and is then replaced (worker_max_tasks_per_child = 1), so a long day of meetings
never accumulates memory.
"""

from __future__ import annotations

import logging
import os
import warnings
from typing import Any

from celery import Celery
from celery.exceptions import CPendingDeprecationWarning
from celery.signals import worker_process_init

from meetbot.fleet.broker import JOIN, QUEUE, broker_url, make_app
from meetbot.fleet.jobs import JobContext, Outcome, Unable, retry_delay, run_job
from meetbot.fleet.platforms import WEB

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


def run(context: JobContext, concurrency: int, *, url: str | None = None) -> None:
    """Run the worker in the foreground until it is stopped (SIGTERM waits for meetings)."""
    celery = build(context, url)
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
