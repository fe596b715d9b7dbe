"""Where a state change's delay goes: timestamps along the bot's path, for the benches' bots.

Each bot process wraps the real parts, changing nothing they do, and writes down on the shared
monotonic clock when a picture
- was taken from the video in the page and its JPEG was ready (the page's own clock, epoch ms,
  turned into monotonic seconds here; browser bridge only),
- arrived over the loopback link and was decoded (`TracingTab`; browser bridge only),
- reached the sampler's slot (`TapSink` wraps each video track the connector hands over),
- was judged: the detector's call began and ended (`TimedDetector`, keyed by the sample's `at`),
and when the session's timeline (the real `TimelineFolder`, default dwell times) showed a new
state (`TimelineWatch`). `frame_of` ties an observation to the picture it judged: the newest
one in the slot when the sample was taken. bench/_stages.py turns these into a breakdown.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter
from typing import Any, ClassVar

import av
import numpy as np
import numpy.typing as npt
from aiortc.mediastreams import MediaStreamTrack

from detectors import Detector, DetectorSettings, Reading
from meetbot.connectors.base import Valve
from meetbot.connectors.browser.arrivals import Picture
from meetbot.connectors.browser.link import Encoded
from meetbot.connectors.browser.tab import MeetingTab
from meetbot.domain.events import Event, ParticipantId
from meetbot.domain.settings import TimelineSettings
from meetbot.domain.states import State, TrackKind
from meetbot.domain.timeline import TimelineFolder
from meetbot.media.watch import FrameDetector

EPOCH_TO_MONOTONIC_S = time.time() - time.monotonic()


def page_s(epoch_ms: float) -> float:
    """A page timestamp (epoch milliseconds) on this process's monotonic clock."""
    return epoch_ms / 1000 - EPOCH_TO_MONOTONIC_S


class TapTrack(MediaStreamTrack):
    """The connector's track as it was, noting when each frame reached the sampler."""

    kind = "video"

    def __init__(self, inner: MediaStreamTrack, log: list[tuple[float, int | None]]) -> None:
        super().__init__()
        self.inner = inner
        self.log = log  # (monotonic time handed to the slot, frame pts)

    async def recv(self) -> Any:
        frame = await self.inner.recv()
        if isinstance(frame, av.VideoFrame):
            self.log.append((time.monotonic(), frame.pts))
        return frame

    def stop(self) -> None:
        super().stop()
        self.inner.stop()


class TapSink:
    """A TrackSink in front of the sampler: every video track is handed over tapped."""

    def __init__(self, sink: Any) -> None:
        self.sink = sink
        self.slots: dict[ParticipantId, list[tuple[float, int | None]]] = {}

    async def track_started(
        self,
        participant: ParticipantId,
        kind: TrackKind,
        track: MediaStreamTrack,
        valve: Valve | None = None,
    ) -> None:
        if kind is TrackKind.VIDEO:
            track = TapTrack(track, self.slots.setdefault(participant, []))
        await self.sink.track_started(participant, kind, track, valve)

    async def track_ended(self, participant: ParticipantId, kind: TrackKind) -> None:
        await self.sink.track_ended(participant, kind)


JUDGED: dict[float, tuple[float, float]] = {}  # sample's `at` -> (detector began, ended)


class TimedDetector:
    """The real detector, its calls timed (one per sample, keyed by the sample's `at`)."""

    def __init__(self, inner: FrameDetector) -> None:
        self.inner = inner

    def observe(
        self, frame: npt.NDArray[np.uint8] | None, at: float, *, speaking: bool = False
    ) -> Reading:
        began = time.monotonic()
        reading = self.inner.observe(frame, at, speaking=speaking)
        JUDGED[at] = (began, time.monotonic())
        return reading

    def close(self) -> None:
        self.inner.close()


def timed(factory: Any = Detector) -> Any:
    def make(settings: DetectorSettings) -> FrameDetector:
        return TimedDetector(factory(settings))

    return make


class TracingTab(MeetingTab):
    """The real tab, noting when each picture arrived over the link and was decoded."""

    arrived: ClassVar[dict[tuple[str, int], dict[str, float]]] = {}  # (track id, pts) -> times

    def _on_picture(self, encoded: Encoded) -> None:
        TracingTab.arrived[(encoded.track_id, int(encoded.at_ms))] = {
            "read": page_s(encoded.at_ms),
            "sent": page_s(encoded.sent_ms),
            "received": time.monotonic(),
        }
        super()._on_picture(encoded)

    def take(self, track_id: str) -> Picture | None:
        picture = super().take(track_id)
        if picture is not None:
            times = TracingTab.arrived.get((track_id, int(picture.at_ms)))
            if times is not None:
                times["decoded"] = time.monotonic()
        return picture


class TimelineWatch:
    """The session's timeline folded live: when each participant's shown state changed."""

    def __init__(self) -> None:
        self.folder = TimelineFolder(TimelineSettings())
        self.shown: list[tuple[float, ParticipantId, State]] = []
        self._states: dict[ParticipantId, State] = {}

    def feed(self, event: Event) -> None:
        self.folder.feed(event)
        now = time.monotonic()
        for pid, state in self.folder.open_states().items():
            if self._states.get(pid) is not state:
                self._states[pid] = state
                self.shown.append((now, pid, state))


def frame_of(
    slots: dict[ParticipantId, list[tuple[float, int | None]]],
    tracks: dict[ParticipantId, str],
    participant: ParticipantId,
    at: float,
) -> dict[str, float]:
    """The times of the picture judged in the sample taken at `at`: the newest in the slot."""
    log = slots.get(participant, [])
    i = bisect.bisect_right(log, (at, float("inf"))) - 1
    times: dict[str, float] = {}
    if i >= 0:
        slot, pts = log[i]
        track = tracks.get(participant)
        if track is not None and pts is not None:
            times.update(TracingTab.arrived.get((track, pts), {}))
        times["slot"] = slot
    times["at"] = at
    if at in JUDGED:
        times["began"], times["ended"] = JUDGED[at]
    return times


def page_tracks(
    slots: dict[ParticipantId, list[tuple[float, int | None]]],
) -> dict[ParticipantId, str]:
    """Which page track fed which participant: the one whose pictures' stamps match most."""
    by_pts: dict[int, list[str]] = {}
    for track, pts in TracingTab.arrived:
        by_pts.setdefault(pts, []).append(track)
    out: dict[ParticipantId, str] = {}
    for pid, log in slots.items():
        votes = Counter(t for _, pts in log if pts is not None for t in by_pts.get(pts, []))
        if votes:
            out[pid] = votes.most_common(1)[0][0]
    return out
