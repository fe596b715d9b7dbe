"""The Celery app: a Redis broker carrying one `join` job per meeting occurrence.

Meetings are long jobs, which Celery's defaults handle badly, hence:
- task_acks_late: the job is acknowledged when the meeting is over, not when it starts, so a
  worker that dies mid-meeting leaves it in the broker (and task_reject_on_worker_lost puts it
  back at once when only the pool process died);
- worker_prefetch_multiplier = 1: a busy worker never holds a second meeting back in its
  buffer while another worker is idle;
- visibility_timeout longer than the longest meeting: Redis hands an unacknowledged job to
  another worker after that long, so a shorter timeout would start a second bot in a meeting
  that is still being watched (the claim in the database would refuse it, but only after that
  worker spent its start-up). The fast path after a crash is the scheduler's lease check
  (meetbot.fleet.scheduler), not this timeout;
- worker_cancel_long_running_tasks_on_connection_loss off (Celery 6 turns it on): a Redis
  restart must not end the meetings being watched; their jobs are acknowledged afterwards;
  Known limit (celery/celery#8091, #10302, still in 5.6.3): after the reconnection a worker
  whose meetings are still running takes no new job until one of them ends; idle workers do.
No result backend: outcomes live in the occurrence rows, where `meetbot fleet status` reads them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from celery import Celery
from kombu.exceptions import OperationalError

from meetbot.errors import ConfigError, MeetbotError

BROKER_ENV = "MEETBOT_BROKER_URL"  # may hold a password: environment only, never a file
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
BROKER_SCHEMES = ("redis://", "rediss://")
JOIN = "meetbot.fleet.join"
QUEUE = "meetings"
MIN_VISIBILITY_S = 2 * 3600.0


class BrokerDown(MeetbotError):
    """The broker could not take a job; the occurrence stays due and is sent again."""


def broker_url(env: Mapping[str, str] | None = None) -> str:
    """MEETBOT_BROKER_URL (default: the local Redis); anything but a Redis URL is refused."""
    url = (os.environ if env is None else env).get(BROKER_ENV) or DEFAULT_BROKER
    if not url.lower().startswith(BROKER_SCHEMES):
        # Celery would read any other word as an AMQP host name and retry it a hundred times.
        # Only the scheme is echoed: the rest may hold a password.
        shown = url.partition("://")[0] + "://…" if "://" in url else url
        raise ConfigError(
            f"{BROKER_ENV} must be a redis:// or rediss:// URL, e.g. {DEFAULT_BROKER}, "
            f"got {shown!r}"
        )
    return url


def visibility_timeout(longest_meeting_s: float) -> float:
    """Longer than the longest meeting plus its join lead and recap, never under two hours."""
    return max(MIN_VISIBILITY_S, longest_meeting_s + 3600.0)


def make_app(url: str, *, longest_meeting_s: float) -> Celery:
    app = Celery("meetbot", broker=url, set_as_current=False)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_max_tasks_per_child=1,  # one meeting per process, and its memory back after
        broker_transport_options={"visibility_timeout": visibility_timeout(longest_meeting_s)},
        task_default_queue=QUEUE,
        task_ignore_result=True,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        # A scheduler tick must not hang on a dead broker: fail fast, keep the row due, retry.
        task_publish_retry_policy={"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


def send_join(app: Celery, key: str) -> None:
    """Put one meeting's job on the queue, or raise BrokerDown in one line."""
    try:
        app.send_task(JOIN, args=[key], queue=QUEUE)
    except OperationalError as exc:
        where = _safe(app.conf.broker_url)
        raise BrokerDown(
            f"cannot reach the broker at {where} ({exc}); the meeting stays due and is sent "
            "again at the next tick; start redis-server or fix MEETBOT_BROKER_URL"
        ) from exc


def check_broker(app: Celery) -> None:
    """Raise BrokerDown (one line) unless the broker answers now."""
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    except (OperationalError, OSError) as exc:
        raise BrokerDown(
            f"cannot reach the broker at {_safe(app.conf.broker_url)} ({exc}); meetings due "
            "now wait until it is back; start redis-server or fix MEETBOT_BROKER_URL"
        ) from exc


def _safe(url: str) -> str:
    """The broker URL without its password."""
    head, sep, tail = url.rpartition("@")
    if not sep:
        return url
    scheme, _, _ = head.partition("://")
    return f"{scheme}://***@{tail}"
