"""The outbox: every outgoing message is stored before it is sent, and sent once.

Lives in the session store's database (its own table, created if missing), so a recap saved
after a meeting and the message announcing it survive the same crashes.

Delivery guarantee, honestly:
- A message is committed as `pending` before any network I/O, so nothing is lost to a crash,
  a Discord outage or a bad token; `meetbot outbox --retry` finishes whatever is left.
- Before each attempt the row is marked `sending`. A recap too long for one Discord message
  goes out in parts, and each part's Discord id is written to the row as soon as Discord
  answers, before the next part is sent; on success the row becomes `sent`, and a sent row is
  never sent again. An attempt that fails, is cut off by a run's deadline (`within_s`, a
  meeting's end) or dies with the process resumes at the first part without an answer.
- Each message is claimed before its first try: one UPDATE moves a lease (`claim`, a random
  token, and `lease_until`) onto the row only if nobody holds an unexpired one, so of two
  deliverers on one store (the `meetbot discord` bot's loop and `meetbot outbox --retry`, or the
  end of `join`) exactly one sends it; the other stops there and says so. Every write while
  sending renews the lease and checks the token; the lease is released when the run is done
  with the message, and expires after `lease_s` if the process dies holding it.
- The residual window is that one part: if Discord created it but its answer never arrived
  (a lost response, a crash, the deadline), the next run sends it again. Through the bot every
  part carries a nonce fixed at enqueue time and discord.py sets `enforce_nonce`, so Discord
  returns the existing message instead of posting a duplicate — for a few minutes (Discord's
  nonce memory). Webhooks have no nonce: a webhook try that got no answer is not repeated in
  the same run (see meetbot.publishers.discord_webhook), so the window is one part per run.
"""

from __future__ import annotations

import asyncio
import functools
import json
import random
import secrets
import time
from collections.abc import Callable, Mapping

import sqlalchemy as sa

from meetbot.errors import PublishError
from meetbot.publishers.attempts import DEFAULT_BACKOFF, Plan, attempt
from meetbot.publishers.attempts import Backoff as Backoff  # re-exported: callers build one
from meetbot.publishers.attempts import Sleep as Sleep  # re-exported: callers inject one
from meetbot.publishers.base import (
    DeliveryReceipt,
    OutgoingMessage,
    Publisher,
    Status,
    post_to_json,
)
from meetbot.publishers.outbox_table import OutboxEntry, create_table, entry_of, outbox_table
from meetbot.store.database import ddl_lock, translating
from reports.post import Post


class ClaimLost(Exception):
    """Our lease on a row expired and another deliverer claimed it: it is theirs now."""


class Outbox:
    # Longer than anything a deliverer does between two writes to the row (one part's send,
    # bounded by send_timeout_s, or one backoff wait, bounded by backoff_cap_s): a live
    # deliverer never loses its claim; a dead one's row is free again after this.
    LEASE_S = 300.0

    def __init__(
        self,
        engine: sa.Engine,
        *,
        clock: Callable[[], float] = time.time,
        lease_s: float = LEASE_S,
    ) -> None:
        self._engine = engine
        self._clock = clock
        self._lease_s = lease_s
        with translating(engine, "create the outbox table"), engine.begin() as conn:
            ddl_lock(conn)  # workers finishing at once all create it on a new database
            create_table(conn)

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
        with translating(self._engine, f"store the outgoing message {dedupe_key!r}"):
            try:
                with self._engine.begin() as conn:
                    result = conn.execute(outbox_table.insert().values(row))
                    return int(result.inserted_primary_key[0])  # type: ignore[index]
            except sa.exc.IntegrityError:
                return self._id_for(destination, dedupe_key)

    def pending(self, *, include_failed: bool = True) -> list[OutboxEntry]:
        """Everything not yet sent, oldest first (`sending` rows are interrupted attempts)."""
        statuses = [Status.PENDING, Status.SENDING] + ([Status.FAILED] if include_failed else [])
        return self._select(outbox_table.c.status.in_([s.value for s in statuses]))

    def entries(self, *, limit: int = 50) -> list[OutboxEntry]:
        """The newest `limit` rows of any status, oldest first."""
        newest = sa.select(outbox_table.c.id).order_by(outbox_table.c.id.desc()).limit(limit)
        return self._select(outbox_table.c.id.in_(newest.scalar_subquery()))

    def discard(self, dedupe_key: str) -> int:
        """Delete every message stored under `dedupe_key` (a deleted session's recap, whatever
        its status); returns how many."""
        gone = outbox_table.delete().where(outbox_table.c.dedupe_key == dedupe_key)
        action = f"delete the outgoing message {dedupe_key!r}"
        with translating(self._engine, action), self._engine.begin() as conn:
            return int(conn.execute(gone).rowcount or 0)

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
        backoff: Backoff = DEFAULT_BACKOFF,
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
        deadline = None if within_s is None else self._clock() + within_s
        plan = Plan(max_attempts, backoff, sleep, rng or random.Random(), self._clock, deadline)
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
            token = self._claim(entry.id, retry_failed=retry_failed)
            if token is None:
                # Another deliverer has it (or sent it since we looked); it carries on down the
                # queue after it, so stopping here keeps the order and sends nothing twice.
                note = "another meetbot process is delivering it right now"
                receipts.append(
                    DeliveryReceipt(entry.id, entry.destination, entry.status, (), note)
                )
                break
            try:
                receipt = await attempt(
                    self._message(self.get(entry.id)),  # as the last holder left it
                    publisher,
                    functools.partial(self._update, entry.id, token),
                    plan,
                )
            except ClaimLost:
                note = "another meetbot process took it over after this one stalled"
                receipts.append(
                    DeliveryReceipt(entry.id, entry.destination, entry.status, (), note)
                )
                break
            finally:
                self._release(entry.id, token)
            receipts.append(receipt)
            if receipt.status is Status.PENDING:
                break
        return receipts

    def _claim(self, message_id: int, *, retry_failed: bool) -> str | None:
        """Take the row for this run if nobody else holds it: the token, or None."""
        now, token = self._clock(), secrets.token_hex(8)
        statuses = [Status.PENDING, Status.SENDING] + ([Status.FAILED] if retry_failed else [])
        claim = (
            outbox_table.update()
            .where(
                outbox_table.c.id == message_id,
                outbox_table.c.status.in_([s.value for s in statuses]),
                outbox_table.c.lease_until <= now,
            )
            .values(claim=token, lease_until=now + self._lease_s)
        )
        action = f"claim outbox message {message_id}"
        with translating(self._engine, action), self._engine.begin() as conn:
            claimed = conn.execute(claim).rowcount == 1
        return token if claimed else None

    def _release(self, message_id: int, token: str) -> None:
        release = (
            outbox_table.update()
            .where(outbox_table.c.id == message_id, outbox_table.c.claim == token)
            .values(claim="", lease_until=0.0)
        )
        action = f"release outbox message {message_id}"
        with translating(self._engine, action), self._engine.begin() as conn:
            conn.execute(release)

    @staticmethod
    def _message(entry: OutboxEntry) -> OutgoingMessage:
        """The entry as its next try will hand it to the publisher."""
        return OutgoingMessage(
            entry.id,
            entry.destination,
            entry.post,
            entry.nonce,
            entry.dedupe_key,
            attempt=entry.attempts + 1,
            sent_parts=entry.sent_parts,
        )

    def _id_for(self, destination: str, dedupe_key: str) -> int:
        query = sa.select(outbox_table.c.id).where(
            outbox_table.c.destination == destination, outbox_table.c.dedupe_key == dedupe_key
        )
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def _update(self, message_id: int, token: str, **values: object) -> None:
        """Write columns of a row this run holds, renewing the claim; ClaimLost if it is gone."""
        if "status" in values:
            values["status"] = Status(str(values["status"])).value
        if "sent_parts" in values:
            values["sent_parts"] = json.dumps(list(values["sent_parts"]))  # type: ignore[call-overload]
        values["lease_until"] = self._clock() + self._lease_s
        mine = outbox_table.update().where(
            outbox_table.c.id == message_id, outbox_table.c.claim == token
        )
        action = f"update outbox message {message_id}"
        with translating(self._engine, action), self._engine.begin() as conn:
            held = conn.execute(mine, values).rowcount == 1
        if not held:
            raise ClaimLost(message_id)

    def _select(self, where: sa.ColumnElement[bool]) -> list[OutboxEntry]:
        query = sa.select(outbox_table).where(where).order_by(outbox_table.c.id)
        with translating(self._engine, "read the outbox"), self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [entry_of(r) for r in rows]
