"""The bot side of the browser bench, as its own process: a real Chromium on a Janus demo client
(the browser bridge) with the real MediaSampler and detectors, default sampling.

    python bench/_browser_bot.py --page-url URL --platform janus_mvideoroom --room R
                                 --participants N --seconds S [--no-detect] [--bindings]

Measures, over a window of --seconds once every participant was judged: CPU of this process
and every process it started (Playwright's driver, Chromium's browser, renderer, GPU and
utility processes), their summed PSS (shared pages counted once), pictures from the page.
Prints one JSON line in bench/_bot.py's shape, so bench/browser.py times state changes alike.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import tempfile
import time
from pathlib import Path

from _bot import no_detector  # bench/ is on sys.path when run as a script
from _trace import TapSink, TimelineWatch, TracingTab, frame_of, page_tracks, timed

from detectors import DetectorSettings
from meetbot import proc
from meetbot.config.loading import load
from meetbot.connectors.browser.connector import BrowserConnector
from meetbot.domain.events import Event, Observation, ParticipantId, ParticipantJoined
from meetbot.media import MediaSampler


def cpu_s(pids: list[int]) -> dict[int, float]:
    """CPU seconds so far of each process of `pids` still running."""
    return {pid: cpu for pid in pids if (cpu := proc.cpu_seconds(pid)) is not None}


def pss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--page-url", required=True)
    ap.add_argument("--platform", default="janus_mvideoroom")
    ap.add_argument("--room", type=int, required=True)
    ap.add_argument("--participants", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--no-detect", action="store_true")
    a = ap.parse_args()

    names: dict[ParticipantId, str] = {}
    seen: list[tuple[float, Observation]] = []
    judged: set[ParticipantId] = set()
    everyone = asyncio.Event()
    timeline = TimelineWatch()

    async def emit(event: Event) -> None:
        timeline.feed(event)
        if isinstance(event, ParticipantJoined):
            names[event.participant] = event.display_name
        elif isinstance(event, Observation):
            seen.append((time.monotonic(), event))
            if event.reason != "waiting_for_frames":
                judged.add(event.participant)
                if len(judged) >= a.participants:
                    everyone.set()

    settings = load(None, env={})
    settings = dataclasses.replace(
        settings,
        meeting=dataclasses.replace(
            settings.meeting,
            platform=a.platform,
            url=a.page_url,
            room=a.room,
            display_name="meetbotbench",
        ),
    )
    factory = timed(no_detector) if a.no_detect else timed()
    clock = time.monotonic  # shared with the publisher process
    BrowserConnector.tab_type = TracingTab
    with tempfile.TemporaryDirectory(prefix="meetbot-bench-") as home:
        async with (
            BrowserConnector(settings, clock, home=Path(home)) as connector,
            MediaSampler(
                settings.sampling, DetectorSettings(), clock, detector_factory=factory
            ) as sampler,
            asyncio.TaskGroup() as group,
        ):
            tap = TapSink(sampler)
            tasks = [
                group.create_task(connector.run(emit, tap)),
                group.create_task(sampler.run(emit)),
            ]
            joined_at = time.monotonic()
            async with asyncio.timeout(180):
                await everyone.wait()
            ready_s = time.monotonic() - joined_at
            await asyncio.sleep(a.warmup)
            # /proc is read in a thread: on a busy machine with many processes the walk takes
            # a second or more, which the bot's loop must not spend (it would stall the feeds)
            pids = await asyncio.to_thread(proc.tree, os.getpid())
            cpu0 = await asyncio.to_thread(cpu_s, pids)
            analysed0, t0 = sampler.analysed, time.monotonic()
            pictures0 = connector.tab.pictures if connector.tab else 0
            await asyncio.sleep(a.seconds)
            t1 = time.monotonic()
            cpu1 = await asyncio.to_thread(cpu_s, pids)
            analysed1 = sampler.analysed
            pictures1 = connector.tab.pictures if connector.tab else 0
            memory = pss_mb(await asyncio.to_thread(proc.tree, os.getpid()))
            for task in tasks:
                task.cancel()
    used = sum(cpu1[p] - cpu0[p] for p in cpu1 if p in cpu0)
    own = cpu1.get(os.getpid(), 0.0) - cpu0.get(os.getpid(), 0.0)
    tracks = page_tracks(tap.slots)
    window = [
        {"name": names.get(o.participant, o.participant), "emitted": when, "at": o.at,
         "state": o.state, "reason": o.reason,
         "frame": frame_of(tap.slots, tracks, o.participant, o.at)}
        for when, o in seen
        if t0 <= when <= t1
    ]  # fmt: skip
    shown = [
        {"name": names.get(pid, pid), "shown": when, "state": state}
        for when, pid, state in timeline.shown
        if t0 <= when <= t1 + 10
    ]
    print(
        json.dumps(
            {
                "detect": not a.no_detect,
                "ready_s": round(ready_s, 2),
                "window_start": t0,
                "window_end": t1,
                "cpu_percent": round(100 * used / (t1 - t0), 1),
                "python_cpu_percent": round(100 * own / (t1 - t0), 1),
                "processes": len(pids),
                "pss_mb": round(memory, 1),
                "analysed": analysed1 - analysed0,
                "pictures_per_second": round((pictures1 - pictures0) / (t1 - t0), 1),
                "observations": window,
                "timeline": shown,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
