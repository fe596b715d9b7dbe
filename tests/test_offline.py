"""Offline analysis on short videos written by the tests (real faces, empty and black frames,
a tone for speech), decoded by PyAV and judged by the real detector. Media only in tmp dirs."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt
import pytest
import sqlalchemy as sa
from skimage import data

from meetbot.config.schema import ChapterSection, SamplingSettings, Settings
from meetbot.domain.chapter import Member
from meetbot.domain.events import ParticipantId, SpeechChanged
from meetbot.domain.speech_gate import SpeechGate
from meetbot.domain.states import Attendance, SpeechSource, State
from meetbot.errors import ConfigError
from meetbot.media.speech_level import SILENT_DB, level_db
from meetbot.offline.analyze import analyze, summary
from meetbot.offline.turns_file import read_turns
from meetbot.store import Store, schema

Image = npt.NDArray[np.uint8]
SIZE = (320, 240)
LENGTH = 80.0


def _tile(picture: Image) -> Image:
    """A webcam-like 320x240 tile with `picture` in the middle."""
    w, h = SIZE
    tile = np.full((h, w, 3), 90, np.uint8)
    side = min(h, w)
    tile[:, (w - side) // 2 : (w + side) // 2] = cv2.resize(picture, (side, side))
    return tile


FACE = _tile(data.astronaut())  # type: ignore[no-untyped-call]  # a real face looking at the camera
EMPTY = _tile(data.coffee())  # type: ignore[no-untyped-call]  # a real scene with nobody in it
BLACK = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)  # camera off


def write_clip(
    path: Path,
    picture: Callable[[float], Image],
    *,
    seconds: float = LENGTH,
    tone: tuple[float, float] | None = None,
    fps: int = 5,
) -> Path:
    """Encode a clip; `tone` = (start, end) of a 440 Hz tone on a mono audio track."""
    rng = np.random.default_rng(len(path.name))
    with av.open(str(path), "w") as out:
        video = out.add_stream("mpeg4", rate=fps)
        video.width, video.height, video.pix_fmt = *SIZE, "yuv420p"
        audio = out.add_stream("aac", rate=16000) if tone is not None else None
        if audio is not None:
            audio.layout = "mono"
        for i in range(int(seconds * fps)):
            # Sensor noise: a live camera never repeats a frame (the detector calls that frozen).
            image = picture(i / fps).astype(np.int16) + rng.integers(-6, 7, (SIZE[1], SIZE[0], 3))
            frame = av.VideoFrame.from_ndarray(np.clip(image, 0, 255).astype(np.uint8), "rgb24")
            out.mux(video.encode(frame))
        out.mux(video.encode())
        if audio is not None and tone is not None:
            rate = 16000
            t = np.arange(int(seconds * rate)) / rate
            wave = np.where((t >= tone[0]) & (t < tone[1]), 0.3 * np.sin(2 * np.pi * 440 * t), 0)
            samples = wave.astype(np.float32)
            for start in range(0, samples.size, 1024):
                chunk = samples[start : start + 1024].reshape(1, -1)
                sound = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
                sound.sample_rate, sound.pts, sound.time_base = rate, start, Fraction(1, rate)
                out.mux(audio.encode(sound))
            out.mux(audio.encode())
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Ann speaks 5–75 s; Bob listens, camera off after 50 s; Zoe's camera shows an empty room."""
    folder = tmp_path_factory.mktemp("chapter-room")
    return {
        "ann": write_clip(folder / "Ann Lee.mp4", lambda t: FACE, tone=(5.0, 75.0)),
        "bob": write_clip(folder / "Bob Nguyen.mp4", lambda t: FACE if t < 50 else BLACK),
        "zoe": write_clip(folder / "Zoe Li.mp4", lambda t: EMPTY),
    }


def settings(*roster: Member) -> Settings:
    return Settings(chapter=ChapterSection("Riverside"), roster=roster)


ROSTER = (Member("Ann Lee"), Member("Bob Nguyen"), Member("Cy Diaz"))


def test_videos_become_a_stored_session(clips: dict[str, Path], tmp_path: Path) -> None:
    with Store.open(data_dir=tmp_path) as store:
        record = analyze(list(clips.values()), settings=settings(*ROSTER), store=store)
        assert store.load(record.session_id) == record
        # What it was judged with, for a correction made later without the chapter file.
        assert store.recorded_settings(record.session_id) == settings(*ROSTER).domain()
    assert record.platform == "offline"
    assert record.room.startswith("chapter-room")
    assert record.duration_s == pytest.approx(LENGTH, abs=0.1)
    people = {a.person: a for a in record.attendees}
    assert people["Ann Lee"].attendance is Attendance.PRESENT
    assert people["Cy Diaz"].attendance is Attendance.ABSENT
    assert people["Zoe Li"].attendance is Attendance.VISITOR
    # The tone is Ann's one turn, dated to within one audio frame.
    (turn,) = record.turns
    assert turn.person == "Ann Lee"
    assert turn.start == pytest.approx(5.0, abs=0.1)
    assert turn.end == pytest.approx(75.0, abs=0.1)
    bob = people["Bob Nguyen"].seconds_by_state
    assert bob[State.ENGAGED] == pytest.approx(50.0, abs=3.0)
    assert bob[State.CAMERA_OFF] == pytest.approx(30.0, abs=3.0)
    assert people["Zoe Li"].seconds_by_state[State.ABSENT] > 60.0
    # Bob watched Ann's 70 s turn engaged until his camera went off at 50 s.
    score = people["Bob Nguyen"].score
    assert score is not None
    assert score.value == pytest.approx(100 * 45 / 70, abs=5)


def test_the_summary_has_every_participant_and_turn(clips: dict[str, Path]) -> None:
    record = analyze([clips["ann"], clips["bob"]], settings=settings(*ROSTER))
    result = summary(record)
    by_name = {p["name"]: p for p in result["participants"]}
    assert set(by_name) == {"Ann Lee", "Bob Nguyen", "Cy Diaz"}
    assert by_name["Ann Lee"]["attendance"] == "present"
    assert by_name["Ann Lee"]["own_turns"] == [
        {
            "start_s": result["turns"][0]["start_s"],
            "end_s": result["turns"][0]["end_s"],
            "kind": "member",
        }
    ]
    assert by_name["Bob Nguyen"]["seconds"]["camera_off"] == pytest.approx(30.0, abs=3.0)
    assert by_name["Cy Diaz"]["listening_score"] is None
    assert [t["person"] for t in result["turns"]] == ["Ann Lee"]


def test_a_turns_file_replaces_the_audio(clips: dict[str, Path], tmp_path: Path) -> None:
    turns = tmp_path / "turns.csv"
    turns.write_text("name,start_s,end_s\n# the chair opened\nbob nguyen,2,20\nAnn Lee,30,70\n")
    record = analyze([clips["ann"], clips["bob"]], settings=settings(*ROSTER), turns_file=turns)
    assert [(t.person, t.start, t.end) for t in record.turns] == [
        ("Bob Nguyen", 2.0, 20.0),
        ("Ann Lee", 30.0, 70.0),
    ]


def test_an_opted_out_member_is_never_analysed(clips: dict[str, Path], tmp_path: Path) -> None:
    with Store.open(data_dir=tmp_path) as store:
        store.set_opt_out("Bob Nguyen", "Riverside", True)
        record = analyze([clips["ann"], clips["bob"]], settings=settings(*ROSTER), store=store)
        stored = store.load(record.session_id)
        with store.engine.connect() as conn:
            e = schema.events.c
            query = sa.select(e.participant).where(e.session_id == record.session_id)
            kept_events_of = {r.participant for r in conn.execute(query)}
    assert kept_events_of == {"Ann Lee"}  # events stay until retention, never an opted-out one's
    bob = next(a for a in stored.attendees if a.person == "Bob Nguyen")
    assert bob.attendance is Attendance.OPTED_OUT
    assert bob.seconds_by_state == {}
    assert all(s.participant != "Bob Nguyen" for s in stored.spans)


def test_bad_files_say_what_to_do(clips: dict[str, Path], tmp_path: Path) -> None:
    junk = tmp_path / "Not A Video.mp4"
    junk.write_text("hello")
    with pytest.raises(ConfigError, match="not a media file PyAV can read"):
        analyze([junk], settings=settings())
    with pytest.raises(ConfigError, match="no such file"):
        analyze([tmp_path / "missing.mp4"], settings=settings())
    with pytest.raises(ConfigError, match="at least one video"):
        analyze([], settings=settings())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Ann Lee,5\n", r"turns.csv:1: expected name,start_s,end_s"),
        ("Ann Lee,five,9\n", r"turns.csv:1: start_s and end_s must be seconds"),
        ("name,start_s,end_s\nAnn Lee,9,5\n", r"turns.csv:2: a turn needs 0 <= start_s < end_s"),
        ("Zed,1,5\n", r"'Zed' is none of the participants \(Ann Lee\)"),
    ],
)
def test_turns_file_errors_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "turns.csv"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        read_turns(path, {"Ann Lee": ParticipantId("a")})


def test_turns_file_events_are_speech_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "turns.csv"
    path.write_text("ANN LEE 🌟,10,20\n")
    a = ParticipantId("a")
    assert read_turns(path, {"Ann Lee": a}) == [
        SpeechChanged(10.0, a, True, SpeechSource.TURNS_FILE),
        SpeechChanged(20.0, a, False, SpeechSource.TURNS_FILE),
    ]


def test_levels_in_dbfs() -> None:
    t = np.arange(16000) / 16000
    sine = 0.3 * np.sin(2 * np.pi * 440 * t)
    assert level_db(sine) == pytest.approx(20 * np.log10(0.3 / np.sqrt(2)), abs=0.01)
    assert level_db((sine * 32767).astype(np.int16)) == pytest.approx(level_db(sine), abs=0.01)
    assert level_db(np.zeros(100)) == SILENT_DB
    assert level_db(np.array([])) == SILENT_DB


def test_the_speech_gate_holds_and_keeps_its_state_between_thresholds() -> None:
    gate = SpeechGate(SamplingSettings(audio_speech_db=-40, audio_silence_db=-50, audio_hold_s=0.5))
    levels = [
        (0.0, -60),  # silence
        (1.0, -30),  # loud...
        (1.2, -60),  # ...but a click: too short to be speech
        (2.0, -30),
        (2.3, -35),
        (2.6, -30),  # held 0.6 s: speech since 2.0
        (3.0, -45),  # between the thresholds: still speech
        (4.0, -45),
        (5.0, -60),
        (5.6, -60),  # held: silence since 5.0
    ]
    flips = [flip for at, db in levels if (flip := gate.feed(at, db)) is not None]
    assert flips == [(2.0, True), (5.0, False)]
