"""`meetbot sessions / report / compare / post` on a real SQLite store, and `join`'s end time."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from records import chapter_session, earlier_sessions, small_session

from meetbot import app, config
from meetbot.cli import main
from meetbot.cli.join import until_seconds
from meetbot.domain.chapter import Chapter
from meetbot.domain.header import SessionHeader
from meetbot.errors import ConfigError
from meetbot.store import Store


@pytest.fixture
def stored(isolated_meetbot_env: Path) -> list[str]:
    records = [*earlier_sessions(), chapter_session()]
    with Store.open("", isolated_meetbot_env) as store:
        for record in records:
            store.save(record)
    return [r.session_id for r in records]


def test_sessions_lists_newest_first(stored: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("session")
    assert lines[1].startswith(stored[-1])
    assert len(lines) == 1 + len(stored) + 1  # header, sessions, what the columns mean


def test_sessions_when_empty(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions"]) == 0
    assert "no sessions stored yet" in capsys.readouterr().out


def test_report_writes_html_markdown_and_csv(
    stored: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert main(["report", stored[-1][:10], "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    files = sorted(p.name for p in (out / stored[-1]).iterdir())
    assert files == ["attendees.csv", "report.html", "report.md"]
    assert str(out / stored[-1] / "report.html") in printed
    html = (out / stored[-1] / "report.html").read_text(encoding="utf-8")
    assert "<html" in html
    assert "Chloé Martin" in html


def test_report_files_are_in_the_chapters_language(
    stored: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEETBOT_CHAPTER__LANGUAGE", "it")
    assert main(["report", stored[-1], "--out", str(tmp_path)]) == 0
    html = (tmp_path / stored[-1] / "report.html").read_text(encoding="utf-8")
    assert '<html lang="it">' in html
    assert "<h2>L'incontro a colpo d'occhio</h2>" in html.replace("&#39;", "'")
    markdown = (tmp_path / stored[-1] / "report.md").read_text(encoding="utf-8")
    assert "## Informazioni su questi dati" in markdown
    assert "martedì 3 marzo 2026" in markdown
    sheet = (tmp_path / stored[-1] / "attendees.csv").read_text(encoding="utf-8")
    assert sheet.startswith("persona,ruolo,presenze,ritardi,uscita_anticipata,")


def test_report_print_keeps_individual_figures_back_as_the_chapter_says(
    stored: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEETBOT_REPORTS__MIN_GROUP_FOR_DETAIL", "50")
    out = tmp_path / "out"
    assert main(["report", stored[-1], "--out", str(out), "--print"]) == 0
    printed = capsys.readouterr().out
    written = (out / stored[-1] / "report.md").read_text(encoding="utf-8")
    assert written in printed
    assert "Individual scores and observed shares are not shown" in printed


def test_report_of_unknown_session_is_one_clear_line(
    stored: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "nope-nope"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("meetbot: ")
    assert "\n" not in err


def test_compare_writes_chart_and_prints_trends(
    stored: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["compare", "--last", "3", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert (tmp_path / "comparison.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "comparison.md").exists()
    assert "comparison:" in printed


def test_post_without_discord_goes_to_console_outbox_once(
    stored: list[str], isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["post", stored[-1]]) == 0
    first = capsys.readouterr().out
    assert "→ console: sent" in first
    assert main(["post", stored[-1]]) == 0  # re-posting does not send it twice
    assert "already sent" in capsys.readouterr().out
    with Store.open("", isolated_meetbot_env) as store:
        from meetbot.publishers.outbox import Outbox

        assert len(Outbox(store.engine).entries()) == 1


def test_post_labels_each_receipt_by_its_session_and_exits_by_its_own_recap(
    stored: list[str], isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # An older session's recap waits for a Discord channel this run has no publisher for
    # (issue 23, L5a): it used to be labelled "recap of" the newer session, and exit 1.
    older, newer = stored[0], stored[-1]
    with Store.open("", isolated_meetbot_env) as store:
        from meetbot.publishers.outbox import Outbox
        from reports.post import Audience, Post

        Outbox(store.engine).enqueue(
            "discord:123456789", Post(Audience.PUBLIC, "Recap", "Thanks."), f"recap:{older}"
        )
    assert main(["post", newer]) == 0
    lines = capsys.readouterr().out.splitlines()  # the console recap's text, then receipts
    first, second = [x for x in lines if x.startswith("recap of")]
    assert first.startswith(f"recap of {older} → discord:123456789: pending no publisher")
    assert second == f"recap of {newer} → console: sent"
    assert lines[-1] == "1 other message waits in the outbox; `meetbot outbox --retry` sends them"
    assert main(["post", older]) == 1  # its own recap is still pending: that one fails
    assert f"recap of {older} → discord:123456789: pending" in capsys.readouterr().out


def test_running_session_is_recovered_before_reporting(
    isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = config.load(None)
    record = chapter_session()
    with Store.open("", isolated_meetbot_env) as store:
        header = SessionHeader(
            record.session_id, Chapter(record.chapter), record.started_at, "janus", "1234"
        )
        store.begin(header)
        store.checkpoint(record.session_id, record.spans, [])
        loaded = app.load_session(store, record.session_id[:8], settings)
    assert loaded.complete is False
    assert main(["report", record.session_id]) == 0


def test_until_parses_minutes_and_clock_times() -> None:
    tz = "Europe/London"
    now = dt.datetime(2026, 3, 3, 7, 0, tzinfo=dt.UTC)
    assert until_seconds(None, 90, tz, now) == 5400
    assert until_seconds(None, None, tz, now) is None
    assert until_seconds("08:30", None, tz, now) == 5400
    assert until_seconds("06:00", None, tz, now) == 23 * 3600  # tomorrow morning
    with pytest.raises(ConfigError, match="HH:MM"):
        until_seconds("half past", None, tz, now)
    with pytest.raises(ConfigError, match="greater than 0"):
        until_seconds(None, 0, tz, now)


def test_sessions_show_attendance_and_room_listening(
    stored: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-3:] == ["members", "listening", "chapter"]
    newest = lines[1].split()
    # 7 members there and 1 represented by a substitute, of 9; the room's figure 81%.
    assert newest[0] == stored[-1]
    assert newest[5:7] == ["8/9", "81%"]
    assert lines[-1].startswith("members: there or represented by a substitute")


def test_sessions_filter_by_chapter_and_date(
    stored: list[str], isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open("", isolated_meetbot_env) as store:
        store.save(small_session())
    assert main(["sessions", "--chapter", "TINY chapter"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:-1]] == [small_session().session_id]
    assert lines[1].split()[5:7] == ["2/3", "—"]  # too few scored: the room figure withheld
    assert main(["sessions", "--since", "2026-03-01"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:-1]]
    assert listed == [small_session().session_id, stored[-1]]
    assert main(["sessions", "--since", "2027-01-01"]) == 0
    assert capsys.readouterr().out == "no sessions match --chapter/--since\n"
    assert main(["sessions", "--since", "last tuesday"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("meetbot: --since 'last tuesday': give a date such as 2026-03-01")
    assert err.count("\n") == 1


def test_sessions_json_for_scripts(stored: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "--json", "--limit", "2"]) == 0
    newest, before = json.loads(capsys.readouterr().out)
    assert [newest["session_id"], before["session_id"]] == [stored[-1], stored[-2]]
    assert newest["started_at"] == "2026-03-03T06:45:00+00:00"
    assert newest["members_there"] == 7
    assert newest["represented_by_substitute"] == 1
    assert newest["members_expected"] == 9
    assert newest["room_listening"] == 80.9
    assert newest["status"] == "saved"


def test_report_and_compare_json_give_the_files_written(
    stored: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", stored[-1], "--out", str(tmp_path), "--json"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written["session_id"] == stored[-1]
    assert sorted(Path(p).name for p in written["files"]) == [
        "attendees.csv",
        "report.html",
        "report.md",
    ]
    assert all(Path(p).is_file() for p in written["files"])
    assert main(["compare", "--last", "2", "--out", str(tmp_path), "--json"]) == 0
    compared = json.loads(capsys.readouterr().out)
    assert compared["sessions"] == stored[-2:]
    assert sorted(Path(p).name for p in compared["files"]) == ["comparison.md", "comparison.png"]
