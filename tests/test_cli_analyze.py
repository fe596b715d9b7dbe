"""`meetbot analyze`, `meetbot forget` and `meetbot attendance` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import records
from test_offline import BLACK, FACE, write_clip

from meetbot import cli
from meetbot.cli.analyze import NO_ROSTER
from meetbot.domain.reclassify import reclassify
from meetbot.domain.states import Attendance
from meetbot.store import Store


@pytest.fixture(autouse=True)
def only_these_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    # The full command list also imports the live-meeting commands, whose media modules are
    # written by another engineer in parallel; these tests need only the commands under test.
    monkeypatch.setattr(cli, "COMMANDS", ("analyze", "forget", "attendance"))


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("videos")
    return [
        write_clip(folder / "Ann Lee.mp4", lambda t: FACE, seconds=30, tone=(5.0, 25.0)),
        write_clip(folder / "Bob Nguyen.mp4", lambda t: FACE if t < 15 else BLACK, seconds=30),
    ]


def stored(home: Path) -> Store:
    return Store.open(data_dir=home)


def test_analyze_prints_json_and_stores_the_session(
    videos: list[Path], isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["analyze", *map(str, videos), "--json"]) == 0
    printed = capsys.readouterr()
    result = json.loads(printed.out)  # the roster note goes to stderr: stdout stays JSON
    assert NO_ROSTER in printed.err
    people = {p["name"]: p for p in result["participants"]}
    assert set(people) == {"Ann Lee", "Bob Nguyen"}
    assert people["Bob Nguyen"]["seconds"]["camera_off"] == pytest.approx(15.0, abs=3.0)
    assert [(t["person"], t["start_s"], t["end_s"]) for t in result["turns"]] == [
        ("Ann Lee", 5.0, 25.0)
    ]
    assert people["Ann Lee"]["own_turns"][0]["end_s"] == 25.0
    with stored(isolated_meetbot_env) as store:
        assert store.load(result["session_id"]).platform == "offline"


def test_analyze_writes_the_json_file_and_a_readable_summary(
    videos: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    turns = tmp_path / "turns.csv"
    turns.write_text("Bob Nguyen,1,11\n")
    out = tmp_path / "out"
    assert cli.main(["analyze", *map(str, videos), "--turns", str(turns), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    (written,) = out.glob("*.json")
    result = json.loads(written.read_text())
    assert f"session {result['session_id']}: 30 s, 1 turns" in text
    # No --config: the files' people are the members, and the output says so in one line.
    assert text.splitlines()[0] == f"meetbot: {NO_ROSTER}"
    assert {p["attendance"] for p in result["participants"]} == {"present"}
    assert "visitor" not in text
    # Each missing score says why: Ann heard only Bob's 10 s; Bob heard nobody else.
    assert "listening: not enough data: 10 s of 10 s of other members' turns" in text
    assert "listening: not enough data: no other member had a turn while you" in text
    assert "Bob Nguyen" in text
    assert "camera_off" in text
    assert [t["person"] for t in result["turns"]] == ["Bob Nguyen"]


def test_analyze_reads_the_roster_and_opt_outs_from_the_chapter_file(
    videos: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chapter = tmp_path / "chapter.toml"
    chapter.write_text(
        '[chapter]\nname = "Riverside"\n\n[[roster]]\nname = "Ann Lee"\n\n'
        '[[roster]]\nname = "Bob Nguyen"\nopted_out = true\n\n[[roster]]\nname = "Cy Diaz"\n'
    )
    assert cli.main(["analyze", *map(str, videos), "--config", str(chapter), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    attendance = {p["name"]: p["attendance"] for p in result["participants"]}
    assert attendance == {"Ann Lee": "present", "Bob Nguyen": "opted_out", "Cy Diaz": "absent"}
    bob = next(p for p in result["participants"] if p["name"] == "Bob Nguyen")
    assert bob["seconds"] == {}
    assert result["chapter"] == "Riverside"


def test_analyze_errors_are_one_line(
    videos: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    turns = tmp_path / "turns.csv"
    turns.write_text("Nobody,1,11\n")
    assert cli.main(["analyze", *map(str, videos), "--turns", str(turns)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "turns.csv:1: 'Nobody' is none of the participants (Ann Lee, Bob Nguyen)" in err


def test_forget_deletes_a_person(
    isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with stored(isolated_meetbot_env) as store:
        store.save(records.chapter_session())
    assert cli.main(["forget", "Jon Park"]) == 0
    assert "forgot Jon Park: their data is deleted from 1 session(s)" in capsys.readouterr().out
    with stored(isolated_meetbot_env) as store:
        assert store.history("Jon Park") == []
    assert cli.main(["forget", "Jon Park"]) == 0
    assert "nothing stored about Jon Park" in capsys.readouterr().out


def test_attendance_marks_a_substitute(
    isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with stored(isolated_meetbot_env) as store:
        store.save(records.chapter_session())
    argv = ["attendance", "2026-03-03", "Zoe Li", "--as", "substitute", "--for", "Ines Duarte"]
    assert cli.main(argv) == 0
    assert "'Zoe Li' is now recorded as substitute for Ines Duarte" in capsys.readouterr().out
    with stored(isolated_meetbot_env) as store:
        saved = store.load("2026-03-03")
    people = {a.person: a for a in saved.attendees}
    assert people["Zoe Li"].attendance is Attendance.SUBSTITUTE
    # Stored exactly as the domain's reclassification says, the audit note included.
    expected = reclassify(records.chapter_session(), "Zoe Li", Attendance.SUBSTITUTE, "Ines Duarte")
    assert saved.attendees == expected.attendees
    assert saved.notes == expected.notes
    assert saved.spans == records.chapter_session().spans


def test_attendance_explains_what_does_not_fit(
    isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with stored(isolated_meetbot_env) as store:
        store.save(records.chapter_session())
    assert cli.main(["attendance", "2026-03-03", "Nobody", "--as", "visitor"]) == 2
    assert "nobody joined as 'Nobody'" in capsys.readouterr().err
    assert cli.main(["attendance", "2026-03-03", "Zoe Li", "--as", "substitute"]) == 2
    assert "needs --for" in capsys.readouterr().err
    assert cli.main(["attendance", "zzz", "Zoe Li", "--as", "visitor"]) == 2
    assert "no stored session matches 'zzz'" in capsys.readouterr().err


def test_a_turn_past_the_videos_is_refused_before_anything_is_stored(
    videos: list[Path],
    tmp_path: Path,
    isolated_meetbot_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    turns = tmp_path / "turns.csv"
    turns.write_text("Ann Lee,5,1e12\n")  # a spreadsheet's "end of meeting"
    assert cli.main(["analyze", *map(str, videos), "--turns", str(turns)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "turns.csv:1: the turn ends at 1e+12 s, after the videos end (30 s)" in err
    with stored(isolated_meetbot_env) as store:
        assert store.list_sessions() == []
