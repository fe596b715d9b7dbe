"""The session actor, driven by a scripted fake connector and a manual clock (no Janus needed).

The crash test kills a real child process (SIGKILL) in the middle of a scripted session that
writes to a real SQLite file, then recovers the session from its checkpoints.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import signal
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import pytest
import records

from meetbot.clock import ManualClock
from meetbot.config.schema import ChapterSection, Settings, StorageSettings
from meetbot.connectors.base import Emit, TrackSink
from meetbot.domain.chapter import Member
from meetbot.domain.events import (
    Event,
    MeetingEnded,
    Observation,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
)
from meetbot.domain.record import SessionRecord, Span
from meetbot.domain.states import Attendance, State
from meetbot.errors import ConnectError, StoppedWhileJoining, StorageError
from meetbot.session import run_session, saved
from meetbot.store import Store
from meetbot.terminal.interrupt import stop_on_signals

P = ParticipantId
ANN, BOB, FARID = P("feed-ann"), P("feed-bob"), P("feed-farid")
HERE = Path(__file__).resolve()
ROSTER = (Member("Ann Lee"), Member("Bob Nguyen"), Member("Farid Haddad"))


def settings(**roster_changes: Any) -> Settings:
    return Settings(
        chapter=ChapterSection("Riverside"),
        roster=roster_changes.get("roster", ROSTER),
        storage=StorageSettings(checkpoint_s=30.0),
    )


def meeting(length: float = 100.0, *, end: bool = True) -> list[Event]:
    """Ann and Bob join, watch each other's turns (one sample a second) and leave at the end."""
    script: list[Event] = [
        ParticipantJoined(0.0, ANN, "Ann Lee 🌟"),
        ParticipantJoined(0.0, BOB, "Bob Nguyen | Acme"),
        SpeechChanged(10.0, ANN, True),
        SpeechChanged(40.0, ANN, False),
        SpeechChanged(41.0, BOB, True),
        SpeechChanged(71.0, BOB, False),
    ]
    t = 1.0
    while t < length:
        script += [Observation(t, ANN, State.ENGAGED), Observation(t, BOB, State.ENGAGED)]
        t += 1.0
    script = sorted((e for e in script if e.at < length), key=lambda e: e.at)
    if end:
        script += [ParticipantLeft(length, ANN), MeetingEnded(length)]
    return script


class ScriptedConnector:
    """Replays typed events, moving the manual clock to each event's time.

    After the script it returns (the room closed) or, with `hang`, stays in the meeting until
    cancelled, like a real one; `played` is set once everything was emitted.
    """

    def __init__(
        self,
        clock: ManualClock,
        script: Sequence[Event],
        *,
        hang: bool = False,
        fail: Exception | None = None,
        admit: bool = True,
    ) -> None:
        self.clock, self.script, self.hang, self.fail = clock, script, hang, fail
        self.played = asyncio.Event()
        self.admitted = asyncio.Event()
        self.admit = admit  # False: still joining (a lobby, a slow server) until cancelled
        self.cancelled = False

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    async def run(self, emit: Emit, sink: TrackSink) -> None:
        try:
            if not self.admit:
                self.played.set()
                await asyncio.Event().wait()
            self.admitted.set()
            for event in self.script:
                self.clock.now = max(self.clock.now, event.at)
                await emit(event)
            self.played.set()
            if self.fail is not None:
                raise self.fail
            if self.hang:
                await asyncio.Event().wait()  # the meeting goes on until we are cancelled
        except asyncio.CancelledError:
            self.cancelled = True
            raise


class FakeSampler:
    """The sampler's side of the contract: remembers exclusions, emits what it is given."""

    def __init__(self, observations: Sequence[Observation] = ()) -> None:
        self.observations = observations
        self.excluded: list[ParticipantId] = []
        self.speech: list[tuple[ParticipantId, bool]] = []

    async def track_started(self, participant: ParticipantId, kind: Any, track: Any) -> None:
        return None

    async def track_ended(self, participant: ParticipantId, kind: Any) -> None:
        return None

    def exclude(self, participant: ParticipantId) -> None:
        self.excluded.append(participant)

    def speaking(self, participant: ParticipantId, speaking: bool) -> None:
        self.speech.append((participant, speaking))

    async def run(self, emit: Emit) -> None:
        for observation in self.observations:
            if observation.participant not in self.excluded:
                await emit(observation)
        await asyncio.Event().wait()  # samples until cancelled


class RecordingStore(Store):
    """A real store that also remembers each checkpoint it was given."""

    checkpoints: list[tuple[float, list[Span], list[Event], list[Span]]]

    def checkpoint(self, session_id: str, spans: Any, events: Any, **kw: Any) -> None:
        self.__dict__.setdefault("checkpoints", [])
        self.checkpoints.append((kw["at"], list(spans), list(events), list(kw["open_spans"])))
        super().checkpoint(session_id, spans, events, **kw)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    url = "" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    with RecordingStore.open(url, data_dir=tmp_path) as opened:
        yield opened


async def test_a_meeting_that_ends_is_assembled_saved_and_returned(store: RecordingStore) -> None:
    clock = ManualClock()
    sampler = FakeSampler()
    record = await run_session(
        ScriptedConnector(clock, meeting()),
        sampler,
        settings=settings(),
        store=store,
        clock=clock,
        session_id="s1",
    )
    assert record == store.load("s1")
    assert record.complete
    assert record.duration_s == 100.0
    assert record.started_at == clock.started_at
    people = {a.person: a for a in record.attendees}
    assert people["Ann Lee"].attendance is Attendance.PRESENT
    assert people["Farid Haddad"].attendance is Attendance.ABSENT
    assert people["Ann Lee"].display_names == ("Ann Lee 🌟",)
    assert people["Ann Lee"].seconds_by_state[State.ENGAGED] > 90
    assert [t.person for t in record.turns] == ["Ann Lee", "Bob Nguyen"]
    assert store.unfinished() == []
    # The sampler hears who talks, so detectors learn each person's pose while speaking.
    assert sampler.speech == [(ANN, True), (ANN, False), (BOB, True), (BOB, False)]


async def test_closed_and_open_spans_are_checkpointed_every_interval(
    store: RecordingStore,
) -> None:
    clock = ManualClock()
    record = await run_session(
        ScriptedConnector(clock, meeting(100.0)),
        FakeSampler(),
        settings=settings(),
        store=store,
        clock=clock,
        session_id="s1",
    )
    times = [at for at, *_ in store.checkpoints]
    assert times == [30.0, 60.0, 90.0]
    for at, _, events, open_spans in store.checkpoints:
        assert {s.participant for s in open_spans} == {ANN, BOB}
        assert all(s.end == at for s in open_spans)
        assert not any(isinstance(e, Observation) for e in events)
    checkpointed = [e for _, _, events, _ in store.checkpoints for e in events]
    assert checkpointed[:2] == meeting()[:2]  # both joins went out in the first checkpoint
    closed = [s for _, spans, _, _ in store.checkpoints for s in spans]
    assert set(closed) <= set(record.spans) | {s for s in closed if s.state is State.UNKNOWN}


async def test_until_ends_a_meeting_that_goes_on(store: RecordingStore) -> None:
    clock = ManualClock()
    connector = ScriptedConnector(clock, meeting(80.0, end=False), hang=True)
    record = await run_session(
        connector, FakeSampler(), settings=settings(), store=store, clock=clock, until=60.0
    )
    assert record.duration_s == 60.0
    assert connector.cancelled
    assert store.load(record.session_id) == record


class Hanging:
    """A meeting that goes on after 49 s of script until something ends it."""

    def __init__(self, store: RecordingStore) -> None:
        self.store, self.clock = store, ManualClock()
        self.connector = ScriptedConnector(self.clock, meeting(50.0, end=False), hang=True)

    async def run(self, session_id: str, stop: asyncio.Event | None = None) -> SessionRecord:
        return await run_session(
            self.connector,
            FakeSampler(),
            settings=settings(),
            store=self.store,
            clock=self.clock,
            session_id=session_id,
            stop=stop,
        )

    def saved(self, session_id: str) -> SessionRecord:
        record = self.store.load(session_id)
        assert "ended early: interrupted" in record.notes
        assert record.duration_s == 49.0  # the clock when it was stopped
        assert self.connector.cancelled
        assert self.store.unfinished() == []
        return record


async def test_stop_ends_the_meeting_as_interrupted_and_returns_the_saved_record(
    store: RecordingStore,
) -> None:
    live = Hanging(store)
    stop = asyncio.Event()
    task = asyncio.create_task(live.run("x", stop))
    await live.connector.played.wait()
    stop.set()  # what the first Ctrl-C does (meetbot.terminal.interrupt)
    assert await task == live.saved("x")


@pytest.mark.parametrize("end", ["stop", "until", "cancel"])
async def test_a_meeting_that_ends_before_the_bot_is_admitted_stores_nothing(
    store: RecordingStore, end: str
) -> None:
    clock = ManualClock()
    joining = ScriptedConnector(clock, meeting(60.0), admit=False)
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_session(
            joining,
            FakeSampler(),
            settings=settings(),
            store=store,
            clock=clock,
            session_id="j",
            stop=stop,
            until=None if end != "until" else 0.5,
        )
    )
    await joining.played.wait()  # in the join: begun, not admitted
    assert [s.session_id for s in store.list_sessions()] == ["j"]
    if end == "stop":
        stop.set()  # the first Ctrl-C
    elif end == "until":
        clock.advance(1.0)  # the actor sees the end time pass on its next idle wake-up
    else:
        task.cancel()  # a second Ctrl-C, or a caller giving up
    if end == "cancel":
        with pytest.raises(asyncio.CancelledError):
            await task
    else:
        with pytest.raises(StoppedWhileJoining) as caught:
            await task
        assert caught.value.interrupted is (end == "stop")
        assert "nothing was recorded" in str(caught.value)
    assert store.list_sessions() == []  # no all-absent meeting
    assert store.unfinished() == []


async def test_a_caller_s_timeout_propagates_and_the_record_is_still_saved(
    store: RecordingStore,
) -> None:
    live = Hanging(store)

    async def caller() -> None:
        async with asyncio.timeout(None) as deadline:
            expiry = asyncio.create_task(expire_once_played(deadline))
            await live.run("t")
        expiry.cancel()  # not reached: the deadline passes while the meeting goes on

    async def expire_once_played(deadline: asyncio.Timeout) -> None:
        await live.connector.played.wait()
        deadline.reschedule(asyncio.get_running_loop().time())

    with pytest.raises(TimeoutError):
        await caller()
    record = live.saved("t")
    assert {a.person for a in record.attendees if a.attendance is Attendance.PRESENT} == {
        "Ann Lee",
        "Bob Nguyen",
    }


async def test_a_failing_sibling_task_propagates_and_the_record_is_still_saved(
    store: RecordingStore,
) -> None:
    live = Hanging(store)
    went_on = False

    async def sibling() -> None:
        await live.connector.played.wait()
        raise RuntimeError("the participants' script broke")

    async def caller() -> None:
        nonlocal went_on
        async with asyncio.TaskGroup() as group:
            group.create_task(sibling())
            await live.run("g")
            went_on = True  # a swallowed cancellation would carry on here

    with pytest.raises(ExceptionGroup) as caught:
        await caller()
    assert [str(e) for e in caught.value.exceptions] == ["the participants' script broke"]
    assert not went_on
    live.saved("g")


async def test_opted_out_members_are_excluded_and_never_stored(store: RecordingStore) -> None:
    store.set_opt_out("Farid Haddad", "Riverside", True)
    clock = ManualClock()
    script = [ParticipantJoined(0.0, FARID, "FARID HADDAD (phone)"), *meeting(60.0)]
    sampler = FakeSampler([Observation(float(t), FARID, State.ENGAGED) for t in range(1, 50)])
    record = await run_session(
        ScriptedConnector(clock, script),
        sampler,
        settings=settings(),
        store=store,
        clock=clock,
        session_id="s1",
    )
    assert sampler.excluded == [FARID]
    farid = next(a for a in record.attendees if a.person == "Farid Haddad")
    assert farid.attendance is Attendance.OPTED_OUT
    assert farid.score is None
    assert farid.seconds_by_state == {}
    assert all(s.participant != FARID for s in record.spans)
    stored = [e for _, _, events, _ in store.checkpoints for e in events]
    assert ParticipantJoined(0.0, FARID, "Farid Haddad") in stored
    assert all("(phone)" not in getattr(e, "display_name", "") for e in stored)
    assert all(
        s.participant != FARID for _, spans, _, cut in store.checkpoints for s in spans + cut
    )


async def test_a_failing_connector_still_leaves_a_saved_record(store: RecordingStore) -> None:
    clock = ManualClock()
    connector = ScriptedConnector(
        clock, meeting(40.0, end=False), fail=ConnectError("lost the room for good")
    )
    with pytest.raises(ConnectError, match="lost the room"):
        await run_session(
            connector, FakeSampler(), settings=settings(), store=store, clock=clock, session_id="e"
        )
    record = store.load("e")
    assert "ended by an error: lost the room for good" in record.notes
    assert {a.person for a in record.attendees if a.attendance is Attendance.PRESENT} == {
        "Ann Lee",
        "Bob Nguyen",
    }


async def test_ending_a_session_applies_retention(store: RecordingStore) -> None:
    old = dataclasses.replace(
        records.chapter_session(), started_at=datetime(2025, 6, 1, 18, 0, tzinfo=UTC)
    )
    store.save(old)
    clock = ManualClock()  # starts 2026-01-05: the old session is 218 days older
    await run_session(
        ScriptedConnector(clock, meeting(40.0)),
        FakeSampler(),
        settings=settings(),
        store=store,
        clock=clock,
        session_id="new",
    )
    assert store.load(old.session_id).spans == ()
    assert store.load(old.session_id).attendees == old.attendees
    assert store.load("new").spans != ()


# -- crash recovery with a real process ---------------------------------------------------------


async def _child(url: str) -> None:
    """Run a scripted session that never ends; report each checkpoint on stdout."""

    class Announcing(Store):
        def checkpoint(self, session_id: str, spans: Any, events: Any, **kw: Any) -> None:
            super().checkpoint(session_id, spans, events, **kw)
            print(f"checkpoint {kw['at']}", flush=True)

    clock = ManualClock()
    with Announcing.open(url) as store, stop_on_signals() as stop:  # as `meetbot join` does
        record = await run_session(
            ScriptedConnector(clock, meeting(95.0, end=False), hang=True),
            FakeSampler(),
            settings=settings(),
            store=store,
            clock=clock,
            session_id="crashed",
            stop=stop,
        )
    print(f"returned {record.session_id} {record.duration_s}", flush=True)


def _start_child(url: str) -> subprocess.Popen[str]:
    """Start the scripted session in a child process; return once its 90 s checkpoint is saved.

    Plain subprocess, not asyncio's: asyncio's child watcher under pytest-asyncio sometimes
    loses the exit status ("Unknown child process pid"), which is not what these tests test.
    """
    proc = subprocess.Popen(
        [sys.executable, str(HERE), url], cwd=HERE.parent.parent, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    while (line := proc.stdout.readline()) != "checkpoint 90.0\n":
        if not line:
            proc.kill()
            raise AssertionError("the child session ended before its third checkpoint")
    return proc


def test_ctrl_c_in_a_real_process_saves_and_returns_the_record(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'meetbot.sqlite3'}"
    proc = _start_child(url)
    try:
        proc.send_signal(signal.SIGINT)
        last, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert last == "returned crashed 94.0\n"  # everything the script emitted was folded
    with Store.open(url) as store:
        assert store.unfinished() == []
        record = store.load("crashed")
    assert "ended early: interrupted" in record.notes
    assert record.complete


def test_a_killed_session_is_recovered_from_its_checkpoints(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'meetbot.sqlite3'}"
    proc = _start_child(url)
    try:
        with Store.open(url) as store, pytest.raises(StorageError, match="still being recorded"):
            store.recover("crashed")  # the child is alive: its session is not ours to take
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with Store.open(url) as store:
        assert store.unfinished() == ["crashed"]
        record = store.recover("crashed")
    assert not record.complete
    assert record.duration_s == 90.0  # everything up to the last checkpoint survived
    people = {a.person: a for a in record.attendees}
    assert people["Ann Lee"].attendance is Attendance.PRESENT
    assert people["Ann Lee"].seconds_by_state[State.ENGAGED] > 80
    assert [t.person for t in record.turns] == ["Ann Lee", "Bob Nguyen"]
    assert max(s.end for s in record.spans) == 90.0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    asyncio.run(_child(sys.argv[1]))


async def test_a_final_save_the_database_refuses_waits_in_memory_until_it_answers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[int] = []

    def save() -> None:  # the database is down for two attempts, then back
        attempts.append(1)
        if len(attempts) < 3:
            raise StorageError("cannot save session s1 in postgresql://db: connection refused")

    with caplog.at_level(logging.WARNING, logger="meetbot.session"):
        await saved(save, "s1", within_s=60)
    assert len(attempts) == 3
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2  # one line when it fails, one when it is saved: not one per try
    assert lines[0].startswith("session s1 is not saved yet (cannot save session s1 in ")
    assert "kept in memory" in lines[0]
    assert lines[1] == "session s1 is saved"


async def test_a_final_save_gives_up_after_save_retry_s() -> None:
    attempts: list[int] = []

    def save() -> None:
        attempts.append(1)
        raise StorageError("cannot save session s1: disk full")

    with pytest.raises(StorageError, match="disk full"):
        await saved(save, "s1", within_s=0)
    assert len(attempts) == 1
