"""The outbox: every outgoing message is stored before it is sent, and sent once.

Lives in the session store's database (its own table, created if missing), so a recap saved
after a meeting and the message announcing it survive the same crashes.

Delivery guarantee, honestly:
- A message is committed as `pending` before any network I/O, so nothing is lost to a crash,
  a Discord outage or a bad token; `meetbot outbox --retry` finishes whatever is left.
- Before each attempt the row is marked `sending`; on success the Discord message ids are
  recorded and the row becomes `sent`, and a sent row is never sent again.
- The residual window: if the process dies after Discord accepted a part but before the row
  was updated, the next run sends that part again. Through the bot every part carries a nonce
  fixed at enqueue time and discord.py sets `enforce_nonce`, so Discord returns the existing
  message instead of posting a duplicate — for a few minutes (Discord's nonce memory). Webhooks
  have no nonce: there the window is at-least-once, one part at most. An attempt cut off by a
  run's deadline (`within_s`, a meeting's end) leaves the same window, and its row pending.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from meetbot.errors import PublishError, StorageError
from meetbot.publishers.base import (
    DeliveryFailed,
    DeliveryReceipt,
    OutgoingMessage,
    Publisher,
    Status,
    post_from_json,
    post_to_json,
)
from reports.post import Post

log = logging.getLogger(__name__)

_metadata = sa.MetaData()
outbox_table = sa.Table(
    "outbox_messages",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("destination", sa.String(64), nullable=False),
    sa.Column("dedupe_key", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("nonce", sa.String(25), nullable=False),
    sa.Column("post", sa.Text, nullable=False),  # JSON; charts only, never frames or audio
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("sent_parts", sa.Text, nullable=False, default="[]"),
    sa.Column("last_error", sa.Text, nullable=False, default=""),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("next_attempt_at", sa.Float, nullable=False, default=0.0),
    sa.Column("sent_at", sa.Float, nullable=True),
    sa.UniqueConstraint("destination", "dedupe_key", name="uq_outbox_dedupe"),
)

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A row, for listing (`meetbot outbox`) and for delivery."""

    id: int
    destination: str
    dedupe_key: str
    status: Status
    nonce: str
    post: Post
    attempts: int
    sent_parts: tuple[str, ...]
    last_error: str
    created_at: float
    next_attempt_at: float
    sent_at: float | None


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter; Discord's retry_after wins when it asks for longer."""

    base_s: float = 2.0
    factor: float = 2.0
    cap_s: float = 60.0
    jitter: float = 0.2  # up to this share is added at random so restarts do not stampede

    def delay(self, failures: int, retry_after: float | None, rng: random.Random) -> float:
        wait = min(self.cap_s, self.base_s * self.factor ** max(0, failures - 1))
        wait *= 1.0 + self.jitter * rng.random()
        return max(wait, retry_after or 0.0)


class Outbox:
    def __init__(self, engine: sa.Engine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock
        try:
            _metadata.create_all(engine)
        except sa.exc.SQLAlchemyError as exc:
            raise StorageError(f"cannot create the outbox table in {engine.url!r}: {exc}") from exc

    def enqueue(self, destination: str, post: Post, dedupe_key: str) -> int:
        """Store `post` for `destination`; the same (destination, dedupe_key) is stored once."""
        row = {
            "destination": destination,
            "dedupe_key": dedupe_key,
            "status": Status.PENDING.value,
            "nonce": secrets.token_hex(8),
            "post": post_to_json(post),
            "attempts": 0,
            "sent_parts": "[]",
            "last_error": "",
            "created_at": self._clock(),
            "next_attempt_at": 0.0,
        }
        try:
            with self._engine.begin() as conn:
                result = conn.execute(outbox_table.insert().values(row))
                return int(result.inserted_primary_key[0])  # type: ignore[index]
        except sa.exc.IntegrityError:
            return self._id_for(destination, dedupe_key)
        except sa.exc.SQLAlchemyError as exc:
            raise StorageError(f"cannot store the outgoing message {dedupe_key!r}: {exc}") from exc

    def pending(self, *, include_failed: bool = True) -> list[OutboxEntry]:
        """Everything not yet sent, oldest first (`sending` rows are interrupted attempts)."""
        statuses = [Status.PENDING, Status.SENDING] + ([Status.FAILED] if include_failed else [])
        return self._select(outbox_table.c.status.in_([s.value for s in statuses]))

    def entries(self, *, limit: int = 50) -> list[OutboxEntry]:
        """The newest `limit` rows of any status, oldest first."""
        newest = sa.select(outbox_table.c.id).order_by(outbox_table.c.id.desc()).limit(limit)
        return self._select(outbox_table.c.id.in_(newest.scalar_subquery()))

    def get(self, message_id: int) -> OutboxEntry:
        found = self._select(outbox_table.c.id == message_id)
        if not found:
            raise PublishError(f"no outbox message {message_id}; `meetbot outbox` lists them")
        return found[0]

    async def deliver_pending(
        self,
        publishers: Mapping[str, Publisher],
        *,
        max_attempts: int = 8,
        retry_failed: bool = False,
        backoff: Backoff = Backoff(),
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
        within_s: float | None = None,
    ) -> list[DeliveryReceipt]:
        """Send what is pending, oldest first, up to `max_attempts` tries each in this call.

        Stops at the first message that is still failing after its tries: when Discord is down,
        the rest would only fail too, and order is kept (a recap's parts stay in sequence).
        With `within_s`, the whole call ends by then (on this outbox's clock): no retry is
        started or waited for past it, and an attempt still running is cut off; what is left
        stays pending for a later run.
        """
        rng = rng or random.Random()
        deadline = None if within_s is None else self._clock() + within_s
        receipts: list[DeliveryReceipt] = []
        for entry in self.pending(include_failed=retry_failed):
            if entry.status is Status.FAILED and not retry_failed:
                continue
            publisher = publishers.get(entry.destination)
            if publisher is None:
                note = f"no publisher for {entry.destination!r} is configured; it stays pending"
                receipts.append(
                    DeliveryReceipt(entry.id, entry.destination, entry.status, (), note)
                )
                continue
            receipt = await self._deliver(
                entry, publisher, max_attempts, backoff, sleep, rng, deadline
            )
            receipts.append(receipt)
            if receipt.status is Status.PENDING:
                break
        return receipts

    async def _deliver(
        self,
        entry: OutboxEntry,
        publisher: Publisher,
        max_attempts: int,
        backoff: Backoff,
        sleep: Sleep,
        rng: random.Random,
        deadline: float | None = None,
    ) -> DeliveryReceipt:
        sent_parts, attempts = entry.sent_parts, entry.attempts
        error = "the time allowed ran out before a first try"
        for tries in range(1, max_attempts + 1):
            left = None if deadline is None else deadline - self._clock()
            if left is not None and left <= 0:
                return self._out_of_time(entry, sent_parts, error)
            attempts += 1
            self._update(entry.id, status=Status.SENDING, attempts=attempts)
            message = OutgoingMessage(
                id=entry.id,
                destination=entry.destination,
                post=entry.post,
                nonce=entry.nonce,
                dedupe_key=entry.dedupe_key,
                attempt=attempts,
                sent_parts=sent_parts,
            )
            try:
                async with asyncio.timeout(left):  # None: the publisher's own timeout only
                    receipt = await publisher.publish(message)
            except TimeoutError:
                # Only ours: publishers turn their own timeouts into DeliveryFailed.
                return self._out_of_time(entry, sent_parts, "no answer before the deadline")
            except DeliveryFailed as exc:
                sent_parts = exc.sent_parts or sent_parts
                retryable, retry_after, error = exc.retryable, exc.retry_after, str(exc)
            except PublishError as exc:
                retryable, retry_after, error = True, None, str(exc)
            else:
                self._update(
                    entry.id,
                    status=Status.SENT,
                    sent_parts=receipt.remote_ids,
                    last_error="",
                    sent_at=self._clock(),
                )
                return receipt
            if not retryable:
                self._update(
                    entry.id, status=Status.FAILED, sent_parts=sent_parts, last_error=error
                )
                note = f"{error}; fix that, then run `meetbot outbox --retry`"
                return DeliveryReceipt(entry.id, entry.destination, Status.FAILED, sent_parts, note)
            delay = backoff.delay(tries, retry_after, rng)
            self._update(
                entry.id,
                status=Status.PENDING,
                sent_parts=sent_parts,
                last_error=error,
                next_attempt_at=self._clock() + delay,
            )
            log.warning("outbox message %s attempt %s failed: %s", entry.id, attempts, error)
            if deadline is not None and self._clock() + delay >= deadline:
                return self._out_of_time(entry, sent_parts, error)
            if tries < max_attempts:
                await sleep(delay)
        note = (
            f"still pending after {max_attempts} tries ({error}); `meetbot outbox --retry` sends it"
        )
        return DeliveryReceipt(entry.id, entry.destination, Status.PENDING, sent_parts, note)

    def _out_of_time(
        self, entry: OutboxEntry, sent_parts: tuple[str, ...], error: str
    ) -> DeliveryReceipt:
        """The deadline came first: the row goes back to pending, ready for the next run."""
        self._update(entry.id, status=Status.PENDING, sent_parts=sent_parts, last_error=error)
        note = f"not delivered in the time allowed ({error}); `meetbot outbox --retry` sends it"
        return DeliveryReceipt(entry.id, entry.destination, Status.PENDING, sent_parts, note)

    def _id_for(self, destination: str, dedupe_key: str) -> int:
        query = sa.select(outbox_table.c.id).where(
            outbox_table.c.destination == destination, outbox_table.c.dedupe_key == dedupe_key
        )
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def _update(self, message_id: int, **values: object) -> None:
        if "status" in values:
            values["status"] = Status(str(values["status"])).value
        if "sent_parts" in values:
            values["sent_parts"] = json.dumps(list(values["sent_parts"]))  # type: ignore[call-overload]
        try:
            with self._engine.begin() as conn:
                conn.execute(outbox_table.update().where(outbox_table.c.id == message_id), values)
        except sa.exc.SQLAlchemyError as exc:
            raise StorageError(f"cannot update outbox message {message_id}: {exc}") from exc

    def _select(self, where: sa.ColumnElement[bool]) -> list[OutboxEntry]:
        query = sa.select(outbox_table).where(where).order_by(outbox_table.c.id)
        try:
            with self._engine.connect() as conn:
                rows = conn.execute(query).mappings().all()
        except sa.exc.SQLAlchemyError as exc:
            raise StorageError(f"cannot read the outbox: {exc}") from exc
        return [
            OutboxEntry(
                id=r["id"],
                destination=r["destination"],
                dedupe_key=r["dedupe_key"],
                status=Status(r["status"]),
                nonce=r["nonce"],
                post=post_from_json(r["post"]),
                attempts=r["attempts"],
                sent_parts=tuple(json.loads(r["sent_parts"])),
                last_error=r["last_error"],
                created_at=r["created_at"],
                next_attempt_at=r["next_attempt_at"],
                sent_at=r["sent_at"],
            )
            for r in rows
        ]
