"""The bot side of the participants bench, run as its own process so its CPU is its own:
the real Janus connector, MediaSampler and (with --detect) real detectors, default sampling.

    python bench/_bot.py --url ws://127.0.0.1:PORT/ --room R --participants N --seconds S
                         [--no-detect]

Waits until every participant has been judged once (plus --warmup), then measures a window of
--seconds: CPU time of this process (all threads: aiortc decoding, sampling, detection), RSS,
frames analysed; prints one JSON line with those and every observation of the window
(participant name, emitted at, state) for the orchestrator to time state changes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from _trace import TapSink, TimelineWatch, frame_of, timed  # bench/ is on sys.path

from detectors import DetectorSettings, Reading, Verdict
from meetbot.config.schema import MeetingSettings, SamplingSettings
from meetbot.connectors.janus import JanusConnector
from meetbot.domain.events import Event, Observation, ParticipantId, ParticipantJoined
from meetbot.media import MediaSampler
from meetbot.media.watch import FrameDetector


class NoDetector:
    """Detection switched off: decode and RGB conversion still run, the models do not."""

    def observe(self, frame: object, at: float, *, speaking: bool = False) -> Reading:
        return Reading(at, Verdict.UNKNOWN, 0.0, reason="detection_off")

    def close(self) -> None:
        pass


def no_detector(settings: DetectorSettings) -> FrameDetector:
    return NoDetector()


def memory_mb() -> tuple[float, float]:
    """(current RSS, peak RSS) of this process in MB, from the kernel."""
    fields = dict(
        line.split(":", 1)
        for line in Path("/proc/self/status").read_text().splitlines()
        if ":" in line
    )
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--room", type=int, required=True)
    ap.add_argument("--participants", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--warmup", type=float, default=5.0)
    ap.add_argument("--no-detect", action="store_true")
    ap.add_argument("--detector-threads", type=int, default=SamplingSettings().detector_threads)
    ap.add_argument("--pause-video-from", type=int, default=SamplingSettings().pause_video_from)
    a = ap.parse_args()

    names: dict[ParticipantId, str] = {}
    seen: list[tuple[float, Observation]] = []
    judged: set[ParticipantId] = set()
    everyone = asyncio.Event()
    timeline = TimelineWatch()

    async def emit(event: Event) -> None:
        timeline.feed(event)
        if isinstance(event, ParticipantJoined):
            names[event.participant] = event.display_name
        elif isinstance(event, Observation):
            seen.append((time.monotonic(), event))
            if event.reason != "waiting_for_frames":
                judged.add(event.participant)
                if len(judged) >= a.participants:
                    everyone.set()

    clock = time.monotonic  # shared with the publisher process: both read CLOCK_MONOTONIC
    meeting = MeetingSettings(url=a.url, room=a.room, display_name="meetbot bench")
    sampling = SamplingSettings(
        detector_threads=a.detector_threads, pause_video_from=a.pause_video_from
    )
    factory = timed(no_detector) if a.no_detect else timed()
    async with (
        JanusConnector(meeting, clock) as connector,
        MediaSampler(sampling, DetectorSettings(), clock, detector_factory=factory) as sampler,
        asyncio.TaskGroup() as group,
    ):
        tap = TapSink(sampler)
        tasks = [
            group.create_task(connector.run(emit, tap)),
            group.create_task(sampler.run(emit)),
        ]
        joined_at = time.monotonic()
        async with asyncio.timeout(120):
            await everyone.wait()
        ready_s = time.monotonic() - joined_at
        await asyncio.sleep(a.warmup)  # models loaded, decoders settled
        analysed0 = sampler.analysed
        skipped0 = sampler.skipped
        resumed0 = sampler.resumed
        received0 = sum(w.slot.received for w in sampler.watches.values())
        each0 = {p: w.slot.received for p, w in sampler.watches.items()}
        cpu0, t0 = time.process_time(), time.monotonic()
        await asyncio.sleep(a.seconds)  # the measured window
        cpu1, t1 = time.process_time(), time.monotonic()
        analysed1 = sampler.analysed
        skipped1 = sampler.skipped
        resumed1 = sampler.resumed
        received1 = sum(w.slot.received for w in sampler.watches.values())
        each = sorted(w.slot.received - each0.get(p, 0) for p, w in sampler.watches.items())
        rss, peak = memory_mb()
        for task in tasks:
            task.cancel()
    window = [
        {
            "name": names.get(o.participant, o.participant),
            "emitted": when,
            "at": o.at,
            "state": o.state,
            "reason": o.reason,
            "frame": frame_of(tap.slots, {}, o.participant, o.at),
        }
        for when, o in seen
        if t0 <= when <= t1
    ]
    shown = [
        {"name": names.get(pid, pid), "shown": when, "state": state}
        for when, pid, state in timeline.shown
        if t0 <= when <= t1 + 10
    ]
    print(
        json.dumps(
            {
                "detect": not a.no_detect,
                "ready_s": round(ready_s, 2),
                "window_start": t0,
                "window_end": t1,
                "cpu_s": cpu1 - cpu0,
                "cpu_percent": round(100 * (cpu1 - cpu0) / (t1 - t0), 1),
                "analysed": analysed1 - analysed0,
                "skipped": skipped1 - skipped0,
                "resumed": resumed1 - resumed0,
                "received": received1 - received0,
                "received_each": each,
                "rss_mb": round(rss, 1),
                "peak_rss_mb": round(peak, 1),
                "observations": window,
                "timeline": shown,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
