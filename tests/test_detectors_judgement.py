"""The verdict's rules on numbers: eyes as a veto, plausibility of the fit, a baseline that
cannot be taught the wrong thing, and settings that refuse nonsense. No models needed here;
tests/test_detectors_realfaces.py runs the same rules through real mediapipe landmarks."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from detectors import DetectorSettings
from detectors.baseline import Baseline, Offsets
from detectors.gaze import eye_direction, eyes_shut
from detectors.judgement import judge
from detectors.plausibility import assess_fit
from meetbot import config
from meetbot.errors import ConfigError

S = DetectorSettings()
CAMERA = Offsets(0.0, S.pitch_level_deg, 0.0, 0.0)


def verdict(
    yaw: float, pitch: float, gaze: tuple[float, float] | None, *, shut: bool = False
) -> tuple[bool, str]:
    j = judge(yaw, pitch, gaze, CAMERA, CAMERA, S, learned=True, shut=shut)
    return j.away, j.reason


def test_eyes_on_the_meeting_excuse_a_moderately_turned_head() -> None:
    level = S.pitch_level_deg
    # head 33° to the side (beyond 25°), irises 9° back toward the camera (they read about a
    # quarter of the true counter-turn): the line of sight is back on the meeting
    assert verdict(33.0, level, (-9.0, 0.0)) == (False, "eyes_on_screen")
    # the same head with the eyes going further the same way, or unreadable: away
    assert verdict(33.0, level, (5.0, 0.0)) == (True, "head_yaw")
    assert verdict(33.0, level, None) == (True, "head_yaw")
    # a small iris offset is landmark noise (faces at the camera read -9..+7°), not a veto
    assert verdict(32.0, level, (-S.gaze_noise_deg + 1.0, 0.0)) == (True, "head_yaw")


def test_a_head_far_beyond_the_threshold_is_away_whatever_the_irises_read() -> None:
    far = S.yaw_threshold_deg * S.head_far_ratio + 2.0
    assert verdict(far, S.pitch_level_deg, (-30.0, 0.0)) == (True, "head_yaw")


def test_eyes_alone_never_make_anyone_look_away() -> None:
    assert verdict(5.0, S.pitch_level_deg, (30.0, 0.0)) == (False, "facing")


def test_eyes_do_not_excuse_a_head_pitched_down() -> None:
    # the up/down iris reading comes from the lids: it cannot clear someone reading a phone
    down = S.pitch_level_deg - S.pitch_threshold_deg - 8.0
    assert verdict(0.0, down, (0.0, 25.0)) == (True, "head_down")
    assert verdict(0.0, S.pitch_level_deg + S.pitch_threshold_deg + 8.0, None) == (
        True,
        "head_pitch",
    )


def test_a_bowed_head_with_the_eyes_lowered_or_shut_is_looking_down() -> None:
    # bowed 3/4 of the threshold (as judged, after the pitch gain): within it, but well down
    bowed = S.pitch_level_deg - 0.75 * S.pitch_threshold_deg / S.pitch_gain
    # lids shut over a phone: looking down, never "facing"; eyes too small to read say
    # nothing, and the head within the threshold decides alone
    assert verdict(0.0, bowed, None, shut=True) == (True, "head_down")
    assert verdict(0.0, bowed, None) == (False, "facing")
    # eyes lowered as well: head plus eyes pass the threshold
    assert verdict(0.0, bowed, (0.0, -10.0)) == (True, "head_down")
    # the same bow with the eyes back on the camera, or level within the irises' noise: engaged
    assert verdict(0.0, bowed, (0.0, 10.0)) == (False, "facing")
    assert verdict(0.0, bowed, (0.0, -S.gaze_noise_deg + 1.0)) == (False, "facing")


def test_a_bow_is_judged_with_the_pitch_gain_and_a_raised_head_without() -> None:
    # read 19° down from the level: 20.9° once the gain restores it, beyond the threshold
    assert verdict(0.0, S.pitch_level_deg - 19.0, (0.0, 0.0)) == (True, "head_down")
    assert verdict(0.0, S.pitch_level_deg + 19.0, (0.0, 0.0)) == (False, "facing")


def _eyes(width: float, gap: float) -> np.ndarray:
    """478 landmarks whose two eyes are `width` px wide with lids `gap` px apart, irises
    centred (only the eye points matter to detectors.gaze)."""
    lm = np.zeros((478, 3))
    for (left, right, top, bottom), iris, x0 in (((33, 133, 159, 145), 468, 100.0),
                                                 ((362, 263, 386, 374), 473, 200.0)):  # fmt: skip
        lm[left, :2], lm[right, :2] = (x0, 100.0), (x0 + width, 100.0)
        lm[top, :2], lm[bottom, :2] = (
            (x0 + width / 2, 100.0 - gap / 2),
            (x0 + width / 2, 100.0 + gap / 2),
        )
        lm[iris, :2] = (x0 + width / 2, 100.0)
    return lm


def test_shut_eyes_are_told_from_eyes_too_small_to_read() -> None:
    # lids 5% of the eye's width apart on a 30 px eye: shut (lowered over a phone, or a blink)
    assert eyes_shut(_eyes(30.0, 1.5))
    assert eye_direction(_eyes(30.0, 1.5)) is None
    # the same lids on a 5 px eye: nothing can be read, and nothing is said to be shut
    assert not eyes_shut(_eyes(5.0, 0.25))
    assert eye_direction(_eyes(5.0, 0.25)) is None
    # open eyes are read, not shut
    assert not eyes_shut(_eyes(30.0, 9.0))
    assert eye_direction(_eyes(30.0, 9.0)) is not None


def test_a_head_bowed_a_little_stays_engaged_whatever_the_eyes() -> None:
    # a laugh with the eyes shut, a nod: bowed less than bowed_share of the threshold
    little = S.pitch_level_deg - 0.5 * S.pitch_threshold_deg / S.pitch_gain
    assert verdict(0.0, little, None, shut=True) == (False, "facing")
    assert verdict(0.0, little, (0.0, -8.0)) == (False, "facing")
    # eyes alone, head level: never away
    assert verdict(0.0, S.pitch_level_deg, (0.0, -30.0)) == (False, "facing")


def test_first_sight_gives_the_doubt_to_the_person() -> None:
    turn = S.yaw_threshold_deg + S.unlearned_margin_deg / 2
    learned = judge(turn, S.pitch_level_deg, None, CAMERA, CAMERA, S, learned=True)
    first = judge(turn, S.pitch_level_deg, None, CAMERA, CAMERA, S, learned=False)
    assert learned.away
    assert not first.away


def test_a_doubtful_detection_with_an_odd_mesh_is_not_believed() -> None:
    hair = assess_fit(0.70, (-24.0, 1.0), 0.0, -23.0, S)  # measured on a back of a head
    assert not hair.plausible
    assert hair.person_there
    assert len(hair.oddities) == 2
    # the same oddities on a confident detection, or a doubtful one without oddities: believed
    assert assess_fit(0.93, (-24.0, 1.0), 0.0, -23.0, S).plausible
    assert assess_fit(0.72, (7.0, -2.0), 0.0, 0.0, S).plausible  # dark glasses scored 0.72
    # one oddity on a doubtful or weak detection: a small face resting on a hand, believed
    assert assess_fit(0.75, (2.0, 0.0), 0.0, 24.0, S).plausible
    assert assess_fit(0.5, None, 0.0, 30.0, S).plausible
    # a weak detection with both: not believed, and nobody can be said to be there
    weak = assess_fit(0.5, (-24.0, 1.0), 0.0, -23.0, S)
    assert not weak.plausible
    assert not weak.person_there
    # a person whose eyes rest to one side is not odd for it
    assert assess_fit(0.7, (-20.0, 0.0), -15.0, 0.0, S).plausible


def test_phone_in_the_first_minutes_does_not_become_the_norm() -> None:
    b = Baseline(S)
    phone = S.pitch_level_deg - 35.0
    for t in range(20):
        b.learn(float(t), 2.0, phone, None, speaking=False)
    assert not b.ready
    assert b.value == b.facing


def test_the_baseline_drift_is_capped() -> None:
    b = Baseline(S)
    for t in range(10):
        b.learn(float(t), 38.0, S.pitch_level_deg - 19.0, (40.0, 0.0), speaking=True)
    assert b.value.yaw == pytest.approx(S.baseline_max_drift_deg)
    assert b.value.pitch - S.pitch_level_deg == pytest.approx(-0.75 * S.pitch_threshold_deg)
    assert abs(b.value.gaze_yaw) <= 15.0


def test_the_baseline_is_robust_to_glances() -> None:
    b = Baseline(S)
    for t in range(16):
        b.learn(float(t), 10.0 + (t % 3), S.pitch_level_deg, None, speaking=False)
    for t in range(16, 20):  # four glances at a side window
        b.learn(float(t), 39.0, S.pitch_level_deg, None, speaking=False)
    assert 10.0 <= b.value.yaw <= 12.5  # a plain mean would be 16.6


def test_speaking_samples_weigh_more() -> None:
    b = Baseline(S)
    for t in range(6):
        b.learn(float(t), 12.0, S.pitch_level_deg, None, speaking=False)
    for t in range(6, 9):
        b.learn(float(t), 0.0, S.pitch_level_deg, None, speaking=True)
    assert b.value.yaw < 6.0  # unweighted, two thirds of the samples say 12°


@pytest.mark.parametrize(
    "bad",
    [
        {"yaw_gain": math.nan},
        {"pitch_threshold_deg": -1.0},
        {"baseline_trim": 0.5},
        {"head_far_ratio": 0.9},
        {"plausible_score": 1.5},
    ],
)
def test_settings_refuse_nonsense(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        DetectorSettings(**bad)  # type: ignore[arg-type]


def test_a_bad_detector_value_in_a_chapter_file_is_one_line(tmp_path: Path) -> None:
    chapter = tmp_path / "chapter.toml"
    chapter.write_text("[detector]\nbaseline_trim = 0.7\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        config.load(str(chapter))
    assert "baseline_trim" in str(err.value)
    assert "\n" not in str(err.value)
