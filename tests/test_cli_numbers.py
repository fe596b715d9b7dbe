"""Numbers on the command line (issue 14, item 9): NaN, infinity and out-of-range values are
refused in one line before anything connects or reads the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from meetbot.cli import main

# Nothing listens at this URL: a check that let a number through would fail to join instead.
CHAPTER = '[chapter]\nname = "Numbers"\n[meeting]\nurl = "ws://127.0.0.1:9/"\n'


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["join", "--minutes", "nan"], "--minutes must be a number greater than 0"),
        (["join", "--minutes", "inf"], "--minutes must be a number greater than 0"),
        (["join", "--minutes", "-5"], "at most 1440, got -5"),
        (["join", "--minutes", "1e9"], "at most 1440, got 1e+09"),
        (["join", "--room", "0"], "--room must be at least 1, got 0"),
        (["sessions", "--limit", "0"], "--limit must be at least 1, got 0"),
        (["sessions", "--limit", "-1"], "--limit must be at least 1, got -1"),
        (["compare", "--last", "0"], "--last must be at least 1, got 0"),
        (["discord", "--guild", "-3"], "--guild must be at least 1, got -3"),
    ],
)
def test_a_bad_number_is_refused_in_one_line(
    argv: list[str],
    message: str,
    isolated_meetbot_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    chapter = isolated_meetbot_env / "chapter.toml"
    chapter.write_text(CHAPTER, encoding="utf-8")
    assert main([*argv, "--config", str(chapter)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert message in err


@pytest.mark.parametrize("value", ["nan", "inf", "-5", "0", "1e9"])
@pytest.mark.parametrize(
    ("action", "option"),
    [
        (["fleet", "status"], "--lease-s"),
        (["fleet", "scheduler", "--once"], "--lease-s"),
        (["fleet", "worker", "--platforms", "janus"], "--lease-s"),
        (["fleet", "scheduler", "--once"], "--tick"),
    ],
)
def test_fleet_seconds_refuse_nan_infinity_and_out_of_range(
    action: list[str],
    option: str,
    value: str,
    chapter_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # `--lease-s nan` passed `<= 0`: every comparison with NaN is false (issue 23, L4).
    monkeypatch.setenv("MEETBOT_BROKER_URL", "redis://127.0.0.1:9/0")  # nothing listens there
    assert main([*action, "--chapters", str(chapter_folder), option, value]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert f"{option} must be a number greater than 0 and at most" in err
