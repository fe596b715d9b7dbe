"""The `meetbot` entry points: console script, `python -m meetbot`, and `config check`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from meetbot import __version__
from meetbot.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "chapter.example.toml"
SCRIPT = Path(sys.executable).parent / "meetbot"


def test_console_script_prints_version() -> None:
    out = subprocess.run(
        [str(SCRIPT), "--version"], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == f"meetbot {__version__}"


def test_python_dash_m_checks_the_example_chapter() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "meetbot", "config", "check", str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert "ok" in out.stdout
    assert "Riverside Business Builders" in out.stdout


HEAVY = ("matplotlib", "mediapipe", "cv2", "discord", "aiortc", "playwright", "celery")


@pytest.mark.parametrize(
    "command", [["--help"], ["config", "check", str(EXAMPLE)], ["sessions", "--help"]]
)
def test_commands_load_only_what_they_use(command: list[str]) -> None:
    """`meetbot --help` and light commands never load the vision, chart, browser or Discord
    stacks (they took seconds before any output): every command imports those when it runs."""
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['meetbot', *sys.argv[1:]]\n"
        "try:\n"
        "    runpy.run_module('meetbot', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('LOADED', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe, *command],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.stdout.strip().splitlines()[-1] == "LOADED []", out.stdout + out.stderr


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "config" in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "usage: meetbot" in capsys.readouterr().out


def test_broken_copy_fails_with_one_line_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "chapter.toml"
    text = EXAMPLE.read_text(encoding="utf-8")
    broken.write_text(
        text.replace("discord_id = 100000000000000002", 'discord_id = "abc"'), encoding="utf-8"
    )
    assert main(["config", "check", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, "one line, never a traceback"
    assert f"{broken}: roster[1].discord_id must be a whole number, got 'abc'" in err


def test_config_check_can_require_discord_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEETBOT_DISCORD_TOKEN", raising=False)
    chapter = tmp_path / "c.toml"
    chapter.write_text('[chapter]\nname = "X"\n[discord]\nchannel_id = 42\n', encoding="utf-8")
    assert main(["config", "check", str(chapter)]) == 0
    assert main(["config", "check", "--discord", str(chapter)]) == 2
    assert "MEETBOT_DISCORD_TOKEN" in capsys.readouterr().err


def test_config_show_never_prints_secret_values(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEETBOT_DISCORD_TOKEN", "super-secret-token")
    assert main(["config", "show", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "super-secret-token" not in out
    assert '"discord_token": true' in out


def test_a_reader_that_stops_early_gets_no_broken_pipe_traceback(tmp_path: Path) -> None:
    # `meetbot sessions | head -1`: the reader closes the pipe before meetbot has written.
    env = {**os.environ, "MEETBOT_HOME": str(tmp_path)}
    read, write = os.pipe()
    os.close(read)
    proc = subprocess.run(
        [sys.executable, "-m", "meetbot", "sessions"],
        stdout=write,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    os.close(write)
    assert proc.stderr == ""
    assert proc.returncode == 0


def test_demo_client_without_platform_web_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 23, L7: it was ignored and the Janus demo ran. (--minutes 0.1 is refused too, so a
    # regression ends here instead of starting a demo.)
    assert main(["demo", "--client", "mvideoroom", "--minutes", "0.1"]) == 2
    assert capsys.readouterr().err == (
        "meetbot: --client needs --platform web (Janus's own web client)\n"
    )


@pytest.mark.parametrize(
    "command",
    [
        ["report", "nosuch", "--json"],
        ["sessions", "--since", "yesterday", "--json"],
        ["probe", "--config", str(EXAMPLE), "--json"],  # a Janus chapter: nothing to probe
    ],
    ids=lambda c: c[0],
)
def test_a_json_command_that_fails_prints_its_error_as_json_too(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 23, L7: a script reading stdout got nothing to parse.
    assert main(command) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert json.loads(captured.out) == {"error": line.removeprefix("meetbot: ")}
