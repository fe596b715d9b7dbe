"""A Chromium fake camera showing a lab face: a y4m file for --use-file-for-fake-video-capture.

Tests that need a browser to *publish* (so the bridge sees what a browser sends) render a real
face photo (meetbot.lab.frames) into a short y4m clip in a temporary folder the test owns;
Chromium loops it as its camera. Synthetic lab pictures only: never a person's video.
"""

from __future__ import annotations

from pathlib import Path

from meetbot.lab.frames import VARIANTS, FrameBook
from meetbot.lab.scenario import Behaviour


def write_y4m(path: Path, face: str = "astronaut", fps: int = 10, seconds: float = 2.0) -> Path:
    """A looping clip of `face` looking at the camera (faint noise, so it is never frozen)."""
    book = FrameBook.render([face], canvas=(480, 640), face_px=200)
    height, width = book.canvas
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for n in range(max(VARIANTS, round(fps * seconds))):
            out.write(b"FRAME\n")
            out.write(book.frame(face, Behaviour.ATTENTIVE, n).tobytes())
    return path
