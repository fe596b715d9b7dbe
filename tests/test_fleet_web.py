"""A fleet worker runs a browser meeting, with real parts: redis-server, PostgreSQL, a sandboxed
Janus with Janus's own demo pages served on loopback, and one `meetbot fleet worker --platforms
web` process whose pool process drives Debian's Chromium through the browser bridge.

The job goes on the queue as the scheduler would put it. A worker whose Chromium path is wrong
refuses it first, with the reason in `meetbot fleet status`; then a worker with Debian's
Chromium claims the meeting, joins the demo page, and two scripted members (meetbot.lab.stage)
play a ~40 s meeting in the room.
When the room closes the session is saved in PostgreSQL, the claim is finished and the recap is
in the outbox, sent once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from browser_meeting import BOT, needs_browser

from meetbot.clock import MonotonicClock
from meetbot.config.schedule import Occurrence
from meetbot.domain.states import State as Seen
from meetbot.fleet.broker import make_app, send_join
from meetbot.fleet.claims import Claims, State
from meetbot.lab.demo_pages import DemoPages
from meetbot.lab.fleet_demo import people
from meetbot.lab.janus_server import JanusServer
from meetbot.lab.services import ServiceMissing, postgres_server, redis_server
from meetbot.lab.stage import render_faces, run_scenario
from meetbot.lab.worker_processes import processes, until, workers_ready
from meetbot.publishers.base import Status
from meetbot.publishers.outbox import Outbox
from meetbot.store import Store
from meetbot.store.database import create_engine

pytestmark = [pytest.mark.janus, pytest.mark.postgres, pytest.mark.slow, needs_browser]

ROOT = Path(__file__).resolve().parent.parent
ROOM = 7401
MEETING_S = 40.0  # the scripted meeting, counted from the bot's arrival
BOOKED_S = 600.0  # the occurrence's length: the room closing ends it long before


def chapter_file(folder: Path, page_url: str) -> None:
    (folder / "willow.toml").write_text(
        '[chapter]\nname = "Willow"\n'
        f'[meeting]\nplatform = "janus_videoroom"\nurl = "{page_url}"\nroom = {ROOM}\n'
        f'display_name = "{BOT}"\n'
        "[discord]\nchannel_id = 0\n"  # the console outbox: no Discord needed
        "[storage]\ncheckpoint_s = 2.0\n"
        "[timeline]\nlooking_away_dwell_s = 2.0\n"
        '[[roster]]\nname = "Ava Attentive"\nrole = "lead"\n[[roster]]\nname = "Ben Wanderer"\n',
        encoding="utf-8",
    )


async def test_a_worker_runs_a_meeting_through_the_browser_bridge(tmp_path: Path) -> None:
    folder, logs = tmp_path / "chapters", tmp_path / "logs"
    folder.mkdir()
    logs.mkdir()
    with contextlib.ExitStack() as stack:
        try:
            pg = stack.enter_context(postgres_server())
            broker = stack.enter_context(redis_server())
        except ServiceMissing as exc:
            pytest.skip(str(exc))
        procs = stack.enter_context(processes())
        async with JanusServer() as janus, DemoPages(janus.url) as pages:
            await janus.create_room(ROOM)
            chapter_file(folder, pages.url("videoroomtest.html"))
            env = {k: v for k, v in os.environ.items() if not k.startswith("MEETBOT_")}
            env |= {
                "MEETBOT_SANDBOX": "1",
                "MEETBOT_HOME": str(tmp_path / "home"),
                "MEETBOT_STORAGE__URL": pg,
                "MEETBOT_BROKER_URL": broker,
                "MEETBOT_CHAPTERS": str(folder),
                "PYTHONPATH": str(ROOT),
            }
            # First a worker whose Chromium path is wrong: it still runs (Janus meetings),
            # and refuses this one with the reason `meetbot fleet status` shows.
            wrong = env | {"MEETBOT_BROWSER__EXECUTABLE": "/opt/no-chromium/chromium"}
            unable = procs.spawn(logs / "unable.log", wrong, "fleet", "worker", "--lease-s", "20")
            await workers_ready(broker, 1)
            engine = create_engine(pg)
            stack.callback(engine.dispose)
            claims = Claims(engine, lease_s=20)
            store = stack.enter_context(Store.open(pg))
            occurrence = Occurrence("Willow", datetime.now(UTC) + timedelta(seconds=2), BOOKED_S)
            claims.plan(occurrence, join_before_s=10, one_off=True)
            celery = make_app(broker, longest_meeting_s=BOOKED_S)
            send_join(celery, occurrence.key)
            refused = await until(
                "the job refused by the worker without Chromium",
                lambda: "cannot run web meetings" in (r := claims.get(occurrence.key)).reason and r,
                within_s=120,
                logs=logs,
            )
            assert refused.state is State.DUE  # nothing claimed: left for a worker that can
            shown = await asyncio.to_thread(
                subprocess.run,
                [sys.executable, "-m", "meetbot", "fleet", "status"],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            line = next(s for s in shown.stdout.splitlines() if "Willow" in s)
            assert "refused: this worker cannot run web meetings (janus_videoroom): " in line
            assert "browser.executable '/opt/no-chromium/chromium' is not an executable" in line
            os.killpg(unable.pid, signal.SIGKILL)  # its retry of the job goes with it
            unable.wait()

            procs.spawn(
                logs / "worker.log", env, "fleet", "worker",
                "--platforms", "web", "--concurrency", "1", "--lease-s", "20",
            )  # fmt: skip
            await workers_ready(broker, 1)
            plan = people(MEETING_S)
            book = await render_faces(plan)  # before anyone's clock runs: it takes seconds
            send_join(celery, occurrence.key)  # again, as the scheduler would: duplicates are safe

            # The session begins once Chromium is in the room: then the members come in.
            sid = await until(
                "the browser bot in the meeting",
                lambda: (
                    (r := claims.get(occurrence.key)).session_id in store.unfinished()
                    and r.session_id
                ),
                within_s=240,
                logs=logs,
            )
            happened = await run_scenario(janus.url, ROOM, plan, MonotonicClock(), book=book)
            await janus.destroy_room(ROOM)  # the meeting ends as a host closing it does
            row = await until(
                "the claim finished",
                lambda: (
                    (r := claims.get(occurrence.key)).state in (State.FINISHED, State.FAILED) and r
                ),
                within_s=240,
                logs=logs,
            )

        assert row.state is State.FINISHED, row.reason
        assert (row.claims, row.handovers, row.session_id) == (1, 0, sid)
        assert all(h.times("joined") for h in happened.values()), happened

        record = store.load(sid)
        assert record.chapter == "Willow"
        assert record.platform == "janus_videoroom"
        people_seen = {a.person: a for a in record.attendees}
        assert set(people_seen) == {"Ava Attentive", "Ben Wanderer"}  # never the bot itself
        ava = people_seen["Ava Attentive"]
        # Seen through Chromium and judged by the detector: attentive most of her meeting.
        assert ava.seconds_by_state.get(Seen.ENGAGED, 0.0) > 10, ava
        assert ava.present_s > MEETING_S / 2, ava

        sent = [e for e in Outbox(store.engine).entries(limit=100) if e.status is Status.SENT]
        assert [e.dedupe_key for e in sent].count(f"recap:{sid}") == 1
        said = (logs / "worker.log").read_text(errors="replace")
        assert "offering web meetings, 1 at once" in said
        said = (logs / "unable.log").read_text(errors="replace")
        assert "not offering web meetings: browser.executable '/opt/no-chromium/chromium'" in said
        assert "offering janus meetings" in said
