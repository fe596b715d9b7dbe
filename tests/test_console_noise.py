"""The stderr filter: mediapipe's start-up lines gone, every other line kept, even on a crash."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import pytest
import skimage.data

from detectors import synthetic as syn
from meetbot.terminal.console_noise import LineFilter, is_noise

# As mediapipe 0.10.21 and TFLite print them when a face graph starts (seen on this machine).
NOISE = [
    b"INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    b"W0000 00:00:1795437033.757939   32476 inference_feedback_manager.cc:114] Feedback manager "
    b"requires a model with a single signature inference. Disabling support for feedback tensors.",
    b"W0000 00:00:1795437033.902987   32477 landmark_projection_calculator.cc:186] Using "
    b"NORM_RECT without IMAGE_DIMENSIONS is only supported for the square ROI. Provide "
    b"IMAGE_DIMENSIONS or use PROJECTION_MATRIX.",
]
KEPT = [
    # The same file at error severity, and a fatal CHECK: real C++ trouble.
    b"E0000 00:00:1795437033.757939   32476 inference_feedback_manager.cc:114] Feedback manager "
    b"requires a model with a single signature inference. Disabling support for feedback tensors.",
    b"F0000 00:00:1795437033.902987   32477 calculator_graph.cc:912] Check failed: graph ok",
    b"W0000 00:00:1795437033.902987   32477 gl_context.cc:99] something new and worth reading",
    b"Traceback (most recent call last):",
    b"2026-11-23 12:00:00,000 WARNING meetbot.session: participant p1: detector failed",
    b"INFO: Created TensorFlow Lite XNNPACK delegate for GPU.",
    b"",
]


@pytest.mark.parametrize("line", NOISE)
def test_known_noise_lines_are_dropped(line: bytes) -> None:
    assert is_noise(line)
    assert LineFilter().feed(line + b"\n") == b""


@pytest.mark.parametrize("line", KEPT)
def test_everything_else_passes_unchanged(line: bytes) -> None:
    assert not is_noise(line)
    assert LineFilter().feed(line + b"\n") == line + b"\n"


def test_lines_split_across_reads_are_judged_whole() -> None:
    lines = LineFilter()
    noise, kept = NOISE[2], KEPT[2]  # both W lines, one known, one not
    assert lines.feed(noise[:30]) == b""
    assert lines.holding
    assert lines.feed(noise[30:] + b"\n" + kept[:10]) == b""
    assert lines.feed(kept[10:] + b"\nTrace") == kept + b"\nTrace"
    assert not lines.holding
    assert lines.feed(b"E0000 00:0") == b"E0000 00:0"  # never noise: out at once


def test_an_unfinished_line_goes_out_at_once_unless_it_may_be_noise() -> None:
    lines = LineFilter()
    assert lines.feed(b"password: ") == b"password: "
    assert lines.feed(b"Wait") == b""  # may still become a W0000 line
    assert lines.flush() == b"Wait"
    assert lines.feed(NOISE[0]) == b""
    assert lines.flush() == b""  # noise without its newline is still noise


CHILD = """
import os, sys
from meetbot.terminal.console_noise import quiet_console
lines = sys.argv[1].encode().split(b"|")
with quiet_console():
    for line in lines:
        os.write(2, line + b"\\n")  # at the descriptor, as C++ writes
    print("python says hello", file=sys.stderr)
    if sys.argv[2] == "abort":
        os.abort()  # what a C++ CHECK failure does right after its F line
    raise RuntimeError("boom")
"""


@pytest.mark.parametrize("ending", ["exception", "abort"])
def test_a_dying_process_loses_no_line(ending: str) -> None:
    mixed = [NOISE[0], KEPT[0], NOISE[2], KEPT[1], NOISE[3]]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, b"|".join(mixed).decode(), ending],
        capture_output=True,
        timeout=60,
    )
    err = done.stderr.splitlines()
    assert err[:3] == [KEPT[0], KEPT[1], b"python says hello"]
    if ending == "abort":
        assert done.returncode < 0
        assert len(err) == 3
    else:
        assert done.returncode == 1
        assert err[3] == b"Traceback (most recent call last):"
        assert err[-1] == b"RuntimeError: boom"
    assert not any(is_noise(line) for line in err)


def test_a_real_command_shows_a_decoder_error_but_no_mediapipe_noise(tmp_path: Path) -> None:
    """`meetbot detect` on a clip with one damaged frame: the graphs start (noise), then FFmpeg
    reports the damage from C on fd 2 — that line is real and must get through."""
    photo = skimage.data.astronaut()  # type: ignore[no-untyped-call]
    face = cv2.cvtColor(syn.letterbox(photo, (360, 640)), cv2.COLOR_RGB2BGR)
    clip = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(clip), cv2.VideoWriter.fourcc(*"MJPG"), 10.0, (640, 360))
    for _ in range(12):
        writer.write(face)
    writer.release()
    data = bytearray(clip.read_bytes())
    starts = [i for i in range(len(data) - 1) if data[i : i + 2] == b"\xff\xd8"]
    damaged = starts[8] + 2000
    data[damaged : damaged + 4000] = bytes(4000)  # zeros inside frame 8's entropy-coded data
    clip.write_bytes(bytes(data))

    done = subprocess.run(
        [sys.executable, "-m", "meetbot", "detect", str(clip), "--fps", "10", "--json"],
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert len(done.stdout.splitlines()) == 12
    err = done.stderr.decode().splitlines()
    assert err, "the damaged frame should make FFmpeg complain"
    assert all(line.startswith("[mjpeg @ ") for line in err), err

    verbose = subprocess.run(
        [sys.executable, "-m", "meetbot", "-v", "detect", str(clip), "--json"],
        capture_output=True,
        timeout=120,
    )
    # --verbose shows everything: the noise this filter exists for is really there.
    assert any(is_noise(line) for line in verbose.stderr.splitlines())


def test_without_a_stderr_the_command_still_runs() -> None:
    code = (
        "import os\n"
        "from meetbot.terminal.console_noise import quiet_console\n"
        "os.close(2)\n"
        "with quiet_console():\n"
        "    print('ran', flush=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, b"ran\n")
