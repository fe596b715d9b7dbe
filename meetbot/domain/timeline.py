"""Fold events into per-connection state spans, with dwell times so blips do not flip states.

Rules, per connection (ParticipantId):

- A connection's spans start at ParticipantJoined and end at ParticipantLeft (or at the meeting
  end); together they cover exactly the time it was connected and never overlap.
- It starts `unknown`: nothing has been judged yet. Leaving `unknown` needs no dwell, because
  `unknown` is an absence of data, not a claim to protect.
- A reading (Observation) of another state only takes over once readings of that state have held
  for the state's dwell time; the switch is then dated back to the first such reading, so the
  span lengths stay true. A glance at notes shorter than the dwell stays `engaged`.
- Looking away by looking down (head bowed over notes or a phone) has its own, longer dwell,
  `looking_down_dwell_s`: a member writing down a referral looks down for a few seconds and up
  again, and stays `engaged`. While every reading of the candidate is a look down that dwell
  applies; one reading turned aside makes it an ordinary look away (the shorter dwell).
- Readings come at the sampler's beat (one a second by default) but are stamped when each was
  taken, a few milliseconds to a tenth of a second off the beat. A dwell of 3 s at one reading a
  second means four readings, whose stamps may span 2.99 s. So a switch also comes when the
  readings are as many as the dwell is long at the connection's usual beat and their span falls
  short of the dwell by no more than a tenth of a beat (at most `BEAT_JITTER_S`). Fewer
  readings never do: no state is shown sooner than its dwell's worth of readings. (Without
  this, half of all switches waited a reading more, by chance, and a state lasting just its
  dwell was shown or not by the toss of a coin.)
- Readings below `min_confidence` or saying `unknown` are no reading at all. A connection with
  video but no usable reading for `stale_after_s` is `unknown` from the moment the last reading
  expired (a stalled stream or a failing detector is never absence). An `unseen` observation
  (the bot has no picture of them: their tile is off the gallery page) is `unknown` at once.
- TrackEnded(video) makes the connection `camera_off` once the camera has stayed off for
  `camera_off_dwell_s` (dated from the TrackEnded). A connection that shows no video at all within
  `no_video_after_s` of joining (or of the bot reconnecting) had its camera off from then.
- ConnectionLost (the bot itself dropped) makes everyone connected `unknown` at once until
  ConnectionRestored; never absence.

`TimelineFolder` is incremental so the live session can checkpoint spans as they close; `fold`
runs it over a whole event list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from meetbot.domain.events import (
    ConnectionLost,
    ConnectionRestored,
    Event,
    MeetingEnded,
    Observation,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    TrackEnded,
    TrackStarted,
)
from meetbot.domain.record import Span
from meetbot.domain.settings import TimelineSettings
from meetbot.domain.spans import merge_adjacent
from meetbot.domain.states import State, TrackKind

BEAT_JITTER_S = 0.1  # at most this much of a dwell is excused as the readings' stamp jitter
BEAT_JITTER_SHARE = 0.1  # ... and at most this share of a beat
BEAT_SMOOTHING = 0.2  # weight of the newest spacing in a connection's usual beat


@dataclass(slots=True)
class _Candidate:
    """A state readings point to that has not yet held long enough to take over."""

    state: State
    since: float  # first reading (or TrackEnded) of this state
    seen_until: float  # latest evidence that it still holds
    from_track: bool  # camera off because the video track ended: holds until TrackStarted
    readings: int = 1  # how many readings (0 for TrackEnded) said so
    down: bool = False  # every reading of it was a look down (the longer dwell)


@dataclass(slots=True)
class _Connection:
    state: State
    since: float  # start of the open span
    video_wait: float  # since when we wait to learn whether there is video (join, restore)
    video: bool | None  # None until TrackStarted or a reading says there is video
    last_reading: float  # last usable reading, or when staleness was last reset
    candidate: _Candidate | None = None
    beat: float | None = None  # usual spacing of its usable readings (smoothed)


class TimelineFolder:
    """Incremental, pure folder: feed events in arrival order, collect the spans they close."""

    def __init__(self, settings: TimelineSettings) -> None:
        self._s = settings
        self._open: dict[ParticipantId, _Connection] = {}
        self._now = float("-inf")
        self._lost = False
        self._ended = False
        # No connection needs time-driven attention before this (skips the per-event scan).
        self._due = float("inf")

    @property
    def now(self) -> float:
        """The latest time seen; events stamped earlier are treated as happening now."""
        return self._now

    def feed(self, event: Event) -> list[Span]:
        """Apply one event; return the spans it closed (including ones closed by time passing)."""
        if self._ended:
            return []
        # Late events (a detector answer stamped at frame time) never rewrite closed spans.
        now = max(float(event.at), self._now)
        closed = self._advance(now)
        match event:
            case ParticipantJoined(participant=pid):
                if pid not in self._open:
                    state = State.UNKNOWN
                    self._open[pid] = _Connection(state, now, now, None, now)
            case ParticipantLeft(participant=pid):
                conn = self._open.pop(pid, None)
                if conn is not None:
                    closed += _span(pid, conn.state, conn.since, now)
            case TrackStarted(participant=pid, kind=TrackKind.VIDEO):
                if (conn := self._open.get(pid)) is not None:
                    self._video_on(conn, now)
            case TrackEnded(participant=pid, kind=TrackKind.VIDEO):
                conn = self._open.get(pid)
                if conn is not None and not self._lost:
                    conn.video = False
                    conn.candidate = _Candidate(
                        State.CAMERA_OFF, now, now, from_track=True, readings=0
                    )
                    closed += self._confirm(pid, conn)
            case Observation(participant=pid):
                conn = self._open.get(pid)
                if conn is not None and not self._lost:
                    closed += self._read(pid, conn, event, now)
            case ConnectionLost():
                self._lost = True
                for pid, conn in self._open.items():
                    conn.candidate = None
                    closed += self._switch(pid, conn, State.UNKNOWN, now)
            case ConnectionRestored():
                self._lost = False
                for conn in self._open.values():
                    conn.last_reading = now  # staleness counts from when we could see again
                    # Tracks are re-offered after a reconnect; whether video comes is news.
                    conn.video, conn.video_wait = None, now
            case MeetingEnded():
                closed += self.close(now)
            case _:
                pass  # audio tracks and speech do not change what a camera shows
        who = getattr(event, "participant", None)
        if isinstance(event, ConnectionLost | ConnectionRestored):
            self._due = float("-inf")
        elif who is not None and (touched := self._open.get(who)) is not None:
            self._due = min(self._due, self._deadline(touched))
        return closed

    def close(self, at: float) -> list[Span]:
        """End the meeting at `at`: close every open span. Further events are ignored."""
        if self._ended:
            return []
        now = max(float(at), self._now)
        closed = self._advance(now)
        for pid, conn in sorted(self._open.items()):
            closed += _span(pid, conn.state, conn.since, now)
        self._open.clear()
        self._ended = True
        return closed

    def open_states(self) -> dict[ParticipantId, State]:
        """The state of every connected participant now (for a live view)."""
        return {pid: conn.state for pid, conn in self._open.items()}

    def open_spans(self, at: float) -> list[Span]:
        """The still-open spans cut at `at`, for a checkpoint (provisional: they may grow).

        Crash recovery passes these with the closed spans to `assemble(spans=…)`, so at most
        the time since the last checkpoint is lost.
        """
        return [
            span
            for pid, conn in sorted(self._open.items())
            for span in _span(pid, conn.state, conn.since, max(float(at), conn.since))
        ]

    # -- internals ------------------------------------------------------------------------

    def _advance(self, now: float) -> list[Span]:
        """Apply what time passing alone decides: camera off holding, readings going stale."""
        self._now = now
        closed: list[Span] = []
        if self._lost or now < self._due:
            return closed
        s = self._s
        for pid, conn in self._open.items():
            cand = conn.candidate
            if cand is not None and cand.from_track:
                cand.seen_until = now
                closed += self._confirm(pid, conn)
            if conn.video is None and now - conn.video_wait >= s.no_video_after_s:
                conn.video = False
                conn.candidate = None
                closed += self._switch(pid, conn, State.CAMERA_OFF, conn.video_wait)
            if conn.video is not False and conn.state is not State.UNKNOWN:
                expires = conn.last_reading + s.stale_after_s
                if now > expires:  # a reading exactly at expiry still arrives in time
                    conn.candidate = None
                    closed += self._switch(pid, conn, State.UNKNOWN, expires)
        self._due = min((self._deadline(c) for c in self._open.values()), default=float("inf"))
        return closed

    def _deadline(self, conn: _Connection) -> float:
        """The earliest time at which time passing alone may change this connection."""
        s, due = self._s, float("inf")
        if conn.candidate is not None and conn.candidate.from_track:
            due = conn.candidate.since + s.camera_off_dwell_s
        if conn.video is None:
            due = min(due, conn.video_wait + s.no_video_after_s)
        if conn.video is not False and conn.state is not State.UNKNOWN:
            due = min(due, conn.last_reading + s.stale_after_s)
        return due

    def _video_on(self, conn: _Connection, now: float) -> None:
        conn.video = True
        if conn.candidate is not None and conn.candidate.from_track:
            conn.candidate = None  # back on within the dwell: a glitch, not camera off
        conn.last_reading = max(conn.last_reading, now)

    def _read(
        self, pid: ParticipantId, conn: _Connection, obs: Observation, now: float
    ) -> list[Span]:
        state = obs.state
        if state is State.NOT_CONNECTED or obs.confidence < self._s.min_confidence:
            state = State.UNKNOWN
        if state is State.UNKNOWN:
            if obs.unseen:  # nothing to see at all: the last reading holds no longer
                conn.candidate = None
                return self._switch(pid, conn, State.UNKNOWN, now)
            return []  # no usable reading: staleness decides
        if state is not State.CAMERA_OFF and conn.video is not True:
            self._video_on(conn, now)  # a judged face means frames are flowing
        spacing = now - conn.last_reading
        if spacing > 0:
            beat = conn.beat
            conn.beat = spacing if beat is None else beat + BEAT_SMOOTHING * (spacing - beat)
        conn.last_reading = now
        if state is conn.state:
            conn.candidate = None
            return []
        if conn.state is State.UNKNOWN:
            conn.candidate = None
            return self._switch(pid, conn, state, now)
        cand = conn.candidate
        if cand is None or cand.state is not state or cand.from_track:
            conn.candidate = _Candidate(state, now, now, from_track=False, down=obs.looking_down)
        else:
            cand.seen_until = now
            cand.readings += 1
            cand.down = cand.down and obs.looking_down
        return self._confirm(pid, conn)

    def _confirm(self, pid: ParticipantId, conn: _Connection) -> list[Span]:
        cand = conn.candidate
        if cand is None or not self._held(conn, cand):
            return []
        conn.candidate = None
        return self._switch(pid, conn, cand.state, cand.since)

    def _held(self, conn: _Connection, cand: _Candidate) -> bool:
        """Has the candidate held for its dwell (see the module's rules on the beat)?"""
        dwell = self._dwell(cand.state)
        if cand.down and cand.state is State.LOOKING_AWAY:
            dwell = self._s.looking_down_dwell_s
        span = cand.seen_until - cand.since
        if span >= dwell:
            return True
        beat = conn.beat
        if cand.from_track or beat is None:
            return False
        jitter = min(BEAT_JITTER_SHARE * beat, BEAT_JITTER_S)
        return cand.readings - 1 >= round(dwell / beat) and span >= dwell - jitter

    def _switch(self, pid: ParticipantId, conn: _Connection, state: State, at: float) -> list[Span]:
        if state is conn.state:
            return []
        at = max(at, conn.since)
        closed = _span(pid, conn.state, conn.since, at)
        conn.state, conn.since = state, at
        return closed

    def _dwell(self, state: State) -> float:
        s = self._s
        return {
            State.ENGAGED: s.engaged_dwell_s,
            State.LOOKING_AWAY: s.looking_away_dwell_s,
            State.ABSENT: s.absent_dwell_s,
            State.CAMERA_OFF: s.camera_off_dwell_s,
        }.get(state, 0.0)


def _span(pid: ParticipantId, state: State, start: float, end: float) -> list[Span]:
    # A switch dated at the span's own start replaces its state instead of leaving 0 s behind.
    return [Span(pid, state, start, end)] if end > start else []


def fold(events: Iterable[Event], settings: TimelineSettings, end_at: float) -> tuple[Span, ...]:
    """All spans of a whole meeting, ordered by start time then participant."""
    folder = TimelineFolder(settings)
    spans: list[Span] = []
    for event in events:
        spans += folder.feed(event)
    spans += folder.close(end_at)
    return merge_adjacent(spans)
