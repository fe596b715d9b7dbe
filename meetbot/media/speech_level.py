"""An audio track's loudness: RMS level in dBFS, for sources without the platform's talking
events (offline files, the audio-level fallback). The levels feed meetbot.domain.speech_gate.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

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
