"""Speech from a participant's audio level, for platforms and clients without talking events.

Each received audio frame's RMS level feeds a `SpeechGate` (hysteresis + hold, shared with
offline analysis); a flip becomes SpeechChanged(source=AUDIO_LEVEL), dated when the level
first crossed. Samples are measured in memory and dropped at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from meetbot.config.schema import SamplingSettings
from meetbot.connectors.base import Clock
from meetbot.domain.events import ParticipantId, SpeechChanged
from meetbot.domain.speech_gate import SpeechGate
from meetbot.domain.states import SpeechSource
from meetbot.media.speech_level import level_db

OnSpeech = Callable[[SpeechChanged], Awaitable[None]]


async def listen(
    participant: ParticipantId,
    track: MediaStreamTrack,
    settings: SamplingSettings,
    clock: Clock,
    on_speech: OnSpeech | None,
) -> str:
    """Drain an audio track; with `on_speech`, report speech flips. Returns why it stopped."""
    gate = SpeechGate(settings)
    try:
        while True:
            frame = await track.recv()
            if on_speech is None or not isinstance(frame, av.AudioFrame):
                continue
            flip = gate.feed(clock(), level_db(frame.to_ndarray()))
            if flip is not None:
                at, speaking = flip
                await on_speech(SpeechChanged(at, participant, speaking, SpeechSource.AUDIO_LEVEL))
    except MediaStreamError:
        return "ended"
    except Exception as exc:  # a broken audio stream ends this person's fallback only
        return f"broken: {type(exc).__name__}: {exc}"
