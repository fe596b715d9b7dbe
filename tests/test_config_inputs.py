"""What the earlier probe left (issue 23): each mistake is one line naming its real source.

A nameless chapter file, an environment section that does not exist, a time zone set in the
environment, a folder where a file belongs, and a webhook switched on without its URL.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from records import small_session
from test_offline import BLACK, write_clip

from meetbot.cli import main
from meetbot.store import Store


def one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err.removeprefix("meetbot: ").rstrip("\n")


def chapter(tmp_path: Path, text: str = '[chapter]\nname = "Riverside"\n') -> Path:
    path = tmp_path / "chapter.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text", ["", '[chapter]\ntimezone = "UTC"\n', '[chapter]\nname = " "\n'])
def test_a_chapter_file_must_name_its_chapter(
    tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # It used to pass as the defaults' "My chapter", the name every report would then show.
    path = chapter(tmp_path, text)
    assert one_line(["config", "check", str(path)], capsys) == (
        f"{path}: chapter.name is missing; a chapter file must name its chapter "
        '(add [chapter] name = "Your chapter", shown in every report)'
    )


def test_an_unknown_environment_section_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MEETBOT_NOSUCH__X", "1")
    err = one_line(["config", "check", str(chapter(tmp_path))], capsys)
    assert err.startswith("environment MEETBOT_NOSUCH__X: unknown key nosuch; allowed here:")


def test_a_time_zone_from_the_environment_is_blamed_on_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = chapter(tmp_path, '[chapter]\nname = "Riverside"\ntimezone = "Europe/London"\n')
    monkeypatch.setenv("MEETBOT_CHAPTER__TIMEZONE", "Nowhere/Else")
    err = one_line(["config", "check", str(path)], capsys)
    assert err.startswith(
        "environment MEETBOT_CHAPTER__TIMEZONE: chapter.timezone 'Nowhere/Else' is not a known"
    )
    monkeypatch.delenv("MEETBOT_CHAPTER__TIMEZONE")
    bad = chapter(tmp_path, '[chapter]\nname = "Riverside"\ntimezone = "Nowhere/Else"\n')
    assert one_line(["config", "check", str(bad)], capsys).startswith(f"{bad}: chapter.timezone")


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (["config", "check", "DIR"], "a chapter file (.toml)"),
        (["join", "--config", "DIR", "--minutes", "1"], "a chapter file (.toml)"),
        (["analyze", "DIR"], "one video file per participant"),
        (["detect", "DIR"], "an image or video file"),
    ],
)
def test_a_folder_where_a_file_belongs_is_called_a_folder(
    tmp_path: Path, argv: list[str], wanted: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # It used to be reported as "no such file" (or an errno) while the folder is right there.
    folder = tmp_path / "meeting"
    folder.mkdir()
    argv = [str(folder) if word == "DIR" else word for word in argv]
    assert one_line(argv, capsys) == f"{folder}: is a folder; give {wanted} instead"


def test_a_turns_folder_is_called_a_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    video = write_clip(tmp_path / "Ann Lee.mp4", lambda t: BLACK, seconds=2)
    folder = tmp_path / "turns"
    folder.mkdir()
    err = one_line(["analyze", str(video), "--turns", str(folder)], capsys)
    assert err == f"{folder}: is a folder; give the turns file (CSV: name,start_s,end_s) instead"


WEBHOOK_MISSING = (
    "discord.use_webhook is true but MEETBOT_DISCORD_WEBHOOK_URL is not set; export the "
    "channel's webhook URL in that variable, or set use_webhook = false"
)


def test_a_webhook_without_its_url_is_refused_by_check_join_and_post(
    tmp_path: Path, isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It used to post the recap to the console and exit 0.
    path = chapter(tmp_path, '[chapter]\nname = "Riverside"\n[discord]\nuse_webhook = true\n')
    record = small_session()
    with Store.open("", isolated_meetbot_env) as store:
        store.save(record)
    for argv in (
        ["config", "check", str(path)],
        ["join", "--config", str(path), "--minutes", "1"],
        ["post", record.session_id, "--config", str(path)],
    ):
        assert one_line(argv, capsys) == f"{path}: {WEBHOOK_MISSING}"
    assert main(["outbox"]) == 0
    assert capsys.readouterr().out == "outbox: nothing pending\n"  # nothing was queued either


def test_a_webhook_switched_on_in_the_environment_names_that_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MEETBOT_DISCORD__USE_WEBHOOK", "true")
    err = one_line(["config", "check", str(chapter(tmp_path))], capsys)
    assert err == f"environment MEETBOT_DISCORD__USE_WEBHOOK: {WEBHOOK_MISSING}"
    monkeypatch.setenv("MEETBOT_DISCORD_WEBHOOK_URL", "https://discord.com/api/webhooks/1/x")
    assert main(["config", "check", str(chapter(tmp_path))]) == 0
