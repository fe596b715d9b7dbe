"""One outbox message's tries in one run: backoff between them, the run's deadline, and every
part Discord acknowledges written to the row before the next part goes out.

The outbox picks the messages and owns the table; this decides what each try's outcome means
for the row (`save` writes its columns) and when to stop: sent, failed for good (a config
problem), still failing after `max_attempts`, or out of time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from meetbot.errors import PublishError
from meetbot.publishers.base import (
    DeliveryFailed,
    DeliveryReceipt,
    KnowsWhyCutOff,
    OutgoingMessage,
    Publisher,
    Status,
)

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter; Discord's retry_after wins when it asks for longer,
    up to `cap_s`: a longer one ends the run for that message (see `attempt`)."""

    base_s: float = 2.0
    factor: float = 2.0
    cap_s: float = 60.0
    jitter: float = 0.2  # up to this share is added at random so restarts do not stampede

    def delay(self, failures: int, retry_after: float | None, rng: random.Random) -> float:
        wait = min(self.cap_s, self.base_s * self.factor ** max(0, failures - 1))
        wait *= 1.0 + self.jitter * rng.random()
        return max(wait, retry_after or 0.0)


DEFAULT_BACKOFF = Backoff()


@dataclass(frozen=True, slots=True)
class Plan:
    """How hard one run tries each message."""

    max_attempts: int
    backoff: Backoff
    sleep: Sleep
    rng: random.Random
    clock: Callable[[], float]
    deadline: float | None  # on `clock`; None: no limit but each publisher's own timeouts


class SaveRow(Protocol):
    """Writes the given columns of this message's outbox row."""

    def __call__(self, **values: object) -> None: ...


async def attempt(
    message: OutgoingMessage, publisher: Publisher, save: SaveRow, plan: Plan
) -> DeliveryReceipt:
    """Try `message` until it is sent, fails for good, runs out of tries or of time.

    `message.attempt` is the number of its next try, counting every earlier run's.
    """
    sent_parts, attempts = message.sent_parts, message.attempt - 1
    error = "the time allowed ran out before a first try"

    def acknowledged(parts: tuple[str, ...]) -> None:
        nonlocal sent_parts
        sent_parts = parts
        save(sent_parts=parts)

    def out_of_time(error: str) -> DeliveryReceipt:
        # The deadline came first: back to pending (not left looking like a crash mid-send),
        # keeping every part acknowledged so far, ready for the next run.
        save(status=Status.PENDING, sent_parts=sent_parts, last_error=error)
        note = f"not delivered in the time allowed ({error}); `meetbot outbox --retry` sends it"
        return DeliveryReceipt(message.id, message.destination, Status.PENDING, sent_parts, note)

    for tries in range(1, plan.max_attempts + 1):
        left = None if plan.deadline is None else plan.deadline - plan.clock()
        if left is not None and left <= 0:
            return out_of_time(error)
        attempts += 1
        save(status=Status.SENDING, attempts=attempts)
        this_try = dataclasses.replace(message, attempt=attempts, sent_parts=sent_parts)
        try:
            async with asyncio.timeout(left):  # None: the publisher's own timeout only
                receipt = await publisher.publish(this_try, acknowledged)
        except TimeoutError:
            # Only ours: publishers turn their own timeouts into DeliveryFailed. One may know
            # it was rate limited (discord.py sleeping out a long Retry-After): say that.
            why = publisher.cut_off() if isinstance(publisher, KnowsWhyCutOff) else None
            if why is None:
                return out_of_time("no answer before the deadline")
            retryable, retry_after, error = why.retryable, why.retry_after, str(why)
        except DeliveryFailed as exc:
            retryable, retry_after, error = exc.retryable, exc.retry_after, str(exc)
            if retryable and not exc.retry_now:
                save(status=Status.PENDING, sent_parts=sent_parts, last_error=error)
                note = (
                    f"{error}; not tried again in this run, as a retry could post a copy; "
                    "a later run (`meetbot outbox --retry`) sends it again"
                )
                return DeliveryReceipt(
                    message.id, message.destination, Status.PENDING, sent_parts, note
                )
        except PublishError as exc:
            retryable, retry_after, error = True, None, str(exc)
        else:
            save(
                status=Status.SENT,
                sent_parts=receipt.remote_ids,
                last_error="",
                sent_at=plan.clock(),
            )
            return receipt
        if not retryable:
            save(status=Status.FAILED, sent_parts=sent_parts, last_error=error)
            note = f"{error}; fix that, then run `meetbot outbox --retry`"
            return DeliveryReceipt(message.id, message.destination, Status.FAILED, sent_parts, note)
        if retry_after is not None and retry_after > plan.backoff.cap_s:
            # Discord asks for a longer pause than this run ever waits between tries (a 429
            # with Retry-After: 3600): sleeping it out would hold the command for an hour.
            # The row keeps the time Discord gave; a later run sends it.
            save(
                status=Status.PENDING,
                sent_parts=sent_parts,
                last_error=error,
                next_attempt_at=plan.clock() + retry_after,
            )
            note = (
                f"{error}: Discord asks to wait {_duration(retry_after)} before the next try; "
                "it is kept in the outbox and `meetbot outbox --retry` sends it after that"
            )
            return DeliveryReceipt(
                message.id, message.destination, Status.PENDING, sent_parts, note
            )
        delay = plan.backoff.delay(tries, retry_after, plan.rng)
        save(
            status=Status.PENDING,
            sent_parts=sent_parts,
            last_error=error,
            next_attempt_at=plan.clock() + delay,
        )
        log.warning("outbox message %s attempt %s failed: %s", message.id, attempts, error)
        if plan.deadline is not None and plan.clock() + delay >= plan.deadline:
            return out_of_time(error)
        if tries < plan.max_attempts:
            await plan.sleep(delay)
    note = (
        f"still pending after {plan.max_attempts} tries ({error}); "
        "`meetbot outbox --retry` sends it"
    )
    return DeliveryReceipt(message.id, message.destination, Status.PENDING, sent_parts, note)


def _duration(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
