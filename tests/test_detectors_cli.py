"""`meetbot detect` on an image and a video made from generated frames in a temp dir."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import pytest
import skimage.data

from detectors import synthetic as syn
from meetbot.cli import detect


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="meetbot")
    detect.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["detect", *argv])
    return int(args.func(args))


@pytest.fixture(scope="module")
def face_frame() -> object:
    return syn.letterbox(skimage.data.astronaut(), (360, 640))


def test_image_prints_one_json_reading(
    tmp_path: Path, face_frame: object, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "face.png"
    assert cv2.imwrite(str(path), cv2.cvtColor(face_frame, cv2.COLOR_RGB2BGR))
    assert run([str(path), "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    reading = json.loads(lines[0])
    assert reading["verdict"] == "engaged"
    assert reading["faces"] == 1
    assert set(reading) >= {"at", "yaw", "pitch", "roll", "gaze", "confidence", "reason"}


def test_video_is_sampled_at_the_requested_fps(
    tmp_path: Path, face_frame: object, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (640, 360))
    frames = [face_frame] * 20 + [syn.black((360, 640))] * 20  # 2 s face, 2 s black
    for rgb in frames:
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    assert run([str(path), "--fps", "2"]) == 0
    out = capsys.readouterr().out.splitlines()
    # each reading of a face is followed by its indented explanation ("head: ...", ...)
    readings = [line for line in out[1:] if not line.split()[0].endswith(":")]
    header, rows = out[0], [line.split() for line in readings]
    assert header.split()[:3] == ["time", "reading", "faces"]
    assert [float(r[0]) for r in rows] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5]
    assert [r[1] for r in rows] == ["engaged"] * 4 + ["camera_off"] * 4


@pytest.mark.parametrize("name", ["missing.png", "not_media.mp4"])
def test_unreadable_path_is_one_line_and_exit_2(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / name
    if name == "not_media.mp4":
        path.write_text("this is not a video", encoding="utf-8")
    assert run([str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("meetbot: ")
    assert str(path) in err
    assert len(err.splitlines()) == 1
