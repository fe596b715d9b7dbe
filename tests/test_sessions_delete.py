"""`meetbot sessions delete` (issue 14, item 2): a session that should not count goes, with
everything about it, only after a yes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from records import chapter_session, earlier_sessions

from meetbot.cli import main
from meetbot.publishers.outbox import Outbox
from meetbot.store import Store


@pytest.fixture
def stored(isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """A saved session with its report files and its recap (console) in the outbox."""
    record = chapter_session()
    with Store.open("", isolated_meetbot_env) as store:
        for earlier in earlier_sessions():
            store.save(earlier)
        store.save(record)
    assert main(["report", record.session_id]) == 0
    assert main(["post", record.session_id]) == 0
    capsys.readouterr()
    return record.session_id


def kept(home: Path, sid: str) -> tuple[bool, int, bool]:
    """Is the session listed, how many outbox rows name it, is its report folder there."""
    with Store.open("", home) as store:
        listed = any(s.session_id == sid for s in store.list_sessions())
        recaps = sum(1 for e in Outbox(store.engine).entries() if e.dedupe_key == f"recap:{sid}")
    return listed, recaps, (home / "reports" / sid).is_dir()


def test_delete_with_yes_removes_the_session_and_everything_about_it(
    stored: str, isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = isolated_meetbot_env
    assert kept(home, stored) == (True, 1, True)
    assert main(["sessions", "delete", stored[:15], "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"deleted session {stored}" in out
    assert kept(home, stored) == (False, 0, False)
    with Store.open("", home) as store:
        # Nobody's history or the chapter's comparison counts it any more.
        person = chapter_session().attendees[0].person
        assert all(r.session_id != stored for r in store.history(person))
        assert len(store.list_sessions()) == len(earlier_sessions())
    assert main(["report", stored]) == 2  # gone: one line says so
    assert "no stored session" in capsys.readouterr().err


@pytest.mark.parametrize(("answer", "code"), [("n\n", 1), ("", 2), ("yes\n", 0)])
def test_delete_asks_first_and_only_yes_deletes(
    stored: str,
    isolated_meetbot_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
    code: int,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(answer))
    assert main(["sessions", "delete", stored]) == code
    captured = capsys.readouterr()
    assert f"Delete session {stored}" in captured.out  # the question names what would go
    assert kept(isolated_meetbot_env, stored)[0] is (code != 0)
    if code == 2:  # no answer at all (stdin closed): one line says how to confirm
        assert captured.err.count("\n") == 1
        assert "add --yes" in captured.err


def test_sessions_alone_still_lists(stored: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "--limit", "2"]) == 0
    assert stored in capsys.readouterr().out


@pytest.mark.parametrize("given", ["", "  "])
@pytest.mark.parametrize(
    "command",
    [
        ["sessions", "delete", "--yes", "SID"],
        ["report", "SID"],
        ["post", "SID"],
        ["attendance", "SID", "Ann", "--as", "visitor"],
    ],
    ids=lambda c: c[0] if c[0] != "sessions" else "sessions delete",
)
def test_an_empty_id_is_refused_even_with_one_session_stored(
    isolated_meetbot_env: Path, capsys: pytest.CaptureFixture[str], command: list[str], given: str
) -> None:
    # An empty id is a prefix of every id: with one session stored (an unset $SID in a script)
    # it named that session, and `sessions delete "" --yes` deleted it.
    record = chapter_session()
    with Store.open("", isolated_meetbot_env) as store:
        store.save(record)
    assert main([given if word == "SID" else word for word in command]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1
    assert "session id is empty" in captured.err
    assert record.session_id not in captured.out
    with Store.open("", isolated_meetbot_env) as store:
        assert [s.session_id for s in store.list_sessions()] == [record.session_id]
    assert not (isolated_meetbot_env / "reports" / record.session_id).exists()
