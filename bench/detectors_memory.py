"""Memory of N participants' detectors in one process: resident MiB for N = 1, 16, 48.

    .venv/bin/python bench/detectors_memory.py [--people 1 16 48] [--rounds 6] [--json OUT]

Each (mode, N) runs in a fresh child process (RSS never shrinks back reliably, so one process
per measurement). A child builds real frames (skimage's astronaut and matplotlib's
grace_hopper posed by detectors.synthetic: a large face, a small one the crop path finds, a
turned head), makes N Detectors and judges `rounds` frames each on a pool of 2 threads, as the
sampler does (one call in flight per person, on whichever thread is free), then reads VmRSS.

Modes: "flat" is the default settings; "tracking" sets face_tracking=true (one tracking
face_mesh per person, the way detectors worked before) and is the baseline of the same run.
Per-person MiB is the slope between the two largest N; the ratios are flat/tracking.
Nothing is written to disk except the optional JSON report.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

MODES = {"tracking": True, "flat": False}  # mode -> DetectorSettings.face_tracking
THREADS = 2  # the sampler's default detector_threads


def status_mib(field: str) -> float:
    """A VmRSS/VmHWM-style line of /proc/self/status, in MiB (no psutil)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def child(people: int, tracking: bool, rounds: int) -> dict[str, Any]:
    import gc

    import numpy as np
    import skimage.data
    from matplotlib import cbook
    from matplotlib import image as mpimg

    from detectors import Detector, DetectorSettings
    from detectors import synthetic as syn

    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        grace = np.asarray(mpimg.imread(fh, format="jpg"), np.uint8)
    frames = []
    for photo in (skimage.data.astronaut(), grace):
        face = syn.PosableFace(photo)
        frames += [face.frame(0.0, 0.0, 120), face.frame(0.0, 0.0, 36), face.frame(30.0, 10.0, 90)]
    settings = dataclasses.replace(DetectorSettings(), face_tracking=tracking)
    gc.collect()
    ready = status_mib("VmRSS")  # interpreter, libraries, frames: before any detector
    detectors = [Detector(settings) for _ in range(people)]
    faces_seen = judged = 0
    with ThreadPoolExecutor(THREADS) as pool:
        for r in range(rounds):
            jobs = [
                # each person sees a different frame each round (a live picture, not frozen)
                pool.submit(d.observe, frames[(i + r) % len(frames)], float(r))
                for i, d in enumerate(detectors)
            ]
            for job in jobs:
                reading = job.result()
                judged += 1
                faces_seen += reading.faces > 0
        gc.collect()
        rss = status_mib("VmRSS")  # pool threads alive: their shared graphs count
    for d in detectors:
        d.close()
    return {
        "people": people,
        "rss_ready_mib": round(ready, 1),
        "rss_mib": round(rss, 1),
        "peak_mib": round(status_mib("VmHWM"), 1),
        "detectors_mib": round(rss - ready, 1),
        # every frame shows a face: a detector that found none did not really run
        "face_found_share": round(faces_seen / judged, 3),
    }


def measure(people: int, mode: str, rounds: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", str(people), mode, "--rounds", str(rounds)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"child {mode} x{people} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--people", type=int, nargs="+", default=[1, 16, 48])
    ap.add_argument("--rounds", type=int, default=6, help="frames each detector judges")
    ap.add_argument("--json", metavar="OUT", help="also write the report here")
    ap.add_argument("--child", nargs=2, metavar=("N", "MODE"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        people, mode = int(args.child[0]), args.child[1]
        print(json.dumps(child(people, MODES[mode], args.rounds)))
        return 0
    runs = {mode: {n: measure(n, mode, args.rounds) for n in args.people} for mode in MODES}
    # the two largest N: by then both threads have built their shared graphs, so what is left
    # of the difference is what one more person costs
    lo, hi = sorted(args.people)[-2:] if len(args.people) > 1 else (0, args.people[0])
    per_person = {
        mode: round(
            (r[hi]["detectors_mib"] - r.get(lo, {}).get("detectors_mib", 0.0)) / (hi - lo), 2
        )
        for mode, r in runs.items()
    }
    report = {
        "threads": THREADS,
        "rounds": args.rounds,
        "runs": {mode: list(r.values()) for mode, r in runs.items()},
        "per_person_mib": per_person,
        "ratio_flat_vs_tracking": {
            f"rss_{hi}": round(runs["flat"][hi]["rss_mib"] / runs["tracking"][hi]["rss_mib"], 3),
            f"detectors_{hi}": round(
                runs["flat"][hi]["detectors_mib"] / runs["tracking"][hi]["detectors_mib"], 3
            ),
            "per_person": round(per_person["flat"] / per_person["tracking"], 3)
            if per_person["tracking"]
            else None,
        },
    }
    text = json.dumps(report, indent=1)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
