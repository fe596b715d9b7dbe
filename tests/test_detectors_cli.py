"""`meetbot detect` on an image and a video made from generated frames in a temp dir."""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import cv2
import pytest
import skimage.data

from detectors import synthetic as syn
from meetbot.cli import main


def run(argv: list[str]) -> int:
    # Through the entry point: its refusals are ConfigErrors, printed in one line by main.
    return main(["detect", *argv])


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


def blank_png(path: Path, width: int, height: int) -> Path:
    """A black 1-bit PNG: a few kilobytes on disk however many pixels it declares."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte, then the packed bits
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize(("width", "height"), [(8000, 6000), (25000, 25000)])
def test_an_image_with_too_many_pixels_is_refused_before_decoding(
    tmp_path: Path, width: int, height: int, capsys: pytest.CaptureFixture[str]
) -> None:
    # 25000×25000 decodes to 1.9 GB (3.9 GB at the peak); 8000×6000 is just over the cap.
    path = blank_png(tmp_path / "huge.png", width, height)
    assert run([str(path)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"meetbot: {path}: {width}×{height} pixels is more than detect decodes")
    assert "scale the image down" in line
