"""`meetbot fleet status`: every planned meeting, grouped the way an operator asks about them,
and every worker.

upcoming (planned or queued), running (which worker, since when, last heartbeat), finished
(which session), failed (why). A refusal by a worker without the platform's parts shows as the
reason of a meeting that is still upcoming. Workers: each `meetbot fleet worker` with its
platforms, free slots and meetings, alive or gone (not seen for longer than the lease).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from meetbot.fleet.claims import Row, State
from meetbot.fleet.workers import Liveness, Worker


def _tenths(seconds: float, *, up: bool) -> float:
    """To a tenth, rounded the way that keeps the line true: a gone worker was not seen for
    longer than the lease, and plain rounding would print 4.04 s as the lease itself (4 s)."""
    tenths = seconds * 10
    return (math.ceil(tenths) if up else math.floor(tenths)) / 10


GROUPS = {
    "upcoming": (State.DUE, State.QUEUED),
    "running": (State.RUNNING,),
    "finished": (State.FINISHED,),
    "failed": (State.FAILED,),
}


def as_json(
    rows: Sequence[Row],
    now: float | None = None,
    *,
    workers: Sequence[Worker] = (),
    lease_s: float = 60.0,
) -> dict[str, Any]:
    now = time.time() if now is None else now
    out: dict[str, Any] = {name: [] for name in GROUPS}
    out["workers"] = [
        {
            "name": w.name,
            "state": (state := w.liveness(now, lease_s)).value,
            "platforms": list(w.platforms),
            "concurrency": w.concurrency,
            "free": w.free,
            "meetings": list(w.meetings),
            "started_at": _iso(w.started_at),
            "seen_s_ago": _tenths(now - w.seen_at, up=state is Liveness.GONE),
        }
        for w in workers
    ]
    for row in rows:
        group = next(name for name, states in GROUPS.items() if row.state in states)
        item: dict[str, Any] = {
            "key": row.key,
            "chapter": row.chapter,
            "starts_at": _iso(row.starts_at.timestamp()),
            "state": row.state.value,
            "session_id": row.session_id or None,
            "handovers": row.handovers,
            "one_off": row.one_off,
        }
        if row.state is State.RUNNING:
            item |= {
                "worker": row.worker,
                "since": _iso(row.since),
                "heartbeat_age_s": round(now - row.heartbeat, 1),
            }
        if row.admitted_at is not None:
            # Negative: the bot was in the room before the start, as join_before_min intends.
            item["admitted_at"] = _iso(row.admitted_at)
            item["admitted_after_start_s"] = round(row.admitted_at - row.starts_at.timestamp(), 1)
        if row.reason:
            item["reason"] = row.reason
        out[group].append(item)
    return out


def as_text(
    rows: Sequence[Row],
    now: float | None = None,
    *,
    workers: Sequence[Worker] = (),
    lease_s: float = 60.0,
) -> str:
    data = as_json(rows, now, workers=workers, lease_s=lease_s)
    lines = _workers_text(data.pop("workers"), lease_s)
    for group, items in data.items():
        lines.append(f"{group} ({len(items)}):")
        for item in items:
            line = f"  {item['chapter']}  {item['starts_at']}"
            if group == "running":
                line += f"  on {item['worker']} since {item['since']}"
                line += f" (heartbeat {item['heartbeat_age_s']:g} s ago)"
                if "admitted_at" in item:
                    line += f", in the room since {item['admitted_at']}"
            elif group == "upcoming":
                line += f"  {item['state']}"
            if item["session_id"]:
                line += f"  session {item['session_id']}"
            if item["handovers"]:
                line += f"  handed over {item['handovers']}x"
            if "reason" in item:
                line += f"  — {item['reason']}"
            lines.append(line)
    return "\n".join(lines)


def _workers_text(workers: list[dict[str, Any]], lease_s: float) -> list[str]:
    gone = sum(1 for w in workers if w["state"] == Liveness.GONE)
    lines = [f"workers ({len(workers) - gone} alive, {gone} gone):"]
    for w in workers:
        line = f"  {w['name']}  {','.join(w['platforms'])}  {w['free']} of {w['concurrency']} free"
        line += f"  running {', '.join(w['meetings'])}" if w["meetings"] else "  idle"
        if w["state"] == Liveness.GONE:
            line += f"  GONE: not seen for {w['seen_s_ago']:g} s (lease {lease_s:g} s)"
        else:
            line += f"  seen {w['seen_s_ago']:g} s ago"
        lines.append(line)
    if not workers:
        lines.append("  none: start `meetbot fleet worker` on a machine with the chapter files")
    return lines


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
