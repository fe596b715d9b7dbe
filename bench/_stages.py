"""State latency taken apart: for each scripted camera change, where the time went.

For the first observation that saw a change (bench/participants.py `latencies`), the picture it
judged is followed along the path (bench/_trace.py): scripted change -> taken from the video in
the page -> JPEG ready -> over the link -> decoded -> in the sampler's slot -> sampled ->
detector began -> ended -> observation emitted -> the timeline shows the new state. Points a
connector does not have (the aiortc one has no page) are left out of its stages.

The timeline shows a change only once readings of it have held for the state's dwell time
(camera_off_dwell_s, engaged_dwell_s): deliberate, so that a blip is not a change. "timeline
net of dwell" is the timeline's delay minus that dwell, the part that is not on purpose.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterator
from typing import Any

from participants import scripted_changes

from meetbot.domain.settings import TimelineSettings

POINTS = ("change", "read", "sent", "received", "decoded", "slot", "at", "began", "ended")
NAMES = {
    ("change", "read"): "change -> taken in page",
    ("read", "sent"): "JPEG encode in page",
    ("sent", "received"): "link (socket)",
    ("received", "decoded"): "queue + decode",
    ("decoded", "slot"): "offer -> slot",
    ("change", "slot"): "change -> in slot",
    ("slot", "at"): "slot -> sampled",
    ("at", "began"): "sampled -> detector",
    ("began", "ended"): "detector",
    ("ended", "emitted"): "-> emitted",
}
DWELL = {
    "camera_off": TimelineSettings().camera_off_dwell_s,
    "engaged": TimelineSettings().engaged_dwell_s,
}


def changes(
    schedule: dict[str, dict[str, float]], bot: dict[str, Any]
) -> Iterator[tuple[str, float, str, dict[str, Any] | None, float | None]]:
    """(name, scripted at, expected state, first observation of it, timeline shown at); the
    timeline is only looked at for changes whose dwell ends inside the window."""
    seen: dict[str, list[dict[str, Any]]] = {}
    for o in bot["observations"]:
        seen.setdefault(o["name"], []).append(o)
    shown: dict[str, list[dict[str, Any]]] = {}
    for s in bot.get("timeline", []):
        shown.setdefault(s["name"], []).append(s)
    t1 = bot["window_end"]
    for name, at, expected, hold in scripted_changes(schedule, bot["window_start"], t1):
        hit = next(
            (
                o
                for o in seen.get(name, [])
                if at <= o["emitted"] < at + hold and o["state"] == expected
            ),
            None,
        )
        # the timeline may show it after the clip moved on: its dwell is on top
        late = min(at + hold + DWELL[expected] + 2.0, t1)
        switch = next(
            (
                s["shown"]
                for s in shown.get(name, [])
                if at <= s["shown"] < late and s["state"] == expected
            ),
            None,
        )
        yield name, at, expected, hit, switch


def _stat(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "median": None, "p95": None}
    p95 = (
        statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]
    )
    return {"n": len(values), "median": round(statistics.median(values), 3), "p95": round(p95, 3)}


def breakdown(schedule: dict[str, dict[str, float]], bot: dict[str, Any]) -> dict[str, Any]:
    """Median and p95 of each stage, and of the totals, over the timed changes."""
    stages: dict[str, list[float]] = {}
    missed = 0  # changes the timeline never showed (the state did not hold for its dwell)
    totals: dict[str, list[float]] = {
        "first observation": [],
        "timeline shows it": [],
        "timeline net of dwell": [],
    }
    for _name, at, expected, hit, switch in changes(schedule, bot):
        if hit is not None:
            times = {"change": at, **hit.get("frame", {}), "emitted": hit["emitted"]}
            path = [p for p in (*POINTS, "emitted") if p in times]
            for a, b in itertools.pairwise(path):
                label = NAMES.get((a, b), f"{a} -> {b}")
                stages.setdefault(label, []).append(times[b] - times[a])
            totals["first observation"].append(hit["emitted"] - at)
        if at + DWELL[expected] + 2.0 > bot["window_end"]:
            continue  # the window ends before its timeline could show it
        if switch is None:
            missed += 1
        else:
            totals["timeline shows it"].append(switch - at)
            totals["timeline net of dwell"].append(switch - at - DWELL[expected])
    return {
        "stages": {k: _stat(v) for k, v in stages.items()},
        "totals": {k: _stat(v) for k, v in totals.items()},
        "timeline_missed": missed,
    }


def lines(title: str, result: dict[str, Any]) -> list[str]:
    """The breakdown as a small table."""
    out = [f"  {title:34} {'median':>8} {'p95':>8} {'n':>5}"]
    for group in ("stages", "totals"):
        for label, s in result[group].items():
            med = "-" if s["median"] is None else f"{s['median']:.3f}"
            p95 = "-" if s["p95"] is None else f"{s['p95']:.3f}"
            out.append(f"    {label:32} {med:>8} {p95:>8} {s['n']:>5}")
    out.append(f"    {'changes the timeline never showed':32} {result['timeline_missed']:>23}")
    return out
