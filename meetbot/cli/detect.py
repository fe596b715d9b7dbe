"""`meetbot detect PATH [--json] [--fps N]`: run the participant detector on an image or video.

For tuning thresholds and for evaluation: one line per analysed frame with the reading, the
faces found and the head pose, then why: head, eyes, baseline and whether the landmark fit is
believed. Frames are read here and never written anywhere.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import math
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from detectors import Reading


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "detect",
        help="print what the detector sees in an image or video file",
        description="Run the per-participant detector on an image or video file and print, "
        "per analysed frame: time, reading, faces, yaw, pitch, roll, gaze, confidence.",
    )
    parser.add_argument("path", help="image (png, jpg, ...) or video (mp4, webm, avi, ...)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--fps", type=float, default=None, help="frames analysed per second of video "
        "(default: [sampling] fps from the configuration, 1.0)"
    )  # fmt: skip
    parser.add_argument("--config", metavar="FILE", help="chapter TOML file for [detector]")
    parser.set_defaults(func=_detect)


def _detect(args: argparse.Namespace) -> int:
    # Only here: `meetbot --help` and the other subcommands need no vision stack.
    from detectors import Detector
    from meetbot import config
    from meetbot.config.paths import input_file
    from meetbot.errors import ConfigError
    from meetbot.offline import media_file

    settings = config.load(args.config)
    fps = args.fps if args.fps is not None else settings.sampling.fps
    if not (fps > 0 and math.isfinite(fps)):
        print(f"meetbot: --fps must be a positive number, got {args.fps}", file=sys.stderr)
        return 2
    path = input_file(args.path, "an image or video file")
    if (unfit := media_file.unfit(path)) is not None:
        raise ConfigError(unfit)
    frames = media_file.frames(path, fps)
    if frames is None:
        print(f"meetbot: {path}: not a readable image or video", file=sys.stderr)
        return 2
    first = next(frames, None)
    if first is not None:
        height, width = first[1].shape[:2]
        if (small := media_file.too_small(path, width, height)) is not None:
            raise ConfigError(small)  # a video's pictures; an image's header said it already
        frames = itertools.chain([first], frames)
    count = 0
    with Detector(settings.detector) as det:
        if not args.json:
            print(f"{'time':>8}  {'reading':<13}{'faces':>5}{'yaw':>7}{'pitch':>7}{'roll':>7}"
                  f"{'gaze':>13}{'conf':>6}  reason")  # fmt: skip
        for at, rgb in frames:
            reading = det.observe(rgb, at)
            print(_json(reading) if args.json else _row(reading), flush=True)
            count += 1
    if count == 0:
        print(f"meetbot: {path}: no frames could be decoded", file=sys.stderr)
        return 2
    return 0


def _num(value: float | None, width: int) -> str:
    return f"{value:>{width}.1f}" if value is not None else f"{'-':>{width}}"


def _row(r: Reading) -> str:
    gaze = f"{r.gaze[0]:+.0f},{r.gaze[1]:+.0f}" if r.gaze is not None else "-"
    row = (f"{r.at:>8.2f}  {r.verdict.value:<13}{r.faces:>5}{_num(r.yaw, 7)}{_num(r.pitch, 7)}"
           f"{_num(r.roll, 7)}{gaze:>13}{r.confidence:>6.2f}  {r.reason}")  # fmt: skip
    if r.why is None:
        return row
    # why, so that a member who disputes a figure can be shown it
    parts = (("head", r.why.head), ("eyes", r.why.eyes), ("baseline", r.why.baseline),
             ("fit", r.why.plausibility))  # fmt: skip
    return "\n".join([row, *(f"{'':10}{name:>9}: {text}" for name, text in parts)])


def _json(r: Reading) -> str:
    data = dataclasses.asdict(r)
    data["verdict"] = r.verdict.value
    for key in ("yaw", "pitch", "roll", "offset_yaw", "offset_pitch"):
        if data[key] is not None:
            data[key] = round(data[key], 2)
    if r.gaze is not None:
        data["gaze"] = [round(g, 2) for g in r.gaze]
    return json.dumps(data)
