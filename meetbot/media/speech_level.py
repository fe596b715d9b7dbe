"""Speech from an audio track's loudness: RMS level in dBFS with hysteresis and a hold time.

For sources without the platform's talking events (offline files). Speech starts once the
level stays above `audio_speech_db` for `audio_hold_s` and ends once it stays below
`audio_silence_db` as long; the band between keeps the current state, so a breath inside a
sentence does not split a turn. Changes are dated to when the level first crossed.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from meetbot.config.schema import SamplingSettings

SILENT_DB = -120.0  # digital silence, instead of minus infinity


def level_db(samples: npt.ArrayLike) -> float:
    """RMS level of samples (floats in [-1, 1] or integer PCM) in dB full scale."""
    data = np.asarray(samples)
    if data.size == 0:
        return SILENT_DB
    if np.issubdtype(data.dtype, np.integer):
        data = data.astype(np.float64) / float(np.iinfo(data.dtype).max)
    rms = math.sqrt(float(np.mean(np.square(data, dtype=np.float64))))
    return max(SILENT_DB, 20.0 * math.log10(rms)) if rms > 0 else SILENT_DB


class SpeechGate:
    """Feed levels in time order; `feed` returns (at, speaking) when the state flips."""

    def __init__(self, settings: SamplingSettings) -> None:
        self._on, self._off = settings.audio_speech_db, settings.audio_silence_db
        self._hold = settings.audio_hold_s
        self.speaking = False
        self._since: float | None = None  # when the level first pointed the other way

    def feed(self, at: float, db: float) -> tuple[float, bool] | None:
        crossing = db < self._off if self.speaking else db > self._on
        if not crossing:
            self._since = None
            return None
        if self._since is None:
            self._since = at
        if at - self._since >= self._hold:
            self.speaking = not self.speaking
            since, self._since = self._since, None
            return since, self.speaking
        return None
