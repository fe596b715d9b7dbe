"""Head, eyes and baseline in, verdict out: is this person looking at the meeting?

The head leads and the eyes can only excuse it:
- head within the thresholds of the person's baseline: engaged ("facing", or
  "baseline_offset" when only the baseline makes it so);
- head beyond the thresholds but the line of sight (head plus the eyes' own turn, both relative
  to the baseline) back within them: engaged, "eyes_on_screen" - someone turned 20° toward a
  second monitor with their eyes on the meeting is attentive;
- head beyond the thresholds and the eyes agree (or cannot be read: closed, too small, dark
  glasses): looking away, "head_yaw"/"head_pitch";
- head beyond `head_far_ratio` thresholds: looking away whatever the irises say (irises of a
  far-turned head are foreshortened and misread);
- head bowed down beyond `bowed_share` of the pitch threshold but within it: looking down,
  "head_down", when the eyes are lowered too (their vertical angle added to the head's passes
  the threshold) or shut (lids lowered over a phone read as closed); with the eyes back on the
  camera it stays engaged, and eyes too small to read leave the head to decide alone. Someone
  bowed over a phone or notes lowers the eyes as well as the head, and face_mesh reads the
  head short of its real bow.
Eyes on their own never make anyone look away: iris landmarks are too noisy on real webcams to
accuse someone of glancing aside. Beyond the pitch threshold the eyes do not excuse a bowed
head either: their up/down reading comes from the lids, which cover the iris of a lowered eye.
"""

from __future__ import annotations

from dataclasses import dataclass

from detectors.baseline import Offsets
from detectors.reading import Explanation
from detectors.settings import DetectorSettings


@dataclass(frozen=True, slots=True)
class Judgement:
    away: bool
    reason: str
    head_yaw: float  # head minus baseline, degrees
    head_pitch: float  # a bow (negative) scaled by pitch_gain
    head_ratio: float  # how many thresholds the head is turned (> 1: beyond)
    sight_yaw: float | None  # head plus eyes minus baseline; None when the eyes are unreadable
    sight_ratio: float | None  # the line of sight (eyes' yaw, head's pitch) in thresholds
    sight_pitch: float | None = None  # head plus the eyes' up/down turn, minus baseline


@dataclass(frozen=True, slots=True)
class Limits:
    yaw: float
    pitch: float

    def ratio(self, yaw: float, pitch: float) -> float:
        return max(abs(yaw) / self.yaw, abs(pitch) / self.pitch)


def limits(s: DetectorSettings, learned: bool) -> Limits:
    """The thresholds, widened until the person's own baseline is known: a level head reads
    -18° to +11° of pitch depending on the face (bench/realfaces/calibrate.py), so a first
    sight of a stranger is judged with that doubt in their favour."""
    margin = 0.0 if learned else s.unlearned_margin_deg
    return Limits(s.yaw_threshold_deg + margin, s.pitch_threshold_deg + margin)


def judge(
    yaw: float,
    pitch: float,
    gaze: tuple[float, float] | None,
    base: Offsets,
    facing: Offsets,
    s: DetectorSettings,
    *,
    learned: bool,
    shut: bool = False,
) -> Judgement:
    """`base` is the person's baseline (facing the camera until `learned`), `facing` the camera.
    The eyes' sideways turn can excuse a turned head; their up/down turn only tells whether a
    bowed head within the threshold is looking down (see the module's rules);
    `shut`: the eyes are wide enough to read but their lids are shut (detectors.gaze)."""
    lim = limits(s, learned)
    d_yaw, d_pitch = yaw - base.yaw, pitch - base.pitch
    if d_pitch < 0:  # face_mesh reads a bow from the person's own level ~0.8 of its size
        d_pitch *= s.pitch_gain
    head = lim.ratio(d_yaw, d_pitch)
    sight_yaw = sight = sight_pitch = None
    if gaze is not None:
        # a turn within the iris landmarks' own noise is no evidence the eyes went anywhere;
        # until learned, where this person's irises rest is unknown too (-9° to +7° measured)
        noise = s.gaze_noise_deg + (0.0 if learned else s.unlearned_margin_deg)
        eyes, eyes_down = (
            e if abs(e) >= noise else 0.0
            for e in (gaze[0] - base.gaze_yaw, gaze[1] - base.gaze_pitch)
        )
        sight_yaw = d_yaw + s.gaze_weight * eyes
        sight_pitch = d_pitch + s.gaze_weight * eyes_down
        sight = lim.ratio(sight_yaw, d_pitch)
    yaw_leads = abs(d_yaw) / lim.yaw >= abs(d_pitch) / lim.pitch
    pitch_reason = "head_down" if d_pitch < 0 else "head_pitch"
    # bowed well down within the threshold: the eyes say whether it is a look down
    bowed = -d_pitch > s.bowed_share * lim.pitch
    if head > s.head_far_ratio:
        away, reason = True, "head_yaw" if yaw_leads else pitch_reason
    elif head > 1.0 and sight is not None and sight <= 1.0 and yaw_leads:
        away, reason = False, "eyes_on_screen"
    elif head > 1.0:
        away, reason = True, "head_yaw" if yaw_leads else pitch_reason
    elif bowed and (shut or (sight_pitch is not None and -sight_pitch > lim.pitch)):
        away, reason = True, "head_down"
    else:
        from_camera = pitch - facing.pitch
        from_camera *= s.pitch_gain if from_camera < 0 else 1.0
        raw = lim.ratio(yaw - facing.yaw, from_camera)
        away, reason = False, "baseline_offset" if raw > 1.0 else "facing"
    return Judgement(away, reason, d_yaw, d_pitch, head, sight_yaw, sight, sight_pitch)


def explain(
    j: Judgement | None,
    gaze: tuple[float, float] | None,
    baseline: str,
    plausibility: str,
    lim: Limits,
    s: DetectorSettings,
) -> Explanation:
    """The four parts of a verdict in words; `j` is None when the fit was not believed."""
    limits = f"thresholds {lim.yaw:.0f}° sideways, {lim.pitch:.0f}° up/down"
    if j is None:
        head = "not judged: the landmarks are not believed to be a face"
    else:
        head = (
            f"turned {j.head_yaw:+.0f}° sideways and {j.head_pitch:+.0f}° up/down from the "
            f"baseline: {j.head_ratio:.2f} x the {limits}"
        )
        if j.head_ratio > s.head_far_ratio:
            head += f" (beyond {s.head_far_ratio} x: the eyes cannot excuse it)"
        elif j.reason == "head_down" and j.head_ratio <= 1.0:
            head += (
                f" (bowed beyond {s.bowed_share} x the up/down threshold, the eyes lowered or "
                "shut: looking down)"
            )
    if gaze is None and j is not None and j.reason == "head_down" and j.head_ratio <= 1.0:
        eyes = "shut or lowered out of sight: with the head bowed this far, a look down"
    elif gaze is None:
        eyes = "not readable (closed, covered or too small): the head decides alone"
    elif j is None or j.sight_ratio is None or j.sight_yaw is None:
        eyes = f"irises {gaze[0]:+.0f}° sideways, {gaze[1]:+.0f}° up/down in the head"
    else:
        eyes = (
            f"irises {gaze[0]:+.0f}° sideways, {gaze[1]:+.0f}° up/down in the head; line of sight "
            f"{j.sight_yaw:+.0f}° sideways = {j.sight_ratio:.2f} x the thresholds"
        )
        if j.sight_pitch is not None:
            eyes += f", {j.sight_pitch:+.0f}° up/down"
        if j.reason == "eyes_on_screen":
            eyes += ": the eyes are on the meeting, they excuse the head"
    return Explanation(head, eyes, baseline, plausibility)
