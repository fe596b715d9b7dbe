"""`meetbot analyze`: the live pipeline run over recorded files, one video per participant.

Each file is one participant named after its stem ("Ann Lee.mp4" → "Ann Lee"). Frames are
decoded with PyAV at `sampling.fps` and judged by one `detectors.Detector` per participant;
speech comes from a turns file, else from the file's own audio track (RMS level with
hysteresis). The events are assembled exactly like a live session's and the record is stored.
Frames and audio stay in memory: nothing but the derived events is ever kept.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import av
import av.error

from detectors import Detector
from meetbot.config.paths import input_file
from meetbot.config.schema import Settings
from meetbot.domain.assemble import assemble
from meetbot.domain.events import (
    Event,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
    TrackEnded,
    TrackStarted,
)
from meetbot.domain.header import SessionHeader
from meetbot.domain.names import Roster, with_opt_outs
from meetbot.domain.record import ListeningScore, SessionRecord
from meetbot.domain.speech_gate import SpeechGate
from meetbot.domain.states import SpeechSource, TrackKind
from meetbot.errors import ConfigError
from meetbot.media.observation import to_observation
from meetbot.media.speech_level import level_db
from meetbot.offline import media_file
from meetbot.offline.turns_file import END_SLACK_S, read_turns
from meetbot.session import new_session_id
from meetbot.store import Store

PLATFORM = "offline"
# Events at one instant apply in this order: join, tracks, the rest, then leave.
_ORDER = {ParticipantJoined: 0, TrackStarted: 1, ParticipantLeft: 3}


@dataclasses.dataclass(frozen=True, slots=True)
class _Track:
    events: list[Event]
    end: float
    media_end: float  # where its video and audio end (`end` may be later: a turn's end)


def analyze(
    videos: Sequence[Path],
    *,
    settings: Settings,
    store: Store | None = None,
    turns_file: Path | None = None,
    session_id: str | None = None,
    started_at: datetime | None = None,
) -> SessionRecord:
    """Analyse the files as one meeting; the record is saved in `store` when one is given."""
    if not videos:
        raise ConfigError("give at least one video file, one per participant")
    names = {}
    for path in videos:
        input_file(path, "one video file per participant")
        if path.stem in names:
            raise ConfigError(f"{path}: two files are named {path.stem!r}; rename one of them")
        names[path.stem] = ParticipantId(path.stem)
    opted_out = store.opted_out(settings.chapter.name) if store is not None else set()
    chapter = with_opt_outs(settings.to_chapter(), opted_out)
    roster = Roster.of(chapter)
    speech = None
    if turns_file is not None:
        # Checked against the videos' length before hours of decoding, and before saving.
        lengths = [_length(path) for path in videos]
        known = [x for x in lengths if x is not None]
        longest = max(known) if len(known) == len(lengths) else None
        speech = read_turns(turns_file, names, length_s=longest)
    workers = max(1, settings.sampling.detector_threads)
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="analyze") as pool:
        jobs = []
        for path in videos:
            pid = names[path.stem]
            member = roster.match(path.stem)
            private = member is not None and member.opted_out
            own = None if speech is None else [e for e in speech if e.participant == pid]
            jobs.append(pool.submit(_participant, path, pid, settings, own, private))
        tracks = [job.result() for job in jobs]
    for path, track in zip(videos, tracks, strict=True):
        if (short := media_file.too_short(path, track.media_end)) is not None:
            raise ConfigError(short)  # before anything is stored: a 0-second session is no use
    end_at = max(t.end for t in tracks)
    media_end = max(t.media_end for t in tracks)
    if speech and turns_file is not None and speech[-1].at > media_end + END_SLACK_S:
        # A container that did not say how long it runs: the decoded end decides, still
        # before anything is stored.
        raise ConfigError(
            f"{turns_file}: a turn ends at {speech[-1].at:g} s, after the videos end "
            f"({media_end:.0f} s); times are seconds from the start of the videos"
        )
    events = sorted(
        (e for t in tracks for e in t.events),
        key=lambda e: (e.at, _ORDER.get(type(e), 2)),
    )
    started = started_at or datetime.now(UTC)
    header = SessionHeader(
        session_id=session_id or new_session_id(started),
        chapter=chapter,
        started_at=started,
        platform=PLATFORM,
        room=_room(videos),
    )
    record = assemble(header, events, settings=settings.domain(), end_at=end_at)
    if store is not None:
        store.save(record, events=events, settings=settings.domain())
        store.purge(started + timedelta(seconds=record.duration_s))  # retention, as live
    return record


def _room(videos: Sequence[Path]) -> str:
    folders = {p.resolve().parent.name for p in videos}
    return folders.pop() if len(folders) == 1 else ""


def _length(path: Path) -> float | None:
    """How long a file runs, from its header (None when the container does not say)."""
    with _open(path) as container:
        return float(container.duration) / av.time_base if container.duration else None


def _open(path: Path) -> Any:
    try:
        return av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise ConfigError(
            f"{path}: not a media file PyAV can read ({exc}); give one video file per participant"
        ) from exc


def _participant(
    path: Path,
    pid: ParticipantId,
    settings: Settings,
    speech: list[SpeechChanged] | None,
    private: bool,
) -> _Track:
    """The events of one file. An opted-out person's file is only timed, never analysed."""
    with _open(path) as container:
        has_video = bool(container.streams.video)
        has_audio = bool(container.streams.audio)
        length = float(container.duration or 0) / av.time_base
        if has_video and not private:
            video = container.streams.video[0].codec_context
            if (small := media_file.too_small(path, video.width, video.height)) is not None:
                raise ConfigError(small)
    events: list[Event] = [ParticipantJoined(0.0, pid, pid)]
    audio_end = 0.0
    if speech is None and has_audio and not private:
        speech, audio_end = _speech_from_audio(path, pid, settings)
    events += speech or []
    video_end = 0.0
    if has_video:
        events.append(TrackStarted(0.0, pid, TrackKind.VIDEO))
        if private:
            video_end = length
        else:
            observations, video_end = _observe(path, pid, settings, speech or [])
            events += observations
    end = max(length, video_end, audio_end, *(e.at for e in events))
    if has_video and video_end < end:
        events.append(TrackEnded(video_end, pid, TrackKind.VIDEO))
    events.append(ParticipantLeft(end, pid))
    return _Track(events, end, max(length, video_end, audio_end))


def _speaking_at(speech: list[SpeechChanged], at: float) -> bool:
    state = False
    for event in speech:
        if event.at > at:
            break
        state = event.speaking
    return state


def _observe(
    path: Path, pid: ParticipantId, settings: Settings, speech: list[SpeechChanged]
) -> tuple[list[Event], float]:
    step = 1.0 / settings.sampling.fps
    observations: list[Event] = []
    next_at, last = 0.0, 0.0
    with _open(path) as container, Detector(settings.detector) as detector:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frame_s = float(1 / stream.average_rate) if stream.average_rate else 0.0
        try:
            for frame in container.decode(stream):
                at = float(frame.time if frame.time is not None else last)
                last = at + frame_s
                if at + 1e-6 < next_at:
                    continue  # between samples: decoded (codecs need it), never judged
                rgb = frame.to_ndarray(format="rgb24")
                speaking = _speaking_at(speech, at)
                reading = detector.observe(rgb, at, speaking=speaking)
                observations.append(to_observation(pid, reading))
                while next_at <= at + 1e-6:
                    next_at += step
        except av.error.FFmpegError as exc:
            raise ConfigError(f"{path}: the video cannot be decoded ({exc})") from exc
    return observations, last


def _speech_from_audio(
    path: Path, pid: ParticipantId, settings: Settings
) -> tuple[list[SpeechChanged], float]:
    gate = SpeechGate(settings.sampling)
    events: list[SpeechChanged] = []
    end = 0.0
    with _open(path) as container:
        stream = container.streams.audio[0]
        try:
            for frame in container.decode(stream):
                if frame.time is None:
                    continue
                at = float(frame.time)
                end = at + frame.samples / float(frame.sample_rate)
                flip = gate.feed(at, level_db(frame.to_ndarray()))
                if flip is not None:
                    events.append(SpeechChanged(flip[0], pid, flip[1], SpeechSource.AUDIO_LEVEL))
        except av.error.FFmpegError as exc:
            raise ConfigError(f"{path}: the audio cannot be decoded ({exc})") from exc
    if gate.speaking:
        events.append(SpeechChanged(end, pid, False, SpeechSource.AUDIO_LEVEL))
    return events, end


def summary(record: SessionRecord) -> dict[str, Any]:
    """The analysis as JSON-ready data: per participant and the list of turns."""
    return {
        "session_id": record.session_id,
        "chapter": record.chapter,
        "started_at": record.started_at.isoformat(),
        "duration_s": round(record.duration_s, 1),
        "participants": [
            {
                "name": a.person,
                "attendance": a.attendance.value,
                "seconds": {s.value: round(v, 1) for s, v in a.seconds_by_state.items()},
                "late": a.late,
                "left_early": a.left_early,
                "listening_score": _score(a.score),
                "attentive_s": None if a.score is None else round(a.score.attentive_s, 1),
                "observable_s": None if a.score is None else round(a.score.observable_s, 1),
                "own_turns": [
                    {"start_s": round(t.start, 1), "end_s": round(t.end, 1), "kind": t.kind.value}
                    for t in record.turns
                    if t.person == a.person
                ],
            }
            for a in record.attendees
        ],
        "turns": [
            {
                "person": t.person,
                "start_s": round(t.start, 1),
                "end_s": round(t.end, 1),
                "kind": t.kind.value,
                "label": t.label,
            }
            for t in record.turns
        ],
    }


def _score(score: ListeningScore | None) -> float | None:
    if score is None or score.value is None:
        return None
    return round(score.value, 1)
