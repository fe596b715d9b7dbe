"""The real-photo section of bench/detectors_eval.py: hand-labelled photos of real people.

Each photo is judged the way `meetbot detect PHOTO` judges it: a fresh detector, one frame, no
baseline yet (first sight is the hardest case: nothing learned about the person). Scored:
accuracy per label, per lighting and per face size, looking-away precision and recall, and
accuracy per identity (a person with many photos must not hide a person with one).
"Ambiguous" photos are judged and listed, never scored.
Bowed heads (photos labelled `"pitch": "down"`: heads bowed over a phone, a keyboard or notes,
and people looking up from them at the camera) are also scored as their own group, looking-away
precision and recall and engaged recall within it: they are the hard case for head pose.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from detectors import Detector, DetectorSettings, Reading, Verdict

from .fetch import cache_dir

SCORED = {
    "engaged": Verdict.ENGAGED,
    "looking_away": Verdict.LOOKING_AWAY,
    "absent": Verdict.ABSENT,
}
# the targets for this set
TARGETS = {
    "looking_away_precision": 0.97,
    "engaged_recall": 0.97,
    "looking_away_recall": 0.90,
    "absent_accuracy": 1.0,
    "bowed_looking_away_recall": 0.90,
}


@dataclass(frozen=True)
class Judged:
    entry: dict[str, Any]
    reading: Reading

    @property
    def label(self) -> str:
        return str(self.entry["label"])

    @property
    def right(self) -> bool:
        return self.reading.verdict is SCORED.get(self.label)


def load(cache: Path | None = None) -> list[tuple[dict[str, Any], np.ndarray]]:
    """(manifest entry, RGB image) for every fetched photo; [] when nothing was fetched."""
    folder = cache or cache_dir()
    index = folder / "index.json"
    if not index.is_file():
        return []
    out = []
    for entry in json.loads(index.read_text(encoding="utf-8")):
        bgr = cv2.imread(str(folder / entry["file"]), cv2.IMREAD_COLOR)
        if bgr is not None:
            out.append((entry, np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))))
    return out


def judge(photos: Iterable[tuple[dict[str, Any], np.ndarray]], s: DetectorSettings) -> list[Judged]:
    out = []
    for entry, rgb in photos:
        with Detector(s) as det:
            out.append(Judged(entry, det.observe(rgb, 0.0)))
    return out


def size_band(face_px: int) -> str:
    return (
        "none"
        if face_px <= 0
        else "<48"
        if face_px < 48
        else "48-119"
        if face_px < 120
        else ">=120"
    )


def _rate(items: list[bool]) -> float:
    return round(sum(items) / len(items), 4) if items else float("nan")


def _looking_away(scored: list[Judged]) -> tuple[float, float]:
    """(precision, recall) of looking away; precision 1.0 when nothing was called away."""
    said_away = [j for j in scored if j.reading.verdict is Verdict.LOOKING_AWAY]
    away = [j for j in scored if j.label == "looking_away"]
    precision = _rate([j.label == "looking_away" for j in said_away]) if said_away else 1.0
    return precision, _rate([j.right for j in away])


def score(judged: list[Judged]) -> dict[str, Any]:
    scored = [j for j in judged if j.label in SCORED]
    bowed = [j for j in scored if j.entry.get("pitch") == "down"]
    bowed_precision, bowed_recall = _looking_away(bowed)
    precision, recall = _looking_away(scored)
    by: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for j in scored:
        by["label"][j.label].append(j.right)
        by["lighting"][str(j.entry.get("lighting"))].append(j.right)
        by["face_size"][size_band(int(j.entry.get("face_px") or 0))].append(j.right)
        by["identity"][str(j.entry.get("subject") or "-")].append(j.right)
    per_identity = {k: _rate(v) for k, v in sorted(by["identity"].items())}
    return {
        "photos": len(judged),
        "scored": len(scored),
        "accuracy": _rate([j.right for j in scored]),
        "accuracy_by_label": {k: _rate(v) for k, v in sorted(by["label"].items())},
        "accuracy_by_lighting": {k: _rate(v) for k, v in sorted(by["lighting"].items())},
        "accuracy_by_face_size": {k: _rate(v) for k, v in sorted(by["face_size"].items())},
        "looking_away_precision": precision,
        "looking_away_recall": recall,
        "bowed_photos": len(bowed),
        "bowed_looking_away_precision": bowed_precision,
        "bowed_looking_away_recall": bowed_recall,
        "bowed_engaged_recall": _rate([j.right for j in bowed if j.label == "engaged"]),
        "engaged_recall": _rate(by["label"]["engaged"]),
        "absent_accuracy": _rate(by["label"]["absent"]),
        "identities": len(per_identity),
        "mean_identity_accuracy": round(float(np.mean(list(per_identity.values()))), 4),
        "accuracy_by_identity": per_identity,
        "wrong": [
            f"{j.entry['id']}({j.label}) -> {j.reading.verdict.value}({j.reading.reason})"
            for j in scored
            if not j.right
        ],
        "ambiguous": [
            f"{j.entry['id']} -> {j.reading.verdict.value}({j.reading.reason})"
            for j in judged
            if j.label not in SCORED
        ],
    }


def run(s: DetectorSettings) -> dict[str, Any] | None:
    photos = load()
    if not photos:
        return None
    t0 = time.perf_counter()
    report = score(judge(photos, s))
    report["elapsed_s"] = round(time.perf_counter() - t0, 1)
    return report


def print_report(r: dict[str, Any]) -> None:
    print(f"real photos: {r['photos']} ({r['scored']} scored, {len(r['ambiguous'])} ambiguous), "
          f"{r['identities']} identities, accuracy {r['accuracy']}")  # fmt: skip
    for name, target in TARGETS.items():
        ok = r[name] >= target
        print(f"{name:34s} {r[name]:>9} {'>= ' + str(target):>8s}  {'yes' if ok else 'NO'}")
    print(f"bowed heads: {r['bowed_photos']} scored photos, looking-away precision "
          f"{r['bowed_looking_away_precision']} recall {r['bowed_looking_away_recall']}, "
          f"engaged recall {r['bowed_engaged_recall']}")  # fmt: skip
    for key in ("accuracy_by_label", "accuracy_by_lighting", "accuracy_by_face_size"):
        print(f"{key.replace('_', ' ')}: {r[key]}")
    low = {k: v for k, v in r["accuracy_by_identity"].items() if v < 1}
    print(f"mean accuracy per identity {r['mean_identity_accuracy']}; below 1: {low}")
    if r["wrong"]:
        print("real-photo mistakes:", "; ".join(r["wrong"]))
    print("ambiguous (not scored):", "; ".join(r["ambiguous"]))
