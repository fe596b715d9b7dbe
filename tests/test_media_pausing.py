"""Pausing videos at the server between samples (MediaSampler + a Valve), with fake valves
on real aiortc tracks; the real Janus valve is in test_janus_videoroom.py and
test_media_janus.py."""

from __future__ import annotations

import asyncio

import av
import numpy as np
import pytest
from media_fakes import (
    BLACK,
    SMEARED,
    VIDEO_TIME_BASE,
    A,
    B,
    Camera,
    CameraValve,
    Detectors,
    Frame,
    judged,
    observed,
    sampling,
)

from meetbot.domain.events import Observation, ParticipantId
from meetbot.domain.states import TrackKind
from meetbot.media.pausing import OPEN_AFTER_SILENCE
from meetbot.media.slot import FrameSlot, Stamp

C = ParticipantId("carol")


def marked(valve: CameraValve) -> Frame:
    """A small picture whose width says which resume it was sent after."""
    return np.zeros((48, 64 + 8 * valve.generation, 3), np.uint8)


def generation(width: int) -> int:
    return (width - 64) // 8


async def test_in_a_big_room_videos_are_paused_between_samples_and_resumed_before_each() -> None:
    fakes = Detectors()
    async with sampling(fps=2.0, resume_lead_s=0.2, pause_video_from=2, detectors=fakes) as (
        s,
        events,
    ):
        cameras = {who: Camera(lambda n: BLACK, fps=15) for who in (A, B)}
        valves = {who: CameraValve(camera) for who, camera in cameras.items()}
        for who in (A, B):
            await s.track_started(who, TrackKind.VIDEO, cameras[who], valves[who])
        control = Camera(lambda n: BLACK, fps=15)  # a platform without valves: never paused
        await s.track_started(C, TrackKind.VIDEO, control)
        await events.wait_for(lambda _: all(len(judged(events, w)) >= 5 for w in (A, B, C)))
    for valve in valves.values():
        # paused after every sample, resumed before the next one, never twice the same way
        assert valve.calls[:6] == ["pause", "resume"] * 3, valve.calls
    assert s.resumed >= 4
    for valve in valves.values():
        # Paused from each sample until 0.2 s before the next (0.3 s of every 0.5 s): each
        # pause lasts most of that. Timed at the valve rather than counted in frames: a busy
        # machine slows the cameras' frames unevenly (a gate once saw 20 frames against the
        # unpaused camera's 28), while a pause only shortens by the sampler's lateness.
        mean_s = sum(valve.pauses_s) / len(valve.pauses_s)
        assert mean_s > 0.5 * (1 / 2.0 - 0.2), valve.pauses_s


@pytest.mark.parametrize(
    ("sees_keyframes", "smeared", "keyframe_delay_s"),
    [
        # inter frames sent before the keyframe arrive first, fresh timestamps and all
        (True, 3, 0.0),
        # a platform that cannot spot keyframes; a sender slower than the lead, so at the
        # sample only the frame the decoder held through the pause is there (its new frame
        # comes ~1 s after the resume: after the sample is due, well before the second lead
        # the sampler grants it runs out, however late a busy machine runs the loop)
        (False, 0, 0.9),
    ],
)
async def test_a_sample_never_judges_a_frame_from_before_the_pause_nor_a_smeared_one(
    sees_keyframes: bool, smeared: int, keyframe_delay_s: float
) -> None:
    fakes = Detectors()
    # 1 sample every 2 s: each pause lasts ~1.2 s, many frame intervals (as in a real room);
    # a lead of 0.8 s leaves room for a busy machine's late wake-ups on both sides of a sample
    async with sampling(fps=0.5, resume_lead_s=0.8, pause_video_from=1, detectors=fakes) as (
        s,
        events,
    ):
        camera = Camera(lambda n: marked(valve), fps=15)
        valve = CameraValve(camera, sees_keyframes=sees_keyframes)
        valve.smeared_frames, valve.keyframe_delay_s = smeared, keyframe_delay_s
        await s.track_started(A, TrackKind.VIDEO, camera, valve)
        await events.wait_for(
            lambda _: valve.generation >= 5 and len(judged(events, A)) >= 5, timeout_s=90
        )
    shapes = [shape for shape in fakes.made[0].shapes if shape is not None]
    assert SMEARED.shape not in shapes
    seen = [generation(shape[1]) for shape in shapes]
    assert len(seen) >= 4
    # every sample after a resume shows a frame sent after that very resume
    assert seen[1:] == sorted(set(seen[1:])), seen
    assert seen[-1] >= 4, seen


async def test_a_small_room_streams_continuously() -> None:
    async with sampling(fps=2.0, resume_lead_s=0.2, pause_video_from=3, detectors=Detectors()) as (
        s,
        events,
    ):
        cameras = {who: Camera(lambda n: BLACK) for who in (A, B)}
        valves = {who: CameraValve(camera) for who, camera in cameras.items()}
        for who in (A, B):
            await s.track_started(who, TrackKind.VIDEO, cameras[who], valves[who])
        await events.wait_for(lambda _: all(len(judged(events, w)) >= 3 for w in (A, B)))
    assert [v.calls for v in valves.values()] == [[], []]


async def test_a_valve_that_fails_leaves_the_video_flowing() -> None:
    async with sampling(fps=2.0, resume_lead_s=0.2, pause_video_from=1, detectors=Detectors()) as (
        s,
        events,
    ):
        camera = Camera(lambda n: BLACK)
        valve = CameraValve(camera)
        valve.broken = True
        await s.track_started(A, TrackKind.VIDEO, camera, valve)
        await events.wait_for(lambda _: len(judged(events, A)) >= 6)
        assert s.watches[A].valve is None  # the server cannot be asked: never again
    assert valve.calls == ["pause"]


async def test_a_video_silent_after_a_resume_flows_for_a_while_then_is_paused_again() -> None:
    async with sampling(fps=4.0, resume_lead_s=0.1, pause_video_from=1, detectors=Detectors()) as (
        s,
        events,
    ):
        camera = Camera(lambda n: BLACK)
        valve = CameraValve(camera)
        valve.deaf = True  # the first resume brings nothing
        await s.track_started(A, TrackKind.VIDEO, camera, valve)
        await events.wait_for(lambda _: valve.calls == ["pause", "resume"])
        valve.deaf = False
        await events.wait_for(lambda _: len(valve.calls) >= 4)
        assert s.watches[A].valve is valve  # kept: an opt-out can still shut it
    # nothing for OPEN_AFTER_SILENCE samples (its video flowed), then paused again
    assert valve.calls[:4] == ["pause", "resume", "pause", "resume"]
    assert len(observed(events, A)) >= OPEN_AFTER_SILENCE + 2


async def test_an_excluded_person_is_paused_for_good() -> None:
    async with sampling(fps=2.0, pause_video_from=1000, detectors=Detectors()) as (s, events):
        camera = Camera(lambda n: BLACK)
        valve = CameraValve(camera)
        await s.track_started(A, TrackKind.VIDEO, camera, valve)
        await s.track_started(B, TrackKind.VIDEO, Camera(lambda n: BLACK))
        s.exclude(A)
        await events.wait_for(lambda _: len(judged(events, B)) >= 3)
        later = Camera(lambda n: BLACK)  # rejoined: still out, still paused
        later_valve = CameraValve(later)
        await s.track_started(A, TrackKind.VIDEO, later, later_valve)
        await events.wait_for(lambda _: len(judged(events, B)) >= 5)
    assert valve.calls == ["pause"]
    assert later_valve.calls == ["pause"]
    assert not [o for o in events.of(Observation) if o.participant == A and o.reason == "fake"]


def stamped(pts: int) -> av.VideoFrame:
    frame = av.VideoFrame(16, 16, "yuv420p")
    frame.pts, frame.time_base = pts, VIDEO_TIME_BASE
    return frame


@pytest.mark.parametrize("newest", [1_000, 2**32 - 9_000])  # the second wraps around 2**32
def test_a_slot_gate_by_timestamp_works_across_the_rtp_wrap(newest: int) -> None:
    slot = FrameSlot()
    slot.put(stamped(newest))
    assert slot.newest == Stamp(newest, VIDEO_TIME_BASE)  # only the stamp is kept
    before = slot.newest
    slot.admit(lambda frame: before.seconds_to(frame) >= 0.5)
    assert slot.take() is None  # emptied
    held = stamped((newest + 6_000) % 2**32)  # the frame a decoder held through the pause
    slot.put(held)
    assert slot.take() is None
    assert slot.refused == 1
    fresh = stamped((newest + 90_000) % 2**32)  # one second later
    slot.put(fresh)
    assert slot.take() is fresh
    slot.put(held)  # once a frame passed, the slot takes frames as they come again
    assert slot.take() is held


async def test_an_instant_valve_is_paused_between_samples_in_a_room_of_any_size() -> None:
    """A browser page's valve costs nothing to turn: alone in a small room, its person's video
    is still resumed just before each sample and paused after it (a Janus stream is not)."""
    async with sampling(fps=2.0, resume_lead_s=0.2, pause_video_from=24, detectors=Detectors()) as (
        s,
        events,
    ):
        page = Camera(lambda n: BLACK, fps=15)
        instant = CameraValve(page, sees_keyframes=False, instant=True)
        await s.track_started(A, TrackKind.VIDEO, page, instant)
        server = Camera(lambda n: BLACK, fps=15)
        stream = CameraValve(server)
        await s.track_started(B, TrackKind.VIDEO, server, stream)
        await events.wait_for(lambda _: all(len(judged(events, w)) >= 5 for w in (A, B)))
    assert instant.calls[:6] == ["pause", "resume"] * 3, instant.calls
    assert stream.calls == []
    # paused for most of the 0.3 s between a sample and the next resume (see the big room)
    assert sum(instant.pauses_s) / len(instant.pauses_s) > 0.5 * (1 / 2.0 - 0.2), instant.pauses_s


async def test_an_instant_valves_picture_is_judged_as_it_comes_not_held_until_due() -> None:
    """Held until its sample is due, a page's picture would only grow older: it is judged when
    it arrives, soon after the resume that comes `resume_lead_s` before the sample."""
    async with sampling(fps=0.1, resume_lead_s=4.0, detectors=Detectors()) as (s, events):
        camera = Camera(lambda n: BLACK, fps=15)
        valve = CameraValve(camera, sees_keyframes=False, instant=True)
        await s.track_started(A, TrackKind.VIDEO, camera, valve)
        await events.wait_for(lambda _: len(observed(events, A)) >= 2, timeout_s=60)
    first, second = observed(events, A)[:2]
    assert valve.calls[:2] == ["pause", "resume"]
    # the second sample is due a period (10 s) after the first, its resume 4 s before that
    assert second.at - first.at < 8.0, (first.at, second.at)


class SlowPause(CameraValve):
    """A valve whose pause is answered only when the test says so (a busy server or page)."""

    def __init__(self, camera: Camera) -> None:
        super().__init__(camera)
        self.answer = asyncio.Event()

    async def pause(self) -> None:
        await super().pause()
        await self.answer.wait()


async def test_a_sample_is_judged_and_told_while_its_pause_is_still_on_its_way() -> None:
    async with sampling(fps=2.0, resume_lead_s=0.2, pause_video_from=1, detectors=Detectors()) as (
        s,
        events,
    ):
        camera = Camera(lambda n: BLACK, fps=15)
        valve = SlowPause(camera)
        await s.track_started(A, TrackKind.VIDEO, camera, valve)
        try:
            await events.wait_for(lambda _: len(observed(events, A)) >= 1, timeout_s=20)
            assert valve.calls == ["pause"]  # asked, not yet answered
        finally:
            valve.answer.set()
        # the next sample's resume waits for that pause: never the other way round
        await events.wait_for(lambda _: len(valve.calls) >= 4)
    assert valve.calls[:4] == ["pause", "resume", "pause", "resume"]


async def test_a_page_late_with_its_picture_is_waited_for_and_kept_paused_between_samples() -> None:
    """A busy page brings the picture after the sample was due: it is still judged (fresher
    than the next sample's), and the page is not made to stream (more work for a busy page)."""
    fakes = Detectors()
    async with sampling(fps=0.5, resume_lead_s=0.2, detectors=fakes) as (s, events):
        camera = Camera(lambda n: BLACK, fps=15)
        valve = CameraValve(camera, sees_keyframes=False, instant=True)
        valve.keyframe_delay_s = 0.5  # each picture comes ~0.3 s after its sample was due
        await s.track_started(A, TrackKind.VIDEO, camera, valve)
        await events.wait_for(lambda _: valve.generation >= 4, timeout_s=60)
        await events.wait_for(lambda _: len(observed(events, A)) >= 4, timeout_s=60)
    assert valve.calls[:8] == ["pause", "resume"] * 4, valve.calls
    # every sample after a resume judged a picture (None: nothing came in time)
    assert None not in fakes.made[0].shapes[1:4], fakes.made[0].shapes


async def test_a_page_too_busy_to_answer_in_time_streams_for_a_while() -> None:
    """A page that brings nothing by the sample even when asked earlier the second time:
    asking costs it a sample each time, so it streams for a while (pipelining its encoding),
    instead of being asked each sample. (A picture that comes late is judged at the next
    sample: test_a_page_slow_to_answer_is_asked_earlier_so_its_picture_is_fresh_at_the_sample.)"""
    async with sampling(fps=1.0, resume_lead_s=0.2, detectors=Detectors()) as (s, events):
        camera = Camera(lambda n: BLACK, fps=15)
        valve = CameraValve(camera, sees_keyframes=False, instant=True)
        valve.keyframe_delay_s = 30.0  # nothing new for the whole test
        await s.track_started(A, TrackKind.VIDEO, camera, valve)
        await events.wait_for(lambda _: len(observed(events, A)) >= 6, timeout_s=60)
    # asked, asked earlier (0.8 s ahead), then left to stream
    assert valve.calls == ["pause", "resume"] * 2, valve.calls


async def test_a_page_slow_to_answer_is_asked_earlier_so_its_picture_is_fresh_at_the_sample() -> (
    None
):
    """A page that takes 1.5 s to bring a picture (encoding on a busy machine) is resumed that
    much earlier: after the first tries, each sample judges the picture asked for it, not the
    one before it that came late."""
    fakes = Detectors()
    async with sampling(fps=0.5, resume_lead_s=0.2, detectors=fakes) as (s, events):
        camera = Camera(lambda n: marked(valve), fps=15)
        valve = CameraValve(camera, sees_keyframes=False, instant=True)
        valve.keyframe_delay_s = 1.5
        await s.track_started(A, TrackKind.VIDEO, camera, valve)
        await events.wait_for(lambda _: len(observed(events, A)) >= 7, timeout_s=90)
        asked = valve.generation
    shapes = fakes.made[0].shapes
    seen = [None if shape is None else generation(shape[1]) for shape in shapes[:7]]
    # the 5th to 7th samples judged the pictures their own resumes (4th to 6th) asked for
    assert seen[4:7] == [4, 5, 6], (seen, asked)
