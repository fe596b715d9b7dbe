"""Detector on frames without a judgeable face: camera off, nobody there, bad input."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import skimage.data

from detectors import Detector, DetectorSettings, Reading, Verdict
from detectors import synthetic as syn

CANVAS = (360, 640)


@pytest.fixture(scope="module")
def detector_settings() -> DetectorSettings:
    return DetectorSettings()


def one_reading(frame: np.ndarray, at: float = 0.0) -> Reading:
    with Detector() as det:
        return det.observe(frame, at)


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (syn.black(CANVAS), "black_frame"),
        (syn.grey(CANVAS, 128), "uniform_frame"),
        (syn.grey(CANVAS, 255), "uniform_frame"),
        (syn.noise(CANVAS, seed=3), "noise_frame"),
        (
            np.clip(np.random.default_rng(4).normal(128, 40, (*CANVAS, 3)), 0, 255).astype(
                np.uint8
            ),
            "noise_frame",
        ),
        (syn.darken(syn.empty_chair(CANVAS), 2.5, 0.15), "black_frame"),
        (syn.darken(syn.empty_chair(CANVAS), 1.5, 0.3), "too_dark"),
        (syn.darken(syn.letterbox(skimage.data.coffee(), CANVAS), 2.0, 0.3), "too_dark"),
    ],
    ids=[
        "black",
        "grey",
        "white",
        "uniform_noise",
        "gaussian_noise",
        "nearly_black_room",
        "very_dark_room",
        "very_dark_coffee",
    ],
)
def test_no_picture_is_camera_off(frame: np.ndarray, reason: str) -> None:
    reading = one_reading(frame)
    assert reading.verdict is Verdict.CAMERA_OFF
    assert reading.reason == reason
    assert reading.faces == 0
    assert reading.yaw is None


@pytest.mark.parametrize(
    "photo",
    [skimage.data.coffee(), skimage.data.chelsea(), syn.empty_chair(CANVAS), syn.wall(CANVAS)],
    ids=["coffee", "chelsea", "empty_chair", "wall"],
)
def test_camera_on_but_nobody_is_absent(photo: np.ndarray) -> None:
    reading = one_reading(syn.letterbox(photo, CANVAS))
    assert reading.verdict is Verdict.ABSENT
    assert reading.reason == "no_face"
    assert reading.faces == 0


def test_frozen_picture_of_a_face_becomes_camera_off(detector_settings: DetectorSettings) -> None:
    frame = syn.letterbox(skimage.data.astronaut(), CANVAS)
    with Detector() as det:
        early = [det.observe(frame, float(t)) for t in range(5)]
        late = det.observe(frame, detector_settings.frozen_seconds + 0.5)
        moved = det.observe(syn.blur(frame, 3.0), detector_settings.frozen_seconds + 1.5)
    assert {r.verdict for r in early} == {Verdict.ENGAGED}
    assert (late.verdict, late.reason) == (Verdict.CAMERA_OFF, "frozen")
    assert moved.verdict is Verdict.ENGAGED  # the picture changed: live again


def test_live_noise_is_not_frozen() -> None:
    rng = np.random.default_rng(0)
    base = syn.letterbox(skimage.data.coffee(), CANVAS)
    with Detector(DetectorSettings(frozen_seconds=3.0)) as det:
        for t in range(6):
            noisy = np.clip(base + rng.normal(0, 2.0, base.shape), 0, 255).astype(np.uint8)
            reading = det.observe(noisy, float(t))
    assert reading.verdict is Verdict.ABSENT


def test_no_frames_times_out_to_camera_off() -> None:
    settings = DetectorSettings(no_frame_timeout_s=5.0)
    with Detector(settings) as det:
        assert det.observe(None, 0.0).reason == "waiting_for_frames"
        assert det.observe(None, 5.0).reason == "no_frames"
    with Detector(settings) as det:
        seen = det.observe(syn.letterbox(skimage.data.coffee(), CANVAS), 10.0)
        held = det.observe(None, 14.0)
        gone = det.observe(None, 15.0)
    assert held == dataclasses.replace(seen, at=14.0)  # a short gap keeps the last picture
    assert (gone.verdict, gone.reason, gone.confidence) == (Verdict.CAMERA_OFF, "no_frames", 1.0)


@pytest.mark.parametrize(
    "frame",
    [
        np.zeros((360, 640, 3), np.float32),
        np.zeros((360, 640, 4), np.uint8),
        np.zeros((8, 8, 3), np.uint8),
        np.zeros((360,), np.uint8),
    ],
    ids=["float", "rgba", "tiny", "1d"],
)
def test_bad_input_is_unknown_not_an_exception(frame: np.ndarray) -> None:
    reading = one_reading(frame)
    assert (reading.verdict, reading.reason, reading.confidence) == (
        Verdict.UNKNOWN,
        "bad_frame",
        0.0,
    )


def test_closed_detector_answers_unknown() -> None:
    det = Detector()
    det.close()
    det.close()  # idempotent
    assert det.observe(syn.empty_chair(CANVAS), 0.0).reason == "closed"


def test_large_and_grey_frames_are_accepted() -> None:
    hd = syn.letterbox(skimage.data.coffee(), (1080, 1920))
    assert one_reading(hd).verdict is Verdict.ABSENT
    grey = np.ascontiguousarray(syn.letterbox(skimage.data.coffee(), CANVAS)[..., 1])
    assert one_reading(grey).verdict is Verdict.ABSENT


def test_verdict_values_are_stable_lowercase_strings() -> None:
    assert [v.value for v in Verdict] == [
        "engaged",
        "looking_away",
        "absent",
        "camera_off",
        "unknown",
    ]


def test_default_config_lists_every_setting_with_its_default() -> None:
    import tomllib
    from pathlib import Path

    default = Path(__file__).resolve().parent.parent / "config" / "default.toml"
    table = tomllib.loads(default.read_text(encoding="utf-8"))["detector"]
    defaults = {f: getattr(DetectorSettings(), f) for f in DetectorSettings.__slots__}
    assert table == defaults
    assert all(type(table[k]) is type(v) for k, v in defaults.items())
