"""Exactly one bot per meeting: each occurrence is one row in the store's database.

A job may arrive twice (the scheduler and an organiser's invite, a broker redelivery, a retried
publish). Whoever wants to watch a meeting must first *claim* its row; the claim is one
transaction on that row (`SELECT ... FOR UPDATE`, then the update), so of two workers racing
for it exactly one wins and the other is told who has it. A running claim is a lease kept alive
by the worker's heartbeat; when the heartbeat stops (the worker was killed, its machine died)
the lease lapses, the scheduler puts the occurrence back in the queue, and the next worker
continues the SAME session: the session id is fixed when the row is first claimed.

States: due (planned, not yet in the broker) → queued → running → finished | failed. A running
row whose lease lapsed goes back to due (a handover).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from meetbot.config.schedule import Occurrence
from meetbot.errors import MeetbotError
from meetbot.fleet.occurrences import Row, State, create_table, find, row_of, table, update
from meetbot.session import new_session_id
from meetbot.store.database import translating

Gone = Callable[[str], bool]

__all__ = ["Claim", "Claims", "Gone", "Refused", "Row", "State"]


class Refused(MeetbotError):
    """This job must not run: another worker has the meeting, or it is over."""


@dataclass(frozen=True, slots=True)
class Claim:
    row: Row
    handover: bool  # an earlier worker began this meeting: continue its session


class Claims:
    def __init__(self, engine: sa.Engine, *, lease_s: float = 60.0) -> None:
        if lease_s <= 0:
            raise ValueError(f"lease_s must be greater than 0, got {lease_s}")
        self.engine = engine
        self.lease_s = lease_s
        with self._tx("create the fleet table") as conn:
            create_table(conn)

    def plan(
        self,
        occurrence: Occurrence,
        *,
        join_before_s: float,
        url: str = "",
        room: int | None = None,
        one_off: bool = False,
    ) -> bool:
        """Record an occurrence once; False when it was already planned."""
        with self._tx(f"plan {occurrence.key}") as conn:
            if find(conn, occurrence.key) is not None:
                return False
            start = occurrence.start.timestamp()
            conn.execute(
                table.insert().values(
                    key=occurrence.key,
                    chapter=occurrence.chapter,
                    starts_at=start,
                    length_s=occurrence.length_s,
                    enqueue_at=start - join_before_s,
                    url=url,
                    room=room,
                    one_off=one_off,
                    state=State.DUE,
                    updated_at=time.time(),
                )
            )
            return True

    def due(self, now: float | None = None) -> list[Row]:
        """Due rows whose enqueue time has come and whose meeting is not over."""
        now = time.time() if now is None else now
        c = table.c
        with self._tx("list due meetings") as conn:
            found = conn.execute(
                sa.select(table)
                .where(
                    c.state == State.DUE,
                    c.enqueue_at <= now,
                    c.starts_at + c.length_s > now,
                )
                .order_by(c.starts_at)
            )
            return [row_of(r) for r in found]

    def queued(self, key: str) -> None:
        self._set(key, [State.DUE], state=State.QUEUED)

    def claim(
        self, key: str, worker: str, now: float | None = None, *, gone: Gone = lambda _: False
    ) -> Claim:
        """Take the meeting for `worker`, or raise Refused saying who has it.

        `gone(holder)` may say that the worker holding it is known to be dead (a process of
        this machine that no longer exists): then there is no need to wait for its lease.
        """
        now = time.time() if now is None else now
        with self._tx(f"claim {key}") as conn:
            found = conn.execute(
                sa.select(table).where(table.c.key == key).with_for_update()
            ).first()
            refusal = _refusal(
                key, None if found is None else row_of(found), now, self.lease_s, gone
            )
            if refusal is None:
                assert found is not None
                row = row_of(found)
                handover = bool(row.session_id) and row.claims > 0
                conn.execute(
                    update(
                        key,
                        state=State.RUNNING,
                        worker=worker,
                        since=now,
                        heartbeat=now,
                        claims=row.claims + 1,
                        handovers=row.handovers + handover,
                        session_id=row.session_id
                        or new_session_id(datetime.fromtimestamp(now, UTC)),
                        reason="",
                    )
                )
                return Claim(self._fresh(conn, key), handover=handover)
            if found is not None and refusal.duplicate:
                conn.execute(update(key, duplicates=row_of(found).duplicates + 1))
            elif found is not None and refusal.over:
                conn.execute(update(key, state=State.FAILED, reason="the meeting was over"))
        raise Refused(refusal.message)

    def beat(self, key: str, worker: str) -> bool:
        """Keep `worker`'s lease; False when it no longer holds the meeting."""
        with self._tx(f"heartbeat {key}") as conn:
            c = table.c
            done = conn.execute(
                table.update()
                .where(c.key == key, c.worker == worker, c.state == State.RUNNING)
                .values(heartbeat=time.time(), updated_at=time.time())
            )
            return done.rowcount == 1

    def admitted(self, key: str, worker: str, now: float | None = None) -> None:
        """The bot of `worker` is in the meeting's room; only the first admission is kept
        (a handover's worker rejoins a meeting the bot was already in)."""
        now = time.time() if now is None else now
        c = table.c
        with self._tx(f"note the admission to {key}") as conn:
            conn.execute(
                table.update()
                .where(
                    c.key == key,
                    c.worker == worker,
                    c.state == State.RUNNING,
                    c.admitted_at.is_(None),
                )
                .values(admitted_at=now, updated_at=time.time())
            )

    def finish(self, key: str, worker: str) -> None:
        self._owned(key, worker, state=State.FINISHED)

    def fail(self, key: str, reason: str, worker: str | None = None) -> None:
        if worker is None:
            self._set(key, list(State), state=State.FAILED, reason=reason)
        else:
            self._owned(key, worker, state=State.FAILED, reason=reason)

    def note(self, key: str, reason: str) -> None:
        """Say why a worker would not take the meeting (shown by `meetbot fleet status`)."""
        self._set(key, list(State), reason=reason)

    def lapsed(self, now: float | None = None, *, requeue_after_s: float = 300.0) -> list[Row]:
        """Meetings to send again: running ones whose worker stopped beating (a handover),
        and queued ones no worker took long after their start (a broker that lost its queue,
        say). Duplicates are harmless: the claim refuses all but one."""
        now = time.time() if now is None else now
        c = table.c
        with self._tx("find meetings whose worker died") as conn:
            found = [
                row_of(r)
                for r in conn.execute(
                    sa.select(table)
                    .where(
                        sa.or_(
                            sa.and_(c.state == State.RUNNING, c.heartbeat < now - self.lease_s),
                            sa.and_(
                                c.state == State.QUEUED,
                                c.updated_at < now - requeue_after_s,
                                c.starts_at < now,
                                c.starts_at + c.length_s > now,
                            ),
                        ),
                    )
                    .with_for_update()
                )
            ]
            for row in found:
                why = (
                    f"{row.worker} stopped answering; handed over"
                    if row.state is State.RUNNING
                    else "no worker took it; sent again"
                )
                conn.execute(update(row.key, state=State.DUE, reason=why))
            return found

    def running_on(self, workers: Sequence[str]) -> list[str]:
        """The meetings these workers (host:pid each) hold now."""
        if not workers:
            return []
        c = table.c
        with self._tx("list a worker's meetings") as conn:
            found = conn.execute(
                sa.select(c.key)
                .where(c.state == State.RUNNING, c.worker.in_(list(workers)))
                .order_by(c.key)
            )
            return list(found.scalars())

    def get(self, key: str) -> Row:
        with self._tx(f"read {key}") as conn:
            found = find(conn, key)
        if found is None:
            raise Refused(f"no occurrence {key!r} is planned")
        return found

    def all(self, chapter: str | None = None) -> list[Row]:
        query = sa.select(table).order_by(table.c.starts_at, table.c.chapter)
        if chapter is not None:
            query = query.where(table.c.chapter == chapter)
        with self._tx("list meetings") as conn:
            return [row_of(r) for r in conn.execute(query)]

    # -- internals ---------------------------------------------------------------------------

    def _owned(self, key: str, worker: str, **values: object) -> None:
        with self._tx(f"update {key}") as conn:
            c = table.c
            conn.execute(
                table.update()
                .where(c.key == key, c.worker == worker, c.state == State.RUNNING)
                .values(updated_at=time.time(), **values)
            )

    def _set(self, key: str, states: list[State], **values: object) -> None:
        with self._tx(f"update {key}") as conn:
            conn.execute(
                table.update()
                .where(table.c.key == key, table.c.state.in_([str(s) for s in states]))
                .values(updated_at=time.time(), **values)
            )

    @staticmethod
    def _fresh(conn: sa.Connection, key: str) -> Row:
        found = find(conn, key)
        assert found is not None
        return found

    @contextmanager
    def _tx(self, action: str) -> Iterator[sa.Connection]:
        with translating(self.engine, action), self.engine.begin() as conn:
            yield conn


@dataclass(frozen=True, slots=True)
class _Refusal:
    message: str
    duplicate: bool = False
    over: bool = False


def _refusal(key: str, row: Row | None, now: float, lease_s: float, gone: Gone) -> _Refusal | None:
    if row is None:
        return _Refusal(f"no occurrence {key!r} is planned; it cannot be watched")
    if row.state is State.RUNNING:
        lapsed = row.heartbeat < now - lease_s or gone(row.worker)
        if not lapsed:
            return _Refusal(
                f"{key} is already watched by {row.worker} (since {_at(row.since)}); "
                "a duplicate job is dropped",
                duplicate=True,
            )
    if row.state in (State.FINISHED, State.FAILED):
        return _Refusal(f"{key} is {row.state} (session {row.session_id or 'none'})")
    if row.ends_at.timestamp() <= now and not row.session_id:
        # Over and never begun: nothing to watch. Begun: its recap is still to be done.
        return _Refusal(f"{key} ended before any worker could join it", over=True)
    return None


def _at(epoch: float | None) -> str:
    return "?" if epoch is None else f"{datetime.fromtimestamp(epoch, UTC):%H:%M:%S} UTC"
