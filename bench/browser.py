"""The browser bridge's cost against the aiortc connector, on the same meeting in the same run.

    scripts/in-sandbox .venv/bin/python bench/browser.py [--feeds 4,8,16,24] [--seconds 20]
                                                       [--platform janus_mvideoroom] [--json]

For each room size: a private Janus, Janus's demo pages on loopback, N replay publishers
(bench/_replay.py: a real face clip turning black and back at known instants), then the bot
twice, each in a process of its own with the real sampler and detectors: the aiortc Janus
connector (bench/_bot.py, the baseline) and the browser bridge (bench/_browser_bot.py: Python
plus Playwright's driver plus every Chromium process). CPU is each bot's own process tree;
memory is the bridge's summed PSS (the aiortc bot's RSS); state latency is from a scripted
camera change to the first observation of it. Each bot also prints where that time went, stage
by stage (bench/_stages.py), and when the session's timeline showed the change: its dwell time
comes on top on purpose, so that figure is also given net of the dwell.
Targets (issue 12): 24 feeds within 1.5 cores and 2.5 GB in all, p95 state latency <= 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from _stages import breakdown, lines
from participants import BLACK_S, FACE_S, FPS, NEVER, latencies, p95_of, read_schedule, run_bot

from meetbot.lab.demo_pages import PAGES, DemoPages
from meetbot.lab.janus_server import JanusServer, sandbox_problem

HERE = Path(__file__).resolve().parent
ROOM = 4242
TARGETS = {"cpu_cores": 1.5, "memory_gb": 2.5, "state_latency_p95_s": 2.0}


async def browser_bot(page_url: str, platform: str, n: int, seconds: float) -> dict[str, Any]:
    args = [str(HERE / "_browser_bot.py"), "--page-url", page_url, "--platform", platform]
    args += ["--room", str(ROOM), "--participants", str(n), "--seconds", str(seconds)]
    bot = await asyncio.create_subprocess_exec(
        sys.executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
    )
    out, _ = await bot.communicate()
    lines = [line for line in out.splitlines() if line.startswith(b"{")]
    if bot.returncode != 0 or not lines:
        raise SystemExit(f"bench: the browser bot failed (exit {bot.returncode}); run "
                         "bench/_browser_bot.py alone to see why")  # fmt: skip
    result: dict[str, Any] = json.loads(lines[-1])
    return result


async def one_size(n: int, seconds: float, platform: str, raw: Path | None) -> dict[str, Any]:
    async with JanusServer() as janus, DemoPages(janus.url) as pages:
        await janus.create_room(ROOM, publishers=max(64, n + 8))
        lifetime = 2 * (seconds + 90) + 60 + 3 * n
        args = [str(HERE / "_replay.py"), "--url", janus.url, "--room", str(ROOM)]
        args += ["--participants", str(n), "--seconds", str(lifetime), "--fps", str(FPS)]
        args += ["--face-s", str(FACE_S), "--black-s", str(BLACK_S)]
        pubs = await asyncio.create_subprocess_exec(
            sys.executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            assert pubs.stdout is not None
            # encoding the clip once takes a minute or more on a busy machine
            schedule = await read_schedule(pubs.stdout, n, timeout_s=300 + 5 * n)
            aiortc = await run_bot(janus.url, n, seconds, True, 2, NEVER)
            bridge = await browser_bot(pages.url(PAGES[platform]), platform, n, seconds)
        finally:
            pubs.kill()
            await pubs.wait()
    if raw is not None:
        with raw.open("a") as out:
            out.write(json.dumps({"feeds": n, "schedule": schedule, "bridge": bridge,
                                  "aiortc": aiortc}) + "\n")  # fmt: skip
    found_a, missed_a, _ = latencies(schedule, aiortc)
    found_b, missed_b, _ = latencies(schedule, bridge)
    cores = bridge["cpu_percent"] / 100
    result = {
        "feeds": n,
        "platform": platform,
        "bridge": {
            "cpu_cores": round(cores, 2),
            "python_cpu_percent": bridge["python_cpu_percent"],
            "processes": bridge["processes"],
            "memory_gb": round(bridge["pss_mb"] / 1024, 2),
            "pictures_per_second": bridge["pictures_per_second"],
            "state_latency_p95_s": p95_of(found_b),
            "state_changes_timed": len(found_b),
            "state_changes_missed": missed_b,
        },
        "aiortc": {
            "cpu_cores": round(aiortc["cpu_percent"] / 100, 2),
            "memory_gb": round(aiortc["rss_mb"] / 1024, 2),
            "state_latency_p95_s": p95_of(found_a),
            "state_changes_timed": len(found_a),
            "state_changes_missed": missed_a,
        },
        "breakdown": {"bridge": breakdown(schedule, bridge), "aiortc": breakdown(schedule, aiortc)},
        "cpu_ratio_bridge_vs_aiortc": round(cores / max(aiortc["cpu_percent"] / 100, 0.01), 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    if n == 24:
        b = result["bridge"]
        result["targets_met"] = {
            k: b[k] is not None and b[k] <= limit for k, limit in TARGETS.items()
        }
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--feeds", default="4,8,16,24", help="room sizes, comma-separated")
    ap.add_argument("--seconds", type=float, default=20.0, help="measured window per bot")
    ap.add_argument("--platform", default="janus_mvideoroom", choices=tuple(PAGES))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--raw", type=Path, help="also write each size's schedule and bot outputs here")
    a = ap.parse_args()
    problem = sandbox_problem()
    if problem is not None:
        ap.error(f"{problem} (e.g. scripts/in-sandbox .venv/bin/python bench/browser.py)")
    for n in (int(x) for x in a.feeds.split(",")):
        result = asyncio.run(one_size(n, a.seconds, a.platform, a.raw))
        if a.json:
            print(json.dumps(result), flush=True)
            continue
        b, r = result["bridge"], result["aiortc"]
        print(
            f"{n:3} feeds  bridge {b['cpu_cores']:.2f} cores {b['memory_gb']:.2f} GB "
            f"p95 {b['state_latency_p95_s']} s ({b['pictures_per_second']} pictures/s) | "
            f"aiortc {r['cpu_cores']:.2f} cores {r['memory_gb']:.2f} GB "
            f"p95 {r['state_latency_p95_s']} s | ratio {result['cpu_ratio_bridge_vs_aiortc']} "
            f"| load {result['load_average_1m']}",
            flush=True,
        )
        for who in ("bridge", "aiortc"):
            print("\n".join(lines(f"{who} (seconds)", result["breakdown"][who])), flush=True)


if __name__ == "__main__":
    main()
