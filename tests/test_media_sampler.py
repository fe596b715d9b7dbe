"""MediaSampler on real aiortc tracks in one process (no network): sampling, slots, failures.

The tracks are real `MediaStreamTrack`s producing `av` frames at a camera's pace; the peers
that would carry them over RTP are in test_media_loopback.py. A fake detector stands in where
the point is scheduling (it records what it was given and can be held back by a test);
the real `detectors.Detector` judges real frames in the first tests.
"""

from __future__ import annotations

import itertools
import threading

import numpy as np
import pytest
from media_fakes import (
    BLACK,
    FACE,
    A,
    B,
    Camera,
    Detectors,
    Microphone,
    judged,
    observed,
    sampling,
)

from detectors import DetectorSettings
from meetbot.clock import MonotonicClock
from meetbot.config.schema import SamplingSettings
from meetbot.domain.events import ParticipantId, SpeechChanged
from meetbot.domain.states import SpeechSource, State, TrackKind
from meetbot.media import MediaSampler
from meetbot.media.sampler import THREAD_PREFIX

# --- the real detector on real frames ---


async def test_a_face_is_engaged_and_a_black_camera_is_off_with_the_real_detector() -> None:
    async with sampling(fps=4.0, detector=DetectorSettings(frozen_seconds=60.0)) as (s, events):
        await s.track_started(A, TrackKind.VIDEO, Camera(lambda n: FACE))
        await s.track_started(B, TrackKind.VIDEO, Camera(lambda n: BLACK))
        await events.wait_for(
            lambda _: len(judged(events, A)) >= 3 and len(judged(events, B)) >= 3, 30
        )
    assert {o.state for o in judged(events, A)} == {State.ENGAGED}
    assert all(o.faces == 1 and o.yaw is not None for o in judged(events, A))
    assert {(o.state, o.reason) for o in judged(events, B)} == {(State.CAMERA_OFF, "black_frame")}


async def test_a_frozen_picture_becomes_camera_off_with_the_real_detector() -> None:
    settings = DetectorSettings(frozen_seconds=1.0)
    async with sampling(fps=5.0, detector=settings) as (s, events):
        await s.track_started(A, TrackKind.VIDEO, Camera(lambda n: FACE))
        await events.wait_for(lambda _: any(o.reason == "frozen" for o in observed(events, A)), 30)
    states = [o.state for o in judged(events, A)]
    assert states[0] is State.ENGAGED
    assert states[-1] is State.CAMERA_OFF


# --- scheduling, with the fake detector ---


async def test_frames_are_downscaled_to_max_width_and_stamped_at_sample_time() -> None:
    wide = np.zeros((720, 1280, 3), np.uint8)
    fakes = Detectors()
    async with sampling(detectors=fakes) as (s, events):
        await s.track_started(A, TrackKind.VIDEO, Camera(lambda n: wide))
        await events.wait_for(lambda _: len(observed(events, A)) >= 3)
    shapes = [shape for shape in fakes.made[0].shapes if shape is not None]
    assert shapes
    assert set(shapes) == {(360, 640, 3)}
    ats = [o.at for o in observed(events, A)]
    assert ats == sorted(ats)
    assert len(set(ats)) == len(ats)


async def test_a_slow_detector_skips_samples_while_the_drain_keeps_only_the_newest_frame() -> None:
    fakes = Detectors()
    fakes.gate.clear()  # the detector is stuck in its first call
    async with sampling(fps=10.0, detectors=fakes) as (s, events):
        camera = Camera(lambda n: FACE, fps=30.0)
        await s.track_started(A, TrackKind.VIDEO, camera)
        watch = s.watches[A]
        await camera.until_sent(30)  # a second of video while the detector is stuck
        assert watch.skipped >= 3  # ticks skipped, not queued
        assert watch.slot.received == camera.sent  # every frame read at once...
        assert watch.slot.dropped >= camera.sent - 2  # ...and overwritten: the slot holds one
        fakes.gate.set()
        await events.wait_for(lambda _: len(observed(events, A)) >= 3)
    assert fakes.made[0].most_busy == 1  # never two calls at once on one person's detector


async def test_detector_threads_bound_the_work_whatever_the_number_of_participants() -> None:
    fakes = Detectors()
    fakes.gate.clear()
    people = [ParticipantId(f"p{i}") for i in range(12)]
    async with sampling(fps=10.0, threads=2, detectors=fakes) as (s, events):
        cameras = [Camera(lambda n: BLACK, fps=10) for _ in people]
        for who, camera in zip(people, cameras, strict=True):
            await s.track_started(who, TrackKind.VIDEO, camera)
        for camera in cameras:
            await camera.until_sent(10)  # every participant has been due several times
        workers = [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]
        assert len(workers) == 2
        assert len(fakes.made) == 2  # the other ten wait their turn, one frame each
        assert sum(w.skipped for w in s.watches.values()) >= 12
        fakes.gate.set()
        await events.wait_for(lambda _: all(observed(events, who) for who in people))


async def test_ticks_of_many_participants_are_spread_over_the_period() -> None:
    async with sampling(fps=1.0, detectors=Detectors()) as (s, _events):
        for i in range(8):
            await s.track_started(ParticipantId(f"p{i}"), TrackKind.VIDEO, Camera(lambda n: BLACK))
        phases = sorted(w.due % s.period for w in s.watches.values())
    gaps = [b - a for a, b in itertools.pairwise(phases)] + [1 + phases[0] - phases[-1]]
    assert max(gaps) < 0.4 * s.period  # no two-thirds of the second left idle for a burst


async def test_a_broken_stream_is_unknown_for_that_person_only() -> None:
    async with sampling(detectors=Detectors()) as (s, events):
        broken = Camera(lambda n: FACE)
        await s.track_started(A, TrackKind.VIDEO, broken)
        await s.track_started(B, TrackKind.VIDEO, Camera(lambda n: FACE))
        await events.wait_for(lambda _: observed(events, A) != [])
        broken.fail.set()
        await events.wait_for(
            lambda _: len([o for o in observed(events, A) if o.state is State.UNKNOWN]) >= 2
        )
        seen_b = len(observed(events, B))
        await events.wait_for(lambda _: len(observed(events, B)) >= seen_b + 3)
    assert observed(events, A)[-1].reason == "stream_broken"
    assert observed(events, A)[-1].confidence == 0.0
    assert observed(events, B)[-1].state is State.ENGAGED


async def test_a_failing_detector_is_unknown_for_that_person_only() -> None:
    fakes = Detectors()
    async with sampling(detectors=fakes) as (s, events):
        await s.track_started(A, TrackKind.VIDEO, Camera(lambda n: FACE))
        await events.wait_for(lambda _: observed(events, A) != [])
        fakes.made[0].fail = True
        await s.track_started(B, TrackKind.VIDEO, Camera(lambda n: FACE))
        await events.wait_for(lambda _: len(observed(events, B)) >= 3)
        await events.wait_for(lambda _: observed(events, A)[-1].state is State.UNKNOWN)
    assert observed(events, A)[-1].reason == "detector_error: ValueError"
    assert {o.state for o in observed(events, B)} == {State.ENGAGED}


async def test_an_ended_track_stops_sampling_and_closes_its_detector() -> None:
    fakes = Detectors()
    async with sampling(detectors=fakes) as (s, events):
        await s.track_started(A, TrackKind.VIDEO, Camera(lambda n: FACE))
        await s.track_started(B, TrackKind.VIDEO, Camera(lambda n: FACE))
        await events.wait_for(lambda _: len(observed(events, A)) >= 2)
        await s.track_ended(A, TrackKind.VIDEO)
        count = len(observed(events, A))
        seen_b = len(observed(events, B))
        await events.wait_for(lambda _: len(observed(events, B)) >= seen_b + 3)
        assert A not in s.watches
    assert len(observed(events, A)) <= count + 1  # at most the sample already in flight
    assert fakes.made[0].closed


async def test_an_excluded_person_is_never_analysed_again_but_their_track_is_still_read() -> None:
    fakes = Detectors()
    async with sampling(detectors=fakes) as (s, events):
        camera = Camera(lambda n: FACE)
        await s.track_started(A, TrackKind.VIDEO, camera)
        await s.track_started(B, TrackKind.VIDEO, Camera(lambda n: FACE))
        await events.wait_for(lambda _: observed(events, A) != [])
        s.exclude(A)
        count, sent = len(observed(events, A)), camera.sent
        await s.track_started(A, TrackKind.VIDEO, Camera(lambda n: FACE))  # rejoined: still out
        seen_b = len(observed(events, B))
        await events.wait_for(lambda _: len(observed(events, B)) >= seen_b + 3)
        assert camera.sent > sent  # drained into nothing: aiortc's queue cannot grow
    assert len(observed(events, A)) <= count + 1
    assert fakes.made[0].closed
    assert len(fakes.made) == 2  # no detector was ever built for the rejoined excluded track


async def test_the_speaking_hint_reaches_the_detector() -> None:
    fakes = Detectors()
    async with sampling(detectors=fakes) as (s, events):
        await s.track_started(A, TrackKind.VIDEO, Camera(lambda n: FACE))
        await events.wait_for(lambda _: observed(events, A) != [])
        s.speaking(A, True)
        await events.wait_for(
            lambda _: len(fakes.made[0].speaking) >= 1 and fakes.made[0].speaking[-1]
        )
    assert fakes.made[0].speaking[0] is False


async def test_no_new_frame_is_passed_as_none_so_the_detector_can_time_out() -> None:
    fakes = Detectors()
    async with sampling(fps=10.0, detectors=fakes) as (s, events):
        await s.track_started(A, TrackKind.VIDEO, Camera(lambda n: FACE, fps=2.0))
        await events.wait_for(lambda _: fakes.made != [] and gap_after_frame(fakes.made[0].shapes))
    # 10 samples a second of a 2 frames/s camera: most ticks find no new frame
    assert fakes.made[0].shapes.count(None) > len(fakes.made[0].shapes) // 2


def gap_after_frame(shapes: list[tuple[int, ...] | None]) -> bool:
    """A tick without a new frame after the first frame arrived."""
    frames = [i for i, shape in enumerate(shapes) if shape is not None]
    return bool(frames) and None in shapes[frames[0] :]


# --- audio-level fallback ---


async def test_audio_level_hysteresis_reports_speech_from_a_tone_and_silence() -> None:
    async with sampling(detectors=Detectors(), speech_from_audio=True) as (s, events):
        mic = Microphone()
        await s.track_started(A, TrackKind.AUDIO, mic)
        await s.track_started(B, TrackKind.AUDIO, Microphone())  # silent all along
        mic.loud.set()
        await events.wait_for(lambda _: len(events.of(SpeechChanged)) == 1)
        mic.loud.clear()
        await events.wait_for(lambda _: len(events.of(SpeechChanged)) == 2)
    changes = events.of(SpeechChanged)
    assert [(c.participant, c.speaking, c.source) for c in changes] == [
        (A, True, SpeechSource.AUDIO_LEVEL),
        (A, False, SpeechSource.AUDIO_LEVEL),
    ]
    assert changes[1].at - changes[0].at >= 0.8  # at least the hold time apart


async def test_audio_is_drained_but_not_judged_unless_asked() -> None:
    async with sampling(detectors=Detectors()) as (s, events):
        mic = Microphone()
        mic.loud.set()
        await s.track_started(A, TrackKind.AUDIO, mic)
        await s.track_started(B, TrackKind.VIDEO, Camera(lambda n: FACE))
        await events.wait_for(lambda _: len(observed(events, B)) >= 8)
        assert mic.sent > 50  # read all along
    assert events.of(SpeechChanged) == []


def test_bad_settings_say_what_to_change() -> None:
    # SamplingSettings refuses them where it is defined, before a sampler can be built.
    for bad in (0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match=r"fps must be a finite number greater than 0"):
            MediaSampler(SamplingSettings(fps=bad), DetectorSettings(), MonotonicClock())
