"""The aiortc/av edge: remote tracks in, typed Observations (and audio-level speech) out.

async with MediaSampler(settings.sampling, settings.detector, clock) as sampler:
    await sampler.run(emit)
"""

from meetbot.media.observation import to_observation
from meetbot.media.sampler import MediaSampler
from meetbot.media.watch import DetectorFactory, FrameDetector

__all__ = ["DetectorFactory", "FrameDetector", "MediaSampler", "to_observation"]
