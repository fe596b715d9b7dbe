"""An organiser's ordinary config mistakes (issue 14): refused in one line, or read as meant."""

from __future__ import annotations

from pathlib import Path

import pytest

from meetbot import config
from meetbot.cli import main
from meetbot.errors import ConfigError

ROSTER = """
[chapter]
name = "Test chapter"

[[roster]]
name = "Ann Lee"
discord_id = 111

[[roster]]
name = "Bo Chen"
discord_id = 222
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "chapter.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        # /meetbot myscore finds people by Discord id: Cy would read Ann's private card.
        (
            'name = "Cy Doe"\ndiscord_id = 111',
            r"roster\[2\]\.discord_id 111 is also used by 'Ann Lee'; each Discord account",
        ),
        # The same person twice would be counted twice.
        ('name = "Bo Chen"', r"roster\[2\] 'Bo Chen' is already on the roster; list each"),
    ],
)
def test_a_roster_entry_that_repeats_a_person_or_discord_account_is_refused(
    tmp_path: Path, extra: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, ROSTER + f"\n[[roster]]\n{extra}\n")
    with pytest.raises(ConfigError, match=message):
        config.load(path, env={})
    assert main(["config", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"meetbot: {path}: roster[2]")
    assert err.count("\n") == 1


def test_ice_servers_can_be_set_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, ROSTER)
    env = {"MEETBOT_MEETING__ICE_SERVERS": "stun:a.example:3478, turn:b.example:3478"}
    settings = config.load(path, env=env)
    assert settings.meeting.ice_servers == ("stun:a.example:3478", "turn:b.example:3478")
    one = config.load(path, env={"MEETBOT_MEETING__ICE_SERVERS": "stun:a.example:3478"})
    assert one.meeting.ice_servers == ("stun:a.example:3478",)
    assert config.load(path, env={"MEETBOT_MEETING__ICE_SERVERS": ""}).meeting.ice_servers == ()


def test_a_chapter_file_saved_with_a_utf8_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "chapter.toml"
    path.write_bytes(ROSTER.encode("utf-8-sig"))  # what Notepad's "UTF-8 with BOM" writes
    settings = config.load(path, env={})
    assert [m.name for m in settings.roster] == ["Ann Lee", "Bo Chen"]


@pytest.mark.parametrize("where", ["/proc/nope/reports", "FILE/reports"])
def test_config_check_refuses_a_reports_folder_that_cannot_be_written(
    tmp_path: Path,
    where: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Issue 23, L5b: found only at the meeting's end, with no report files and no recap.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where a folder should be", encoding="utf-8")
    folder = where.replace("FILE", str(blocked))
    monkeypatch.setenv("MEETBOT_REPORTS__OUT_DIR", folder)
    path = write(tmp_path, ROSTER)
    assert main(["config", "check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"meetbot: {path}: cannot write report files to {folder} (")
    assert "set reports.out_dir (or MEETBOT_REPORTS__OUT_DIR) to a folder" in err


def test_config_check_accepts_a_reports_folder_still_to_be_made_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MEETBOT_REPORTS__OUT_DIR", str(tmp_path / "new" / "reports"))
    path = write(tmp_path, ROSTER)
    before = sorted(tmp_path.iterdir())
    assert main(["config", "check", str(path)]) == 0
    assert ": ok" in capsys.readouterr().out
    assert sorted(tmp_path.iterdir()) == before  # the scratch folder is gone, nothing made
