"""Detector on real faces (scikit-image photos) re-rendered at KNOWN head poses."""

from __future__ import annotations

import numpy as np
import pytest
import skimage.data

from detectors import Detector, DetectorSettings, Reading, Verdict
from detectors import synthetic as syn
from detectors.pose import euler, head_pose, rotation

CANVAS = (360, 640)
YAW_TOLERANCE = 8.0  # one frame, one photo: the harness measures the mean error


@pytest.fixture(scope="module")
def astronaut() -> syn.PosableFace:
    return syn.PosableFace(skimage.data.astronaut())


@pytest.fixture(scope="module")
def renders(astronaut: syn.PosableFace) -> dict[tuple[float, float], np.ndarray]:
    """Renders at the photo's resolution, shared by the tests (each costs ~40 ms)."""
    poses = [(0.0, 0.0), (40.0, 0.0), (-40.0, 0.0), (0.0, 30.0), (37.0, 0.0), (38.0, 0.0)]
    return {pose: astronaut.render(*pose)[0] for pose in poses}


def frame(
    face: syn.PosableFace,
    renders: dict[tuple[float, float], np.ndarray],
    pose: tuple[float, float],
    size: int = 120,
    seed: int | None = None,
) -> np.ndarray:
    img = syn.place(renders[pose], face.face_centre, size / face.face_width, CANVAS)
    if seed is not None:  # sensor noise, so that repeated poses are not a frozen picture
        noisy = img + np.random.default_rng(seed).normal(0, 2.0, img.shape)
        img = np.clip(noisy, 0, 255).astype(np.uint8)
    return img


def steady(det: Detector, img: np.ndarray, at: float) -> Reading:
    """Observe a held pose twice: the second reading is the tracking steady state."""
    det.observe(img, at)
    return det.observe(img, at + 1.0)


def test_frontal_astronaut_is_engaged(astronaut: syn.PosableFace, renders: dict) -> None:
    with Detector() as det:
        reading = steady(det, frame(astronaut, renders, (0.0, 0.0)), 0.0)
    assert reading.verdict is Verdict.ENGAGED
    assert reading.faces == 1
    assert reading.reason == "facing"
    assert 100 <= reading.face_px <= 140
    assert reading.yaw is not None
    assert abs(reading.yaw - astronaut.pose.yaw) < 4
    assert reading.gaze is not None
    assert 0.5 <= reading.confidence <= 1.0


@pytest.mark.parametrize("yaw", [40.0, -40.0])
def test_turned_head_is_looking_away_with_the_right_yaw(
    astronaut: syn.PosableFace, renders: dict, yaw: float
) -> None:
    with Detector() as det:
        reading = steady(det, frame(astronaut, renders, (yaw, 0.0)), 0.0)
    truth = astronaut.truth(yaw, 0.0)
    assert reading.verdict is Verdict.LOOKING_AWAY
    assert reading.reason == "head_yaw"
    assert reading.yaw is not None
    assert abs(reading.yaw - truth.yaw) < YAW_TOLERANCE
    assert reading.pitch is not None
    assert abs(reading.pitch - truth.pitch) < YAW_TOLERANCE


def test_head_up_is_looking_away_by_pitch(astronaut: syn.PosableFace, renders: dict) -> None:
    with Detector() as det:
        reading = steady(det, frame(astronaut, renders, (0.0, 30.0)), 0.0)
    assert (reading.verdict, reading.reason) == (Verdict.LOOKING_AWAY, "head_pitch")
    assert reading.pitch is not None
    assert abs(reading.pitch - astronaut.truth(0.0, 30.0).pitch) < YAW_TOLERANCE


@pytest.mark.parametrize("bow", [30.0, 45.0])
def test_a_bowed_head_reads_its_whole_bow_and_is_looking_down(
    astronaut: syn.PosableFace, bow: float
) -> None:
    """face_mesh reads a bow ~0.8 of its size; the fitted pitch gain restores it (the bow from
    the person's learned baseline), and a bowed head is looking down, at first sight too."""
    level = astronaut.frame(0.0, 0.0, 160, CANVAS)
    bowed = astronaut.frame(0.0, -bow, 160, CANVAS)
    with Detector() as det:
        for at in range(DetectorSettings().baseline_min_samples + 2):
            det.observe(level, float(at), speaking=True)
        learned = steady(det, bowed, 200.0)
    with Detector() as det:
        first = det.observe(bowed, 0.0)
    truth = astronaut.truth(0.0, -bow).pitch - astronaut.truth(0.0, 0.0).pitch
    assert learned.baseline_ready
    assert learned.offset_pitch is not None
    # the astronaut's own gain is ~1.2 (bench/realfaces/calibrate.py), the setting's lower
    assert abs(learned.offset_pitch - truth) < 0.15 * bow
    assert (learned.verdict, learned.reason) == (Verdict.LOOKING_AWAY, "head_down")
    assert (first.verdict, first.reason) == (Verdict.LOOKING_AWAY, "head_down")


@pytest.mark.parametrize("size", [48, 64])
def test_small_faces_are_found(astronaut: syn.PosableFace, renders: dict, size: int) -> None:
    with Detector() as det:
        reading = steady(det, frame(astronaut, renders, (0.0, 0.0), size), 0.0)
    assert reading.faces == 1
    assert reading.verdict is Verdict.ENGAGED
    assert abs(reading.face_px - size) <= size * 0.25


def test_face_the_mesh_cannot_fit_is_turned_away_not_absent(astronaut: syn.PosableFace) -> None:
    img = astronaut.frame(80.0, 0.0, 120, CANVAS)  # nearly a profile: no mesh fit
    with Detector() as det:
        reading = steady(det, img, 0.0)
    assert (reading.verdict, reading.reason) == (Verdict.LOOKING_AWAY, "turned_away")
    assert reading.faces == 1
    assert reading.yaw is None


def test_camera_profile_is_a_face_looking_away() -> None:
    with Detector() as det:  # camera() is greyscale: a man looking into a viewfinder
        reading = steady(det, skimage.data.camera(), 0.0)
    assert reading.faces == 1
    assert reading.verdict is Verdict.LOOKING_AWAY
    assert reading.yaw is not None
    assert reading.yaw > 40


def test_off_centre_screen_becomes_engaged_after_the_baseline(
    astronaut: syn.PosableFace, renders: dict
) -> None:
    """A person who always looks at a screen 37° to the side of their webcam: the baseline
    learns it, capped at baseline_max_drift_deg (30°) from facing the camera."""
    settings = DetectorSettings(baseline_min_samples=5)
    poses = [(37.0, 0.0), (38.0, 0.0)]
    with Detector(settings) as det:
        readings = [
            det.observe(frame(astronaut, renders, poses[t % 2], seed=t), float(t)) for t in range(8)
        ]
    assert readings[0].verdict is Verdict.LOOKING_AWAY
    assert not readings[0].baseline_ready
    assert readings[-1].verdict is Verdict.ENGAGED
    assert readings[-1].reason == "baseline_offset"
    assert readings[-1].baseline_ready
    assert readings[-1].offset_yaw is not None
    assert 5 < readings[-1].offset_yaw < 5 + settings.yaw_threshold_deg  # the cap holds


def test_baseline_learns_while_speaking_after_the_first_minutes(
    astronaut: syn.PosableFace, renders: dict
) -> None:
    settings = DetectorSettings(baseline_seconds=0.0, baseline_min_samples=3)
    pose = (37.0, 0.0)
    with Detector(settings) as det:
        quiet = [det.observe(frame(astronaut, renders, pose, seed=t), 10.0 + t) for t in range(4)]
        for t in range(3):
            det.observe(frame(astronaut, renders, pose, seed=10 + t), 20.0 + t, speaking=True)
        after = det.observe(frame(astronaut, renders, pose, seed=99), 30.0)
    assert {r.verdict for r in quiet} == {Verdict.LOOKING_AWAY}
    assert after.verdict is Verdict.ENGAGED


def test_far_turns_are_not_learned_as_the_baseline(
    astronaut: syn.PosableFace, renders: dict
) -> None:
    settings = DetectorSettings(baseline_min_samples=2, baseline_max_offset_deg=30.0)
    with Detector(settings) as det:
        readings = [
            det.observe(frame(astronaut, renders, (40.0, 0.0), seed=t), float(t)) for t in range(4)
        ]
    assert {r.verdict for r in readings} == {Verdict.LOOKING_AWAY}
    assert not det.baseline_ready


def test_several_faces_are_counted_and_the_main_one_judged(
    astronaut: syn.PosableFace, renders: dict
) -> None:
    img = renders[(0.0, 0.0)]
    scale = 1 / astronaut.face_width
    left = syn.place(img, astronaut.face_centre, 100 * scale, CANVAS, (0.28, 0.45))
    right = syn.place(renders[(40.0, 0.0)], astronaut.face_centre, 70 * scale, CANVAS, (0.75, 0.45))
    both = left.copy()
    both[:, 320:] = right[:, 320:]
    with Detector() as det:
        reading = steady(det, both, 0.0)
    assert reading.faces == 2
    assert reading.verdict is Verdict.ENGAGED  # the larger, frontal face is the participant
    assert reading.face_px > 85


def test_same_frames_give_the_same_readings(astronaut: syn.PosableFace, renders: dict) -> None:
    frames = [frame(astronaut, renders, pose, seed=i) for i, pose in enumerate(renders)]
    runs = []
    for _ in range(2):
        with Detector() as det:
            runs.append([det.observe(f, float(t)) for t, f in enumerate(frames)])
    assert runs[0] == runs[1]


def test_rendered_truth_matches_the_applied_rotation(astronaut: syn.PosableFace) -> None:
    """Ground truth: the photo's own pose composed with the applied rotation."""
    p = astronaut.pose
    t0 = astronaut.truth(0.0, 0.0)
    assert (t0.yaw, t0.pitch, t0.roll) == pytest.approx((p.yaw, p.pitch, p.roll), abs=1e-9)
    t = astronaut.truth(30.0, 0.0)
    assert t.yaw - p.yaw == pytest.approx(30.0, abs=2.0)


@pytest.mark.parametrize(("yaw", "pitch", "roll"), [(0, 0, 0), (30, -10, 5), (-50, 25, -8)])
def test_pose_fit_recovers_an_exactly_rotated_model(yaw: float, pitch: float, roll: float) -> None:
    from detectors.pose import CANONICAL

    pts = CANONICAL @ rotation(yaw, pitch, roll).T * 7.0 + np.array([320.0, 180.0, 0.0])
    pose = head_pose(pts)
    assert (pose.yaw, pose.pitch, pose.roll) == pytest.approx((yaw, pitch, roll), abs=0.01)
    assert euler(rotation(yaw, pitch, roll)).yaw == pytest.approx(yaw)
