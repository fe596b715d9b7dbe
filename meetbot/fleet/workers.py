"""The region's worker processes, as `meetbot fleet status` shows them, idle ones included.

Meetings show who watches them; a worker with nothing to do would be invisible, and an operator
could not tell three idle workers from none. So every `meetbot fleet worker` (its Celery main
process, not the pool processes that run the meetings) keeps one row of its own fresh: host:pid,
the platforms it offers, its slots, the meetings its pool runs now and when it was last seen.
A worker that stops cleanly deletes its row; one that dies (SIGKILL, a machine gone) stops
beating and status calls it gone once it has not been seen for the lease (`--lease-s`, the same
lapse after which its meetings are handed over). Rows of workers gone for a day are dropped.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa

from meetbot.store.database import ddl_lock, translating

_metadata = sa.MetaData()
table = sa.Table(
    "fleet_workers",
    _metadata,
    sa.Column("name", sa.String(200), primary_key=True),  # host:pid of the main process
    sa.Column("host", sa.String(200), nullable=False, index=True),
    sa.Column("platforms", sa.String(200), nullable=False),  # comma-separated
    sa.Column("concurrency", sa.Integer, nullable=False),
    sa.Column("meetings", sa.Text, nullable=False, default="[]"),  # JSON: occurrence keys
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("seen_at", sa.Float, nullable=False),
)
FORGET_AFTER_S = 86400.0  # a gone worker's row is kept this long for status, then dropped


class Liveness(StrEnum):
    ALIVE = "alive"
    GONE = "gone"  # not seen for longer than the lease


@dataclass(frozen=True, slots=True)
class Worker:
    name: str
    host: str
    platforms: tuple[str, ...]
    concurrency: int
    meetings: tuple[str, ...]
    started_at: float
    seen_at: float

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"a worker runs at least one meeting, got {self.concurrency}")

    @property
    def free(self) -> int:
        return max(0, self.concurrency - len(self.meetings))

    def liveness(self, now: float, lease_s: float) -> Liveness:
        return Liveness.GONE if self.seen_at < now - lease_s else Liveness.ALIVE


class Workers:
    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        with self._tx("create the fleet workers table") as conn:
            ddl_lock(conn)  # every worker of a region starts at once on a new database
            _metadata.create_all(conn, checkfirst=True)

    def beat(self, worker: Worker, *, dead: Callable[[str], bool] = lambda _: False) -> None:
        """Write `worker`'s row as it is now; drop rows of workers gone for a day, and those
        `dead(name)` says are processes of this host that no longer exist (a restarted
        machine's earlier workers need not wait a day)."""
        values = {
            "host": worker.host,
            "platforms": ",".join(worker.platforms),
            "concurrency": worker.concurrency,
            "meetings": json.dumps(list(worker.meetings)),
            "started_at": worker.started_at,
            "seen_at": worker.seen_at,
        }
        c = table.c
        with self._tx(f"note worker {worker.name}") as conn:
            # Only this process writes its row: no race between the update and the insert.
            updated = conn.execute(table.update().where(c.name == worker.name).values(values))
            if updated.rowcount == 0:
                conn.execute(table.insert().values(name=worker.name, **values))
            here = conn.execute(
                sa.select(c.name).where(c.host == worker.host, c.name != worker.name)
            ).scalars()
            gone = [name for name in here if dead(name)]
            conn.execute(
                table.delete().where(
                    sa.or_(c.seen_at < worker.seen_at - FORGET_AFTER_S, c.name.in_(gone))
                )
            )

    def leave(self, name: str) -> None:
        """A worker stopping cleanly: it is no longer part of the region."""
        with self._tx(f"remove worker {name}") as conn:
            conn.execute(table.delete().where(table.c.name == name))

    def all(self) -> list[Worker]:
        with self._tx("list workers") as conn:
            found = conn.execute(sa.select(table).order_by(table.c.host, table.c.name))
            return [_worker(r._mapping) for r in found]

    @contextmanager
    def _tx(self, action: str) -> Iterator[sa.Connection]:
        with translating(self.engine, action), self.engine.begin() as conn:
            yield conn


def _worker(m: sa.RowMapping) -> Worker:
    return Worker(
        name=m["name"],
        host=m["host"],
        platforms=tuple(p for p in m["platforms"].split(",") if p),
        concurrency=m["concurrency"],
        meetings=tuple(json.loads(m["meetings"])),
        started_at=m["started_at"],
        seen_at=m["seen_at"],
    )
