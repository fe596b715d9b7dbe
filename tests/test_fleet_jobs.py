"""A real job against a real Janus and PostgreSQL: the occurrence row records when the bot got
into the room (the figure behind "scheduled start → admitted" in bench/fleet.py)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from meetbot.config.schedule import Occurrence
from meetbot.fleet.chapters import load_folder
from meetbot.fleet.claims import Claims, State
from meetbot.fleet.jobs import JobContext, Outcome, run_job
from meetbot.lab.janus_server import JanusServer, sandbox_problem
from meetbot.store.database import create_engine

pytestmark = [
    pytest.mark.janus,
    pytest.mark.postgres,
    pytest.mark.skipif(sandbox_problem() is not None, reason=str(sandbox_problem())),
]
ROOM = 4242


def lost() -> None:
    raise AssertionError("the job lost its claim")


async def test_a_job_records_when_its_bot_was_admitted(
    tmp_path: Path,
    pg_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MEETBOT_STORAGE__URL", pg_url)
    async with JanusServer() as janus:
        await janus.create_room(ROOM)
        (tmp_path / "a.toml").write_text(
            f'[chapter]\nname = "Alder"\n[meeting]\nurl = "{janus.url}"\nroom = {ROOM}\n'
        )
        engine = create_engine(pg_url)
        claims = Claims(engine, lease_s=60)
        context = JobContext(load_folder(tmp_path), claims, on_lost=lost)
        start = datetime.now(UTC) + timedelta(seconds=1)
        occurrence = Occurrence("Alder", start, 6.0)  # an empty room, for six seconds
        claims.plan(occurrence, join_before_s=60)
        queued = time.time()
        outcome = await asyncio.to_thread(run_job, context, occurrence.key)
        row = claims.get(occurrence.key)
        engine.dispose()
    assert outcome is Outcome.FINISHED
    assert row.state is State.FINISHED
    assert row.since is not None
    assert row.admitted_at is not None
    assert queued <= row.since <= row.admitted_at <= row.ends_at.timestamp()
