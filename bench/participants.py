"""How the bot scales with the number of participants: CPU, analysed frames, state latency, RSS.

    scripts/in-sandbox .venv/bin/python bench/participants.py --participants 48 --seconds 30 --json

Starts a private Janus inside the sandbox, N replay publishers in one process (a clip encoded
once, its packets replayed: bench/_replay.py) and then the real bot twice in a process of its own
(bench/_bot.py: Janus connector + MediaSampler, default sampling): first with detection off
(baseline: receiving, decoding and sampling only), then with the real detectors. The bot's CPU
is its own process time; publishers and Janus are not counted.

State latency: each publisher's clip turns its camera black (and back) at known instants on the
shared monotonic clock; latency is from that instant to the first Observation saying so. It is
the media side's delay; the timeline's dwell times (a few seconds, on purpose) come on top.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from meetbot import proc
from meetbot.config.schema import SamplingSettings
from meetbot.lab.janus_server import JanusServer, sandbox_problem

HERE = Path(__file__).resolve().parent
ROOM = 4242
FPS, FACE_S, BLACK_S = 15, 8, 4  # publishers' camera rate and the clip's face/black loop
TARGETS = {"bot_cpu_percent": 100.0, "state_latency_p95_s": 2.0, "rss_mb": 1536.0}
NEVER = 100_000  # sampling.pause_video_from that no room reaches (the range's top)


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process (0 once it is gone)."""
    return proc.cpu_seconds(pid) or 0.0


def scripted_changes(
    schedule: dict[str, dict[str, float]], t0: float, t1: float
) -> Iterator[tuple[str, float, str, float]]:
    """(name, at, expected state, how long it holds) of each scripted camera change inside the
    window [t0, t1], for every publisher, in order."""
    period = (FACE_S + BLACK_S) * FPS
    for name, pub in schedule.items():
        # frame n shows clip frame (offset + n) % period; changes at clip frames 0 and FACE_S*FPS
        first = int((t0 - pub["start"]) * FPS)
        for n in range(max(0, first), int((t1 - pub["start"]) * FPS)):
            index = (int(pub["offset"]) + n) % period
            if index not in (0, FACE_S * FPS):
                continue
            at = pub["start"] + n / FPS
            if at + 3.0 > t1:
                break  # too close to the end of the window to judge
            expected = "engaged" if index == 0 else "camera_off"
            hold = FACE_S if index == 0 else BLACK_S  # until the clip changes again
            yield name, at, expected, hold


def latencies(
    schedule: dict[str, dict[str, float]], bot: dict[str, Any]
) -> tuple[list[float], dict[str, int], dict[str, int]]:
    """Delay from each scripted camera change inside the window to the first Observation of
    it, and how many changes were never observed before the next one."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for o in bot["observations"]:
        by_name.setdefault(o["name"], []).append(o)
    found: list[float] = []
    missed = {"engaged": 0, "camera_off": 0}
    instead: Counter[str] = Counter()  # what was observed when a change was missed
    for name, at, expected, hold in scripted_changes(
        schedule, bot["window_start"], bot["window_end"]
    ):
        seen = by_name.get(name, [])
        hits = [o for o in seen if at <= o["emitted"] < at + hold and o["state"] == expected]
        if hits:
            found.append(hits[0]["emitted"] - at)
        else:
            missed[expected] += 1
            instead[f"participants with a miss: {name}"] = 1
            instead.update(
                f"{o['state']}/{o['reason']}" for o in seen if at <= o["emitted"] < at + hold
            )
    return found, missed, dict(instead)


def p95_of(found: list[float]) -> float | None:
    if len(found) < 2:
        return None
    return round(statistics.quantiles(found, n=20, method="inclusive")[-1], 3)


async def read_schedule(
    stream: asyncio.StreamReader, n: int, timeout_s: float | None = None
) -> dict[str, dict[str, float]]:
    schedule: dict[str, dict[str, float]] = {}
    async with asyncio.timeout(timeout_s or 60 + 2 * n):
        while len(schedule) < n:
            line = await stream.readline()
            if not line:
                raise SystemExit("bench: the publishers stopped before all of them published")
            if line.startswith(b"{"):
                pub = json.loads(line)
                schedule[pub["name"]] = pub
    return schedule


async def run_bot(
    url: str, n: int, seconds: float, detect: bool, threads: int, pause_from: int
) -> dict[str, Any]:
    args = [str(HERE / "_bot.py"), "--url", url, "--room", str(ROOM)]
    args += ["--participants", str(n), "--seconds", str(seconds)]
    args += ["--detector-threads", str(threads), "--pause-video-from", str(pause_from)]
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        *args,
        *([] if detect else ["--no-detect"]),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    out, _ = await bot.communicate()
    lines = [line for line in out.splitlines() if line.startswith(b"{")]
    if bot.returncode != 0 or not lines:
        raise SystemExit(
            f"bench: the bot failed (exit {bot.returncode}); run bench/_bot.py alone to see why"
        )
    result: dict[str, Any] = json.loads(lines[-1])
    return result


async def bench(
    n: int, seconds: float, threads: int, pause_from: int, compare_continuous: bool
) -> dict[str, Any]:
    async with JanusServer() as janus:
        await janus.create_room(ROOM, publishers=max(64, n + 8))
        lifetime = 3 * (seconds + 60) + 60 + 3 * n  # three bot runs at most
        args = [str(HERE / "_replay.py"), "--url", janus.url, "--room", str(ROOM)]
        args += ["--participants", str(n), "--seconds", str(lifetime), "--fps", str(FPS)]
        args += ["--face-s", str(FACE_S), "--black-s", str(BLACK_S)]
        pubs = await asyncio.create_subprocess_exec(
            sys.executable, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL
        )
        try:
            assert pubs.stdout is not None
            schedule = await read_schedule(pubs.stdout, n)
            pub_cpu0, wall0 = cpu_seconds(pubs.pid), asyncio.get_running_loop().time()
            baseline = await run_bot(janus.url, n, seconds, False, threads, pause_from)
            real = await run_bot(janus.url, n, seconds, True, threads, pause_from)
            # the same bot with every video streaming all the time (no pausing at any size)
            continuous = (
                await run_bot(janus.url, n, seconds, True, threads, NEVER)
                if compare_continuous
                else None
            )
            pub_cpu = cpu_seconds(pubs.pid) - pub_cpu0
            pub_wall = asyncio.get_running_loop().time() - wall0
        finally:
            pubs.terminate()  # it prints its keyframe totals on the way out
            told = b""
            if pubs.stdout is not None:
                with contextlib.suppress(TimeoutError):  # a wedged publisher must not hang us
                    async with asyncio.timeout(30):
                        told = await pubs.stdout.read()
            if pubs.returncode is None and not told:
                pubs.kill()
            await pubs.wait()
    found, missed, instead = latencies(schedule, real)
    window = real["window_end"] - real["window_start"]
    p95 = p95_of(found)
    result = {
        "participants": n,
        "seconds": seconds,
        "sampling_fps": SamplingSettings().fps,
        "detector_threads": threads,
        "publisher_video": f"640x360@{FPS} VP8",
        "videos_paused_between_samples": n >= pause_from,
        "resumes_per_second": round(real["resumed"] / window, 2),
        "bot_cpu_percent": real["cpu_percent"],
        "frames_analysed_per_second": round(real["analysed"] / window, 2),
        "frames_expected_per_second": n * SamplingSettings().fps,
        "samples_skipped_per_second": round(real["skipped"] / window, 2),
        "state_latency_p50_s": round(statistics.median(found), 3) if found else None,
        "state_latency_p95_s": p95,
        "state_latency_max_s": round(max(found), 3) if found else None,
        "state_changes_timed": len(found),
        "state_changes_missed": missed,
        "observed_instead_of_missed": instead,
        "frames_received_per_second": round(real["received"] / window, 1),
        "frames_sent_per_second": n * FPS,
        "frames_received_per_participant_min_median_max": [
            round(real["received_each"][i] / window, 1)
            for i in (0, len(real["received_each"]) // 2, -1)
        ],
        "baseline_frames_received_per_second": round(
            baseline["received"] / (baseline["window_end"] - baseline["window_start"]), 1
        ),
        "rss_mb": real["rss_mb"],
        "peak_rss_mb": real["peak_rss_mb"],
        "baseline": {
            "what": "same bot, detection off (receive + decode + sample + RGB only)",
            "bot_cpu_percent": baseline["cpu_percent"],
            "rss_mb": baseline["rss_mb"],
        },
        "detection_cpu_percent": round(real["cpu_percent"] - baseline["cpu_percent"], 1),
        "cpu_ratio_vs_baseline": round(real["cpu_percent"] / max(baseline["cpu_percent"], 0.1), 2),
        "rss_ratio_vs_baseline": round(real["rss_mb"] / max(baseline["rss_mb"], 1.0), 2),
        "publishers_cpu_percent": round(100 * pub_cpu / pub_wall, 1),
        "publisher_keyframes": next(
            (json.loads(t[10:]) for t in told.splitlines() if t.startswith(b"keyframes ")), None
        ),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    if continuous is not None:
        found_c, missed_c, _ = latencies(schedule, continuous)
        result["continuous"] = {
            "what": "same bot, detection on, every video streaming (never paused)",
            "bot_cpu_percent": continuous["cpu_percent"],
            "state_latency_p95_s": p95_of(found_c),
            "state_changes_missed": missed_c,
            "rss_mb": continuous["rss_mb"],
        }
        result["cpu_ratio_vs_continuous"] = round(
            real["cpu_percent"] / max(continuous["cpu_percent"], 0.1), 2
        )
    result["targets_met"] = {
        key: result[key] is not None and result[key] <= limit for key, limit in TARGETS.items()
    }
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--participants", type=int, required=True, help="replay publishers, e.g. 48")
    ap.add_argument("--seconds", type=float, default=30.0, help="measured window per bot run")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument(
        "--detector-threads",
        type=int,
        default=SamplingSettings().detector_threads,
        help="sampling.detector_threads of the bot (default: the shipped default)",
    )
    ap.add_argument(
        "--pause-video-from",
        type=int,
        default=SamplingSettings().pause_video_from,
        help="sampling.pause_video_from of the bot (default: the shipped default)",
    )
    ap.add_argument(
        "--compare-continuous",
        action="store_true",
        help="also run the bot with every video streaming, for the ratio against pausing",
    )
    a = ap.parse_args()
    if a.participants < 1 or a.seconds < 5:
        ap.error("--participants must be >= 1 and --seconds >= 5")
    problem = sandbox_problem()
    if problem is not None:
        ap.error(f"{problem} (e.g. scripts/in-sandbox .venv/bin/python bench/participants.py ...)")
    result = asyncio.run(
        bench(
            a.participants,
            a.seconds,
            a.detector_threads,
            a.pause_video_from,
            a.compare_continuous,
        )
    )
    if a.json:
        print(json.dumps(result))
        return
    for key, value in result.items():
        print(f"{key:32} {value}")


if __name__ == "__main__":
    main()
