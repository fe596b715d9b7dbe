"""Pausing videos at the server between samples: a big room's receive budget.

Receiving and decoding every frame of 48 people costs more than judging one frame a second of
each. So from `sampling.pause_video_from` watched people on, each video whose platform offers a
Valve is paused after its sample and resumed `resume_lead_s` before the next one. A resume
makes the server ask the sender for a keyframe, and what arrives before that keyframe must not
be judged: aiortc first hands out the frame it held through the pause (it releases a frame when
the next one's packets come), and inter frames sent before the keyframe decode onto a picture
from a second ago (smeared: no face, "absent"). The slot's gate keeps them out: from the
keyframe on when the valve can spot keyframes, else frames captured at least half a pause after
the newest one before it.

An `instant` valve (the browser bridge's: the page encodes a picture only while its track is
resumed) is used in a room of any size: a picture is then taken just before each sample instead
of every half period, so it is fresh when judged and the page encodes half as many.

A sender that brings nothing clean by its sample (slow to answer, or with nothing to send)
streams continuously for a while, as in a small room, and is then tried again. A page behind
an instant valve is first asked earlier (as early as it lately needed) and waited for longer;
only a page too busy even for that streams for a while (its encoding then pipelines).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import av

from meetbot.config.schema import SamplingSettings
from meetbot.connectors.base import Valve
from meetbot.errors import ConnectError
from meetbot.media.slot import FrameSlot, Gate, ticks_after
from meetbot.media.watch import Watch

log = logging.getLogger(__name__)

OPEN_AFTER_SILENCE = 10  # samples a video flows after a resume that brought nothing clean
ANSWER_MARGIN = 1.5  # an instant valve is resumed this many of its usual answer times early
ANSWER_SMOOTHING = 0.3  # weight of the newest answer time in the usual one
LEAD_SHARE_MAX = 0.8  # ... but never more than this share of a period before its sample


class Pausing:
    """When and how MediaSampler pauses its videos (see the module docstring)."""

    def __init__(self, sampling: SamplingSettings, period: float, room: Callable[[], int]) -> None:
        self.threshold = sampling.pause_video_from
        # Pausing pays only when a video is paused for most of the period.
        self.lead = sampling.resume_lead_s if 2 * sampling.resume_lead_s < period else 0.0
        if self.lead == 0 and sampling.resume_lead_s > 0:
            log.info(
                "sampling.fps %g leaves no time to pause videos between samples "
                "(resume_lead_s %g): every video streams continuously",
                1 / period,
                sampling.resume_lead_s,
            )
        self.period = period
        self._room = room  # how many people are watched now
        self.resumed = 0  # videos resumed for a sample (for bench/logs)

    def active(self, valve: Valve | None) -> bool:
        """Is this video paused between samples? In a big enough room, or at once when its
        valve is instant (a browser page then encodes one picture a sample, not a stream)."""
        if valve is None or self.lead <= 0:
            return False
        return valve.instant or self._room() >= self.threshold

    def start(self, watch: Watch) -> float:
        """Loop time at which the next sample's work begins: early for a video that is (or is
        about to be) paused, so it can resume in time."""
        pauses = watch.paused or (self.active(watch.valve) and not watch.open_for)
        return watch.due - self.lead_for(watch) if pauses else watch.due

    def lead_for(self, watch: Watch) -> float:
        """How long before its sample a video is resumed. A page behind an instant valve is
        asked as early as it has lately needed to answer (a busy page takes a second or more
        to encode), so its picture still comes by the sample: at least the configured lead,
        at most most of a period."""
        valve = watch.valve
        if valve is None or not valve.instant or watch.answer_s is None:
            return self.lead
        return min(max(self.lead, ANSWER_MARGIN * watch.answer_s), LEAD_SHARE_MAX * self.period)

    async def take(self, watch: Watch, due: float) -> av.VideoFrame | None:
        """The frame for the sample due at loop time `due`, resuming a paused video first."""
        loop = asyncio.get_running_loop()
        slot, valve = watch.slot, watch.valve
        if not watch.paused or valve is None:
            await asyncio.sleep(max(0.0, due - loop.time()))
            return slot.take()
        if valve.instant:
            return await self._ask(watch, valve, due)
        paused_for = loop.time() - watch.paused_at
        slot.admit(_after_keyframe(valve) or _after_pause(slot, paused_for))
        if not await self._turn(watch, valve, resume=True):
            slot.admit(None)  # emptied, and open to whatever comes
            return None
        await asyncio.sleep(max(0.0, due - loop.time()))
        frame = await slot.wait(self.lead)  # a sender slower than the lead gets it again
        if frame is None:
            log.debug("%s: nothing clean %.2f s after a resume", watch.participant, self.lead)
            watch.open_for = OPEN_AFTER_SILENCE
            # If its keyframes cannot be spotted after all, timestamps still tell old from new.
            slot.admit(_after_pause(slot, paused_for))
        return frame

    async def _ask(self, watch: Watch, valve: Valve, due: float) -> av.VideoFrame | None:
        """An instant valve's sample: the picture the resume asks for, judged as it comes, not
        held until `due` where it would only grow older. A page has no smeared frames, so
        nothing is gated out. A busy page may bring it late: it is waited for up to half a
        period past due, and one that came only after its sample gave up is this sample's if
        nothing newer comes."""
        loop = asyncio.get_running_loop()
        late = watch.slot.take()
        asked = loop.time()
        if not await self._turn(watch, valve, resume=True):
            return late
        wait = due + max(self.lead, self.period / 2) - loop.time()
        fresh = await watch.slot.wait(max(0.0, wait))
        # how long the page took (a miss counts as the whole wait: ask earlier next time)
        took = loop.time() - asked
        last = watch.answer_s
        watch.answer_s = took if last is None else last + ANSWER_SMOOTHING * (took - last)
        watch.missed = 0 if fresh is not None else watch.missed + 1
        if watch.missed >= 2:
            # Too busy to answer even when asked earlier (the first miss moved the ask): asking
            # costs it a sample each time and streaming pipelines its encoding, so it streams
            # for a while (bench/browser.py: 24 feeds on a loaded machine), then is asked again.
            log.debug("%s: the page brought no picture in time", watch.participant)
            watch.open_for, watch.missed = OPEN_AFTER_SILENCE, 0
        return late if fresh is None else fresh

    async def settle(self, watch: Watch) -> None:
        """After a sample: pause the video until the next one, if the room is big enough."""
        if watch.open_for:
            watch.open_for -= 1
        elif watch.valve is not None and self.active(watch.valve) and not watch.retired:
            await self._turn(watch, watch.valve, resume=False)

    async def _turn(self, watch: Watch, valve: Valve, *, resume: bool) -> bool:
        """Resume or pause `watch`'s video at the server; False if the server cannot."""
        try:
            await (valve.resume() if resume else valve.pause())
        except ConnectError as exc:
            # Only when the feed or the session is going: its track ends in a moment.
            verb = "resume" if resume else "pause"
            log.debug("cannot %s %s's video: %s", verb, watch.participant, exc)
            watch.valve, watch.paused = None, False
            return False
        watch.paused = not resume
        watch.paused_at = asyncio.get_running_loop().time()
        self.resumed += resume
        return True


async def shut(valve: Valve) -> None:
    """Pause an opted-out person's video for good: nothing of it reaches the bot."""
    try:
        await valve.pause()
    except ConnectError as exc:  # the feed is going anyway
        log.debug("cannot pause an excluded video: %s", exc)


def _after_keyframe(valve: Valve) -> Gate | None:
    """Admit frames from the first keyframe after now on (None: the valve cannot tell)."""
    if not valve.sees_keyframes:
        return None
    before = valve.last_keyframe()
    seen = 0 if before is None else before.seen

    def gate(frame: av.VideoFrame) -> bool:
        key = valve.last_keyframe()
        if key is None or key.seen <= seen or frame.pts is None:
            return False
        return ticks_after(frame.pts, key.timestamp) >= 0

    return gate


def _after_pause(slot: FrameSlot, paused_for: float) -> Gate | None:
    """Admit frames captured at least half the pause after the newest one before it: the
    frame held through the pause is one frame newer, new ones a whole pause newer."""
    newest = slot.newest
    if newest is None:
        return None
    return lambda frame: newest.seconds_to(frame) >= paused_for / 2
