"""Calibrate the head-pose gains across many people, not one face.

Every frontal, engaged, single-face photo of the real-photo set (one per identity, so a person
with many photos counts once) is re-rendered at known head turns by detectors.synthetic and
measured with gains of 1. Per identity:
- yaw gain / pitch gain: the least-squares factor that maps the measured turn (relative to the
  same face's frontal render) onto the applied one; the pitch gain also apart for heads bowed
  down (15-45°: what detectors.judgement applies, as `pitch_gain`, to a bow from the person's
  baseline) and raised (15-25°);
- level pitch: the pitch face_mesh reads on the photo itself (a level head facing the camera).
The fitted values are the MEDIAN over identities (no face type drives them); the per-identity
errors with those values are printed so an outlier is visible, not averaged away.

    .venv/bin/python -m bench.realfaces.calibrate [--json OUT]      (from the repository root)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
from typing import Any

import numpy as np

from detectors import Detector, DetectorSettings
from detectors import synthetic as syn

from .score import load

CANVAS = (360, 640)
FACE_PX = 160
YAWS = (-40.0, -25.0, -15.0, 15.0, 25.0, 40.0)
PITCHES = (-45.0, -35.0, -25.0, -15.0, 15.0, 25.0)


def frontal_photos() -> dict[str, np.ndarray]:
    """One frontal, engaged, single-face photo per identity, large enough to re-render."""
    out: dict[str, np.ndarray] = {}
    for entry, rgb in load():
        ok = (
            entry["label"] == "engaged"
            and entry.get("yaw_class") == "frontal"
            and entry.get("n_faces") == 1
            and int(entry.get("face_px") or 0) >= 90
        )
        if ok and entry.get("subject") and entry["subject"] not in out:
            out[entry["subject"]] = rgb
    return out


def _steady(det: Detector, img: np.ndarray, at: float) -> tuple[float, float] | None:
    det.observe(img, at)
    r = det.observe(img, at + 1.0)
    return None if r.yaw is None or r.pitch is None else (r.yaw, r.pitch)


def measure(
    photo: np.ndarray,
    raw: DetectorSettings,
    yaws: tuple[float, ...] = YAWS,
    pitches: tuple[float, ...] = PITCHES,
) -> dict[str, Any] | None:
    """Applied and measured turns of one identity (gains of 1), or None if unusable."""
    try:
        face = syn.PosableFace(photo, yaw_gain=1.0)
    except ValueError:
        return None
    poses = [(0.0, 0.0)] + [(y, 0.0) for y in yaws] + [(0.0, p) for p in pitches]
    seen: dict[tuple[float, float], tuple[float, float]] = {}
    with Detector(raw) as det:
        for i, pose in enumerate(poses):
            got = _steady(det, face.frame(*pose, FACE_PX, CANVAS), 10.0 * i)
            if got is not None:
                seen[pose] = got
    if (0.0, 0.0) not in seen:
        return None
    y0, p0 = seen[(0.0, 0.0)]
    t0 = face.truth(0.0, 0.0)
    yaw = [
        (face.truth(y, 0).yaw - t0.yaw, seen[(y, 0.0)][0] - y0) for y in yaws if (y, 0.0) in seen
    ]
    pitch = [
        (face.truth(0, p).pitch - t0.pitch, seen[(0.0, p)][1] - p0)
        for p in pitches
        if (0.0, p) in seen
    ]
    return {"yaw": yaw, "pitch": pitch, "level_pitch": face.pose.pitch}


def _gain(pairs: list[tuple[float, float]]) -> float:
    truth, measured = np.asarray(pairs).T
    return float((truth * measured).sum() / max((measured * measured).sum(), 1e-9))


def _mae(pairs: list[tuple[float, float]], gain: float) -> float:
    return round(statistics.fmean(abs(t - gain * m) for t, m in pairs), 2)


def calibrate() -> dict[str, Any]:
    raw = dataclasses.replace(DetectorSettings(), yaw_gain=1.0, pitch_gain=1.0)
    people = {}
    for who, photo in frontal_photos().items():
        m = measure(photo, raw)
        if m is not None and m["yaw"] and m["pitch"]:
            people[who] = m
    if not people:
        raise SystemExit(
            "calibrate: no frontal photos; run .venv/bin/python -m bench.realfaces.fetch first"
        )
    yaw_gain = statistics.median(_gain(m["yaw"]) for m in people.values())
    pitch_gain = statistics.median(_gain(m["pitch"]) for m in people.values())
    down = {who: [(t, g) for t, g in m["pitch"] if t < 0] for who, m in people.items()}
    up = {who: [(t, g) for t, g in m["pitch"] if t > 0] for who, m in people.items()}
    down_gain = statistics.median(_gain(v) for v in down.values() if v)
    up_gain = statistics.median(_gain(v) for v in up.values() if v)
    level = statistics.median(m["level_pitch"] for m in people.values())
    per_identity = {
        who: {
            "yaw_gain": round(_gain(m["yaw"]), 3),
            "pitch_gain": round(_gain(m["pitch"]), 3),
            "pitch_down_gain": round(_gain(down[who]), 3) if down[who] else None,
            "pitch_up_gain": round(_gain(up[who]), 3) if up[who] else None,
            "level_pitch_deg": round(m["level_pitch"], 1),
            "yaw_mae_deg": _mae(m["yaw"], yaw_gain),
            "pitch_mae_deg": _mae(m["pitch"], 1.0),
            "yaw_mae_at_1_15_deg": _mae(m["yaw"], 1.15),
        }
        for who, m in sorted(people.items())
    }
    return {
        "identities": len(people),
        "yaw_gain": round(yaw_gain, 3),
        "pitch_gain": round(pitch_gain, 3),
        "pitch_down_gain": round(down_gain, 3),
        "pitch_up_gain": round(up_gain, 3),
        "level_pitch_deg": round(level, 1),
        "per_identity": per_identity,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", metavar="OUT")
    args = ap.parse_args(argv)
    r = calibrate()
    print(f"{r['identities']} identities: median yaw gain {r['yaw_gain']}, pitch gain "
          f"{r['pitch_gain']} (bowed down {r['pitch_down_gain']}, raised {r['pitch_up_gain']}), "
          f"level pitch {r['level_pitch_deg']}°")  # fmt: skip
    print(f"{'identity':20s} {'yaw gain':>8s} {'pitch gain':>10s} {'down':>6s} {'level':>6s} "
          f"{'yaw MAE':>8s} {'@1.15':>6s} {'pitch MAE':>9s}")  # fmt: skip
    for who, p in r["per_identity"].items():
        gains = (
            f"{p['yaw_gain']:>8} {p['pitch_gain']:>10} {p['pitch_down_gain']!s:>6} "
            f"{p['level_pitch_deg']:>6}"
        )
        errors = f"{p['yaw_mae_deg']:>8} {p['yaw_mae_at_1_15_deg']:>6} {p['pitch_mae_deg']:>9}"
        print(f"{who:20s} {gains} {errors}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(r, fh, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
