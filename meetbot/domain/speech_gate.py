"""Speech from loudness levels: hysteresis and a hold time, with time as a parameter.

Speech starts once the level stays above `audio_speech_db` for `audio_hold_s` and ends once it
stays below `audio_silence_db` as long; the band between keeps the current state, so a breath
inside a sentence does not split a turn. Changes are dated to when the level first crossed.
Used wherever only levels say who talks: an audio track's RMS (meetbot.media.audio, offline
analysis) and the levels a browser page reports (meetbot.connectors.browser.room).
"""

from __future__ import annotations

from typing import Protocol


class Thresholds(Protocol):
    """The three settings the gate reads (meetbot.config.schema.SamplingSettings has them)."""

    @property
    def audio_speech_db(self) -> float: ...
    @property
    def audio_silence_db(self) -> float: ...
    @property
    def audio_hold_s(self) -> float: ...


class SpeechGate:
    """Feed levels in time order; `feed` returns (at, speaking) when the state flips."""

    def __init__(self, settings: Thresholds) -> None:
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
