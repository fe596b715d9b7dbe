"""Exactly one bot per meeting, against a real PostgreSQL and a real redis-server.

Claims refuse duplicates and hand a dead worker's meeting over to the SAME session; the
scheduler keeps every meeting it cannot send (Redis or PostgreSQL down) and sends it later;
a worker without the platform's parts refuses with a reason `fleet status` shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from redis_server import free_port, redis_server

from meetbot.config.schedule import Occurrence
from meetbot.errors import StorageError
from meetbot.fleet import status
from meetbot.fleet.broker import QUEUE, check_broker, make_app, send_join
from meetbot.fleet.chapters import load_folder
from meetbot.fleet.claims import Claims, Refused, State
from meetbot.fleet.jobs import JobContext, Unable, holder_gone, run_job
from meetbot.fleet.platforms import detect, platform_problem
from meetbot.fleet.scheduler import Scheduler
from meetbot.lab.services import ServiceMissing, redis_service
from meetbot.store.database import create_engine

pytestmark = pytest.mark.postgres
LEASE_S = 30.0


def meeting(chapter: str = "Riverside", in_s: float = 60.0, length_s: float = 600.0) -> Occurrence:
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=in_s)
    return Occurrence(chapter, start, length_s)


@pytest.fixture
def claims(pg_url: str) -> Iterator[Claims]:
    engine = create_engine(pg_url)
    yield Claims(engine, lease_s=LEASE_S)
    engine.dispose()


def test_a_duplicate_is_refused_and_a_race_has_one_winner(claims: Claims) -> None:
    occ = meeting()
    assert claims.plan(occ, join_before_s=120)
    assert not claims.plan(occ, join_before_s=120)  # planned once
    won: list[str] = []
    refused: list[str] = []

    def take(worker: str) -> None:
        try:
            won.append(claims.claim(occ.key, worker).row.worker)
        except Refused as exc:
            refused.append(str(exc))

    racers = [threading.Thread(target=take, args=(f"host{i}:1",)) for i in range(4)]
    for t in racers:
        t.start()
    for t in racers:
        t.join()
    assert len(won) == 1
    assert len(refused) == 3
    assert all(f"already watched by {won[0]}" in r for r in refused)
    row = claims.get(occ.key)
    assert (row.state, row.claims, row.duplicates) == (State.RUNNING, 1, 3)


def test_a_lapsed_lease_is_handed_over_to_the_same_session(claims: Claims) -> None:
    occ = meeting(in_s=-30)
    claims.plan(occ, join_before_s=60)
    first = claims.claim(occ.key, "machine-a:11")
    assert not first.handover
    later = time.time() + LEASE_S + 1  # machine-a died: no heartbeat since
    with pytest.raises(Refused, match="already watched"):
        claims.claim(occ.key, "machine-b:22", now=time.time())
    (lapsed,) = claims.lapsed(later)
    assert lapsed.key == occ.key
    assert claims.get(occ.key).state is State.DUE
    second = claims.claim(occ.key, "machine-b:22", now=later)
    assert second.handover
    assert second.row.session_id == first.row.session_id  # continued, not a second session
    assert (second.row.claims, second.row.handovers) == (2, 1)
    assert not claims.beat(occ.key, "machine-a:11")  # the old worker has lost it
    assert claims.beat(occ.key, "machine-b:22")


def test_a_holder_is_checked_locally_only_under_this_machine_s_name() -> None:
    here = "machine-x"  # `fleet worker --host machine-x`
    assert not holder_gone(f"{here}:{os.getpid()}", here)  # alive
    gone = _finished_pid()
    assert holder_gone(f"{here}:{gone}", here)
    # The same pid under another machine's name: only its lease can tell.
    assert not holder_gone(f"{socket.gethostname()}:{gone}", here)
    assert not holder_gone(f"machine-y:{gone}", here)


def _finished_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()  # reaped: no process has this pid now (pids are not reused at once)
    return proc.pid


def test_a_dead_local_holder_is_taken_over_at_once(claims: Claims) -> None:
    occ = meeting(in_s=-5)
    claims.plan(occ, join_before_s=60)
    claims.claim(occ.key, "here:1")
    taken = claims.claim(occ.key, "here:2", gone=lambda holder: holder == "here:1")
    assert taken.handover


def test_scheduler_keeps_meetings_while_redis_is_down_and_sends_them_after(
    claims: Claims, tmp_path: Path
) -> None:
    (tmp_path / "a.toml").write_text('[chapter]\nname = "Riverside"\n')
    chapters = load_folder(tmp_path)
    occ = meeting(in_s=30)
    claims.plan(occ, join_before_s=60, one_off=True)
    port = free_port()
    celery = make_app(f"redis://127.0.0.1:{port}/0", longest_meeting_s=chapters.longest_s)
    scheduler = Scheduler(chapters, claims, lambda key: send_join(celery, key))

    down = scheduler.tick()
    assert down.sent == []
    (problem,) = down.problems
    assert f"cannot reach the broker at redis://127.0.0.1:{port}/0" in problem
    assert "stays due" in problem
    assert "\n" not in problem
    assert claims.get(occ.key).state is State.DUE  # nothing lost

    with redis_server(port) as url:
        up = scheduler.tick()
        assert up.sent == [occ.key]
        assert claims.get(occ.key).state is State.QUEUED
        assert redis.Redis.from_url(url).llen(QUEUE) == 1
        assert scheduler.tick().sent == []  # sent once


def test_scheduler_survives_postgres_down(claims: Claims, tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[chapter]\nname = "Riverside"\n')
    chapters = load_folder(tmp_path)
    occ = meeting(in_s=30)
    claims.plan(occ, join_before_s=60, one_off=True)
    sent: list[str] = []
    scheduler = Scheduler(chapters, claims, sent.append)
    engine = claims.engine
    claims.engine = sa.create_engine("postgresql+psycopg://postgres@/postgres?host=/nonexistent")
    down = scheduler.tick()
    (problem,) = down.problems
    assert problem.startswith("cannot plan") or problem.startswith("cannot find")
    assert "check that the database is reachable" in problem
    assert sent == []
    claims.engine.dispose()
    claims.engine = engine
    assert scheduler.tick().sent == [occ.key]  # retried, nothing lost
    with pytest.raises(StorageError, match="cannot create the fleet table"):
        Claims(sa.create_engine("postgresql+psycopg://postgres@/postgres?host=/nonexistent"))


def test_a_worker_without_janus_refuses_with_a_reason_status_shows(
    claims: Claims, tmp_path: Path
) -> None:
    (tmp_path / "a.toml").write_text(
        f'[chapter]\nname = "Riverside"\n[meeting]\nurl = "ws://127.0.0.1:{free_port()}/"\n'
    )
    context = JobContext(load_folder(tmp_path), claims)
    occ = meeting(in_s=10)
    claims.plan(occ, join_before_s=60)
    with pytest.raises(Unable, match="unreachable"):
        run_job(context, occ.key)
    row = claims.get(occ.key)
    assert row.state is State.DUE  # left for a worker that can
    shown = status.as_json(claims.all())
    (upcoming,) = shown["upcoming"]
    assert "refused: Janus at ws://127.0.0.1:" in upcoming["reason"]
    assert "is unreachable from this worker" in upcoming["reason"]
    assert "Riverside" in status.as_text(claims.all())


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_a_worker_whose_chromium_path_is_wrong_refuses_browser_meetings(
    claims: Claims, tmp_path: Path
) -> None:
    (tmp_path / "a.toml").write_text(
        '[chapter]\nname = "Riverside"\n'
        '[meeting]\nplatform = "janus_videoroom"\nurl = "http://127.0.0.1:9/videoroomtest.html"\n'
    )
    env = {"MEETBOT_BROWSER__EXECUTABLE": "/opt/no-chromium/chromium"}  # this machine's setting
    chapters = load_folder(tmp_path, env=env)
    offer = detect(None, chapters.get("Riverside").browser)
    assert offer.families == ("janus",)  # it still runs Janus meetings
    occ = meeting(in_s=10)
    claims.plan(occ, join_before_s=60)
    with pytest.raises(Unable, match="cannot run web meetings"):
        run_job(JobContext(chapters, claims, offers=offer), occ.key)
    row = claims.get(occ.key)
    assert row.state is State.DUE  # left for a worker that can
    assert row.claims == 0
    assert not row.session_id
    (upcoming,) = status.as_json(claims.all())["upcoming"]
    reason = upcoming["reason"]
    assert " refused: this worker cannot run web meetings (janus_videoroom): " in reason
    assert "browser.executable '/opt/no-chromium/chromium' is not an executable file" in reason
    assert "\n" not in reason
    assert reason in status.as_text(claims.all())

    # The same chapter on a worker with Debian's chromium passes the check (no refusal noted).
    good = load_folder(tmp_path, env={})
    chapter = good.get("Riverside")
    assert asyncio.run(platform_problem(chapter, detect(None, chapter.browser))) is None


def test_scheduler_plans_the_calendar_and_queues_each_meeting_once(
    claims: Claims, tmp_path: Path
) -> None:
    (tmp_path / "a.toml").write_text(
        '[chapter]\nname = "Riverside"\ntimezone = "Europe/London"\n'
        '[schedule]\nweekdays = ["tuesday"]\nstart = "07:00"\nlength_min = 60\n'
        "join_before_min = 3\n"
    )
    sent: list[str] = []
    scheduler = Scheduler(load_folder(tmp_path), claims, sent.append)
    monday = datetime(2031, 3, 24, 12, 0, tzinfo=UTC).timestamp()
    planned = scheduler.tick(monday)
    assert planned.planned == [
        "Riverside@2031-03-25T07:00:00Z",
        "Riverside@2031-04-01T06:00:00Z",  # 07:00 BST
        "Riverside@2031-04-08T06:00:00Z",
    ]
    assert sent == []
    tuesday = datetime(2031, 3, 25, 6, 57, tzinfo=UTC).timestamp()  # 3 minutes before
    assert scheduler.tick(tuesday - 60).sent == []
    assert scheduler.tick(tuesday).sent == ["Riverside@2031-03-25T07:00:00Z"]
    assert scheduler.tick(tuesday + 30).sent == []  # queued once
    assert claims.get("Riverside@2031-03-25T07:00:00Z").state is State.QUEUED


def test_no_handover_for_a_lease_after_the_database_was_down(
    claims: Claims, tmp_path: Path
) -> None:
    """While the database was down no worker could beat; a stale heartbeat then says nothing."""
    (tmp_path / "a.toml").write_text('[chapter]\nname = "Riverside"\n')
    occ = meeting(in_s=-30)
    claims.plan(occ, join_before_s=60)
    claims.claim(occ.key, "machine-a:11")
    scheduler = Scheduler(load_folder(tmp_path), claims, lambda key: None)
    engine = claims.engine
    claims.engine = sa.create_engine("postgresql+psycopg://postgres@/postgres?host=/nonexistent")
    stale = time.time() + LEASE_S + 1  # no heartbeat since: it would lapse now
    assert scheduler.tick(stale).problems
    claims.engine.dispose()
    claims.engine = engine
    assert scheduler.tick(stale).handed_over == []  # back: the worker gets a lease to beat
    assert claims.get(occ.key).state is State.RUNNING
    assert scheduler.tick(stale + LEASE_S + 1).handed_over == [occ.key]  # it never did


def test_the_scheduler_says_an_outage_once_and_its_end_once(claims: Claims, tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[chapter]\nname = "Riverside"\n')
    lines: list[str] = []
    with contextlib.ExitStack() as stack:
        try:
            service = stack.enter_context(redis_service())
        except ServiceMissing as exc:
            pytest.skip(str(exc))
        celery = make_app(service.url, longest_meeting_s=3600)
        scheduler = Scheduler(
            load_folder(tmp_path), claims, lambda key: None, lambda: check_broker(celery)
        )
        before_tick = {1: service.stop, 4: service.start}  # Redis down for ticks 1-3
        ticks = iter(range(100))

        def stop() -> bool:
            n = next(ticks)
            before_tick.get(n, lambda: None)()
            return n == 7

        scheduler.run(0.0, say=lines.append, stop=stop)
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"problem: cannot reach the broker at {service.url} (")
    assert lines[1] == "the broker answers again"


def test_the_first_admission_is_kept_and_only_the_holder_notes_it(claims: Claims) -> None:
    occ = meeting(in_s=60)
    claims.plan(occ, join_before_s=120)
    claims.admitted(occ.key, "here:1")  # not claimed yet: nobody's bot is in the room
    assert claims.get(occ.key).admitted_at is None
    claims.claim(occ.key, "here:1")
    claims.admitted(occ.key, "elsewhere:2")  # not the holder
    assert claims.get(occ.key).admitted_at is None
    t0 = occ.start.timestamp() - 30
    claims.admitted(occ.key, "here:1", now=t0)
    claims.admitted(occ.key, "here:1", now=t0 + 50)  # a rejoin: the first admission stays
    assert claims.get(occ.key).admitted_at == t0
    (running,) = status.as_json(claims.all())["running"]
    assert running["admitted_after_start_s"] == -30.0  # in the room before the start
    assert "in the room since" in status.as_text(claims.all())


def test_a_table_from_before_admissions_gains_the_column(pg_url: str) -> None:
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE fleet_occurrences (key VARCHAR(300) PRIMARY KEY)"))
    Claims(engine)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("fleet_occurrences")}
    assert "admitted_at" in columns
    Claims(engine)  # a second process starting later changes nothing
    engine.dispose()
