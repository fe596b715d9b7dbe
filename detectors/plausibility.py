"""Is the landmark fit a face seen from the front half, or a mesh laid on something else?

face_mesh always returns a well-formed face: on the back of a head, an ear and a cheek, or hair,
it still draws eyes, nose and mouth, and the pose fitted to them can read "facing the camera".
Two independent witnesses decide whether to believe it:
- the face detector's score for the same face (BlazeFace is trained on faces; the back of a head
  scores low, measured ~0.70 against 0.82-0.99 for frontal faces of every size in the dev set);
- the mesh's own oddities, which a real face seen from the front rarely shows and a mesh on hair
  often does: irises pushed to the corners of both eyes (they land on the hair's edges) and a
  strong head tilt.
A doubtful detection alone is not enough (dark glasses, small or blurred faces score 0.5-0.8
too), nor one oddity on it (a listener resting their head on a hand tilts it 20-25°; a far
turned head's irises look pushed aside): a fit is implausible when a doubtful detection comes
with both oddities. Below `min_face_score` nobody can be said to be there: unknown, not away.
"""

from __future__ import annotations

from dataclasses import dataclass

from detectors.settings import DetectorSettings


@dataclass(frozen=True, slots=True)
class Fit:
    """Whether the landmarks can be trusted as a face, and why."""

    plausible: bool
    score: float  # the face detector's confidence for this face (0: it saw none there)
    oddities: tuple[str, ...] = ()
    person_there: bool = True  # the detector is sure enough that a head is in the picture

    def describe(self) -> str:
        odd = ", ".join(self.oddities) if self.oddities else "none"
        verdict = "plausible" if self.plausible else "implausible"
        return f"{verdict} (detection score {self.score:.2f}, oddities: {odd})"


def assess_fit(
    score: float,
    gaze: tuple[float, float] | None,
    rest_gaze_yaw: float,
    roll: float,
    settings: DetectorSettings,
) -> Fit:
    """`score` is the detector's confidence for the face the mesh fitted; `rest_gaze_yaw` is
    where this person's eyes rest (their baseline), so a habitual side glance is not odd."""
    oddities = []
    if gaze is not None and abs(gaze[0] - rest_gaze_yaw) >= settings.odd_gaze_deg:
        oddities.append(f"irises at the eye corners ({gaze[0]:+.0f}°)")
    if abs(roll) >= settings.odd_roll_deg:
        oddities.append(f"head tilted {roll:+.0f}°")
    plausible = score >= settings.plausible_score or len(oddities) < 2
    return Fit(plausible, score, tuple(oddities), score >= settings.min_face_score)
