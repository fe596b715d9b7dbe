"""Media too small or too short to analyse is refused in one line, and nothing is stored (issue 23).

`meetbot analyze` on a 1×1 image used to store a 0-second session, and `meetbot detect` printed
a bad_frame reading for it with exit code 0. Media only in tmp dirs, decoded by PyAV/OpenCV.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image
from test_offline import BLACK, FACE, write_clip

from meetbot.cli import main
from meetbot.store import Store


def one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.removeprefix("meetbot: ").rstrip("\n")


def nothing_stored(home: Path) -> None:
    with Store.open("", home) as store:
        assert store.list_sessions() == []


def image(path: Path, width: int, height: int) -> Path:
    Image.new("RGB", (width, height)).save(path)
    return path


def tiny_video(path: Path, side: int = 8, frames: int = 20) -> Path:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=5)
        stream.width = stream.height = side
        stream.pix_fmt = "yuv420p"
        for _ in range(frames):
            picture = np.full((side, side, 3), 128, np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(picture, "rgb24")))
        out.mux(stream.encode())
    return path


SMALL = "pixels is too small to analyse (the detector needs at least 16 pixels a side)"


def test_a_one_pixel_image_is_refused_by_analyze_and_detect(
    tmp_path: Path, isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = image(tmp_path / "Ann Lee.png", 1, 1)
    assert one_line(["analyze", str(path)], capsys) == (
        f"{path}: 1×1 {SMALL}; give the participant's camera video"
    )
    nothing_stored(isolated_meetbot_env)
    assert one_line(["detect", str(path)], capsys) == (
        f"{path}: 1×1 {SMALL}; give the participant's camera video"
    )


def test_a_video_of_tiny_pictures_is_refused_by_analyze_and_detect(
    tmp_path: Path, isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tiny_video(tmp_path / "Ann Lee.mp4")
    assert one_line(["analyze", str(path)], capsys).startswith(f"{path}: 8×8 {SMALL}")
    nothing_stored(isolated_meetbot_env)
    assert one_line(["detect", str(path)], capsys).startswith(f"{path}: 8×8 {SMALL}")


@pytest.mark.parametrize("seconds", [None, 0.4])
def test_media_shorter_than_a_second_is_refused_before_anything_is_stored(
    tmp_path: Path,
    isolated_meetbot_env: Path,
    seconds: float | None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A still image of a usable size is one frame: it would be a 0-second meeting.
    path = (
        image(tmp_path / "Ann Lee.png", 64, 64)
        if seconds is None
        else write_clip(tmp_path / "Ann Lee.mp4", lambda t: FACE, seconds=seconds)
    )
    err = one_line(["analyze", str(path)], capsys)
    assert err.startswith(f"{path}: ")
    assert err.endswith(
        "s of media is too short to analyse (at least 1 s); give the participant's recording "
        "of the meeting"
    )
    nothing_stored(isolated_meetbot_env)


def test_a_short_but_usable_clip_is_still_analysed(
    tmp_path: Path, isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_clip(tmp_path / "Ann Lee.mp4", lambda t: BLACK, seconds=2)
    assert main(["analyze", str(path)]) == 0
    assert "session " in capsys.readouterr().out
    with Store.open("", isolated_meetbot_env) as store:
        assert len(store.list_sessions()) == 1
