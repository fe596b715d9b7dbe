"""A store another process holds locked: one line saying it is busy and what to do (issue 23).

SQLAlchemy's error text carries the whole statement; the outbox's CREATE TABLE made `meetbot
outbox` and `meetbot post S` print 23 lines. The lock here is a real second process holding
BEGIN EXCLUSIVE on the SQLite file, as another program would.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from records import small_session

from meetbot.cli import main
from meetbot.store import Store
from meetbot.store.database import SQLITE_FILE

HOLD = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
"""


@pytest.fixture
def session_id(isolated_meetbot_env: Path) -> str:
    record = small_session()
    with Store.open("", isolated_meetbot_env) as store:
        store.save(record)
    return record.session_id


@pytest.fixture
def locked(isolated_meetbot_env: Path, session_id: str) -> Iterator[None]:
    path = isolated_meetbot_env / SQLITE_FILE
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdin is not None
        assert holder.stdout.readline() == "locked\n"
        yield
        holder.stdin.close()
        assert holder.wait(timeout=30) == 0


@pytest.mark.parametrize("command", [["outbox"], ["post", "SESSION"]])
def test_a_locked_store_is_one_line_that_says_it_is_busy(
    command: list[str], session_id: str, locked: None, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [session_id if word == "SESSION" else word for word in command]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert "CREATE TABLE" not in err
    assert "the database is busy, locked by another process" in err
    assert err.rstrip().endswith("then run this again")
