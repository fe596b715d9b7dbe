"""Turns files as spreadsheets save them: any of their encodings and separators read alike,
impossible times refused in one line that names the row, before anything is analysed."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from meetbot.domain.events import ParticipantId, SpeechChanged
from meetbot.domain.states import SpeechSource
from meetbot.errors import ConfigError
from meetbot.offline.turns_file import read_turns

CHLOE, BOB = ParticipantId("chloe"), ParticipantId("bob")
PEOPLE = {"Chloé Martin": CHLOE, "Bob Nguyen": BOB}
EXPECTED = [
    SpeechChanged(2.0, BOB, True, SpeechSource.TURNS_FILE),
    SpeechChanged(20.0, BOB, False, SpeechSource.TURNS_FILE),
    SpeechChanged(30.0, CHLOE, True, SpeechSource.TURNS_FILE),
    SpeechChanged(70.0, CHLOE, False, SpeechSource.TURNS_FILE),
]
ROWS = [("name", "start_s", "end_s"), ("Bob Nguyen", "2", "20"), ("Chloé Martin", "30", "70")]


def saved(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "turns.csv"
    path.write_bytes(data)
    return path


def text(separator: str = ",") -> str:
    return "\r\n".join(separator.join(row) for row in ROWS) + "\r\n"


@pytest.mark.parametrize(
    ("saved_as", "data"),
    [
        ("CSV UTF-8 (Excel: with a BOM)", codecs.BOM_UTF8 + text().encode("utf-8")),
        ("CSV (older Excel on Windows: cp1252)", text().encode("cp1252")),
        ("Unicode text (Excel: UTF-16 with a BOM, tabs)", text("\t").encode("utf-16")),
        ("UTF-16 LE without a BOM", text().encode("utf-16-le")),
        ("CSV in a comma-decimal locale (semicolons)", text(";").encode("utf-8")),
    ],
)
def test_what_spreadsheets_save_is_read_alike(tmp_path: Path, saved_as: str, data: bytes) -> None:
    assert read_turns(saved(tmp_path, data), PEOPLE, length_s=80.0) == EXPECTED, saved_as


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("Bob Nguyen,2,inf", r"turns.csv:3: start_s and end_s must be finite seconds"),
        ("Bob Nguyen,nan,20", r"turns.csv:3: start_s and end_s must be finite seconds"),
        ("Bob Nguyen,2,1e12", r"turns.csv:3: the turn ends at 1e\+12 s, after the videos end"),
        ("Bob Nguyen,75,95", r"turns.csv:3: the turn ends at 95 s, after the videos end \(80 s\)"),
        (
            "Bob Nguyen,10,40",
            r"turns.csv:3: Bob Nguyen's turn 10-40 s overlaps their turn on line 2 \(2-20 s\)",
        ),
    ],
)
def test_impossible_times_are_refused_in_one_line(tmp_path: Path, row: str, message: str) -> None:
    path = saved(tmp_path, f"Chloé Martin,30,70\nBob Nguyen,2,20\n{row}\n".encode())
    with pytest.raises(ConfigError, match=message) as refused:
        read_turns(path, PEOPLE, length_s=80.0)
    assert "\n" not in str(refused.value)


def test_a_turn_may_end_a_rounded_second_after_the_videos(tmp_path: Path) -> None:
    path = saved(tmp_path, b"Bob Nguyen,70,80.9\n")
    (start, end) = read_turns(path, PEOPLE, length_s=80.0)
    assert (start.at, end.at) == (70.0, 80.9)


def test_different_speakers_may_overlap(tmp_path: Path) -> None:
    path = saved(tmp_path, "Bob Nguyen,2,20\nChloé Martin,15,40\n".encode())
    assert len(read_turns(path, PEOPLE)) == 4  # an interjection is the domain's to resolve


def test_bytes_that_are_no_text_say_how_to_save_it(tmp_path: Path) -> None:
    path = saved(tmp_path, b"Bob Nguyen,2,20\n\x81\x8d\x8f\x90\x9d\n")
    with pytest.raises(ConfigError, match=r"not text in UTF-8, UTF-16 or Windows-1252"):
        read_turns(path, PEOPLE)
