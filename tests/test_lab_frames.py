"""The lab's camera pictures show what the script says, as the real detector judges them."""

from __future__ import annotations

import av
import numpy as np
import pytest

from detectors import Detector, Verdict
from meetbot.errors import ConfigError
from meetbot.lab.frames import VARIANTS, FrameBook, video_frame
from meetbot.lab.scenario import Behaviour, Scenario, Script


@pytest.fixture(scope="module")
def book() -> FrameBook:
    return FrameBook.render(["astronaut"], canvas=(240, 320), face_px=110)


def _rgb(yuv: np.ndarray) -> np.ndarray:
    return av.VideoFrame.from_ndarray(yuv, format="yuv420p").to_ndarray(format="rgb24")


def test_frames_are_yuv420p_of_the_canvas(book: FrameBook) -> None:
    for behaviour in Behaviour:
        frame = book.frame("astronaut", behaviour, 0)
        assert frame.shape == (240 * 3 // 2, 320)
        assert frame.dtype == np.uint8


def test_live_pictures_never_repeat_exactly_but_a_dead_camera_is_exactly_black(
    book: FrameBook,
) -> None:
    live = [book.frame("astronaut", Behaviour.ATTENTIVE, n) for n in range(VARIANTS)]
    assert all(not np.array_equal(live[0], other) for other in live[1:])
    black = _rgb(book.frame("astronaut", Behaviour.CAMERA_OFF, 3))
    assert int(black.max()) <= 1  # yuv420p -> rgb rounding only


def test_detector_reads_each_behaviour_as_its_state(book: FrameBook) -> None:
    verdicts = {}
    with Detector() as detector:
        at = 0.0
        for behaviour in Behaviour:
            for n in range(3):  # a few frames each, as a tracking detector would see them
                reading = detector.observe(_rgb(book.frame("astronaut", behaviour, n)), at)
                at += 1.0
            verdicts[behaviour] = reading.verdict
    assert verdicts == {
        Behaviour.ATTENTIVE: Verdict.ENGAGED,
        Behaviour.LOOKING_AWAY: Verdict.LOOKING_AWAY,
        Behaviour.AWAY: Verdict.ABSENT,
        Behaviour.CAMERA_OFF: Verdict.CAMERA_OFF,
    }


def test_unknown_face_says_which_exist() -> None:
    with pytest.raises(
        ConfigError, match=r"face 'coffee' is not available; use one of \['astronaut'\]"
    ):
        FrameBook.render(["coffee"])


def test_a_process_renders_a_scenarios_faces_once_and_every_caller_shares_a_read_only_book(
    book: FrameBook,
) -> None:
    two_people = Scenario((Script("ann", "Ann"), Script("ben", "Ben")), duration_s=10.0)
    assert FrameBook.for_scenario(two_people) is book  # same faces, canvas and size: no render
    assert FrameBook.render(["astronaut"], canvas=(480, 640), face_px=200) is not book
    frame = book.frame("astronaut", Behaviour.ATTENTIVE, 0)
    with pytest.raises(ValueError, match="read-only"):
        frame[0, 0] = 0  # one test painting its camera would paint every later test's
    with pytest.raises(TypeError):
        book.frames["astronaut", Behaviour.AWAY] = (frame,)
    assert video_frame(frame, 0).to_ndarray().tobytes() == frame.tobytes()  # still sendable
