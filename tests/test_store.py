"""The session store on a real SQLite file and on a real PostgreSQL server the tests start."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import records
import sqlalchemy as sa

from meetbot.config import load as load_config
from meetbot.domain.chapter import Chapter, Member
from meetbot.domain.events import (
    Event,
    MeetingEnded,
    Observation,
    ParticipantId,
    ParticipantJoined,
    ParticipantLeft,
    SpeechChanged,
)
from meetbot.domain.header import SessionHeader
from meetbot.domain.record import Span
from meetbot.domain.states import Attendance, State
from meetbot.errors import SessionNotFound, StorageError
from meetbot.store import SQLITE_FILE, SessionStatus, Store, codec, schema

P = ParticipantId


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    url = "" if request.param == "sqlite" else request.getfixturevalue("pg_url")
    with Store.open(url, data_dir=tmp_path) as opened:
        yield opened


def test_sqlite_file_lives_in_the_data_directory(tmp_path: Path) -> None:
    with Store.open(data_dir=tmp_path / "home") as store:
        store.save(records.small_session())
    file = tmp_path / "home" / SQLITE_FILE
    assert file.stat().st_mode & 0o777 == 0o600  # personal data: the user's eyes only
    with Store.open(data_dir=tmp_path / "home") as again:
        assert again.load("2026-03-04-tiny") == records.small_session()
        with again.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_record_round_trips_exactly(store: Store) -> None:
    record = records.chapter_session()
    store.save(record)
    assert store.load(record.session_id) == record


def test_saving_again_replaces_the_record(store: Store) -> None:
    record = records.chapter_session()
    store.save(record)
    shorter = dataclasses.replace(record, spans=record.spans[:1], attendees=record.attendees[:2])
    store.save(shorter)
    assert store.load(record.session_id) == shorter


def test_load_accepts_a_unique_prefix_and_explains_misses(store: Store) -> None:
    for record in records.earlier_sessions()[:2]:
        store.save(record)
    store.save(records.chapter_session())
    assert store.load("2026-03-03").session_id == "2026-03-03-riverside"
    with pytest.raises(SessionNotFound, match="several sessions"):
        store.load("2026-")
    with pytest.raises(SessionNotFound, match=r"no stored session matches 'zzz'; recent"):
        store.load("zzz")
    with pytest.raises(SessionNotFound, match="matches"):
        store.load("2026%")  # LIKE wildcards are literal


def test_list_sessions_newest_first_by_chapter(store: Store) -> None:
    earlier = records.earlier_sessions()
    for record in (*earlier, records.chapter_session(), records.small_session()):
        store.save(record)
    listed = store.list_sessions(records.CHAPTER)
    assert [s.session_id for s in listed] == [
        r.session_id
        for r in sorted((*earlier, records.chapter_session()), key=lambda r: r.started_at)[::-1]
    ]
    assert [s.session_id for s in store.list_sessions(limit=1)] == ["2026-03-04-tiny"]
    assert listed[0].status is SessionStatus.SAVED
    assert listed[0].complete


def test_finished_sessions_are_queried_oldest_first_without_running_ones(store: Store) -> None:
    earlier = records.earlier_sessions()
    latest = records.chapter_session()
    for record in (*earlier, latest, records.small_session()):
        store.save(record)
    running = SessionHeader("live", Chapter(records.CHAPTER), latest.started_at, "janus", "1")
    store.begin(running)  # newest of all, but not finished
    by_start = [r.session_id for r in sorted((*earlier, latest), key=lambda r: r.started_at)]
    found = store.finished_sessions(records.CHAPTER, limit=2)
    assert [r.session_id for r in found] == by_start[-2:]
    assert found[-1] == store.load(latest.session_id)
    before = store.finished_sessions(
        records.CHAPTER, limit=10, until=latest.started_at, exclude=latest.session_id
    )
    assert [r.session_id for r in before] == by_start[:-1]
    assert [r.session_id for r in store.finished_sessions(limit=1)] == ["2026-03-04-tiny"]
    assert store.finished_sessions("Nobody's Chapter", limit=5) == []


def test_history_finds_a_person_by_any_spelling_newest_first(store: Store) -> None:
    for record in (*records.earlier_sessions(), records.chapter_session()):
        store.save(record)
    history = store.history("ALICE carter", records.CHAPTER, limit=3)
    assert [r.session_id for r in history] == [
        s.session_id for s in store.list_sessions(records.CHAPTER, 3)
    ]
    assert all(any(a.person == "Alice Carter" for a in r.attendees) for r in history)
    assert store.history("Nobody Here", records.CHAPTER, None) == []


def test_retention_purges_spans_and_keeps_aggregates(store: Store) -> None:
    old = records.chapter_session()
    new = dataclasses.replace(
        old, session_id="recent", started_at=old.started_at + timedelta(days=200)
    )
    store.save(old)
    store.save(new)
    now = old.started_at + timedelta(days=181)
    assert store.purge(now, retention_days=180) == 1
    assert store.purge(now, retention_days=180) == 0  # nothing left to purge
    purged = store.load(old.session_id)
    assert purged.spans == ()
    assert purged.attendees == old.attendees
    assert purged.turns == old.turns
    assert store.load("recent").spans == new.spans


def test_forget_removes_a_person_everywhere_and_keeps_the_others(store: Store) -> None:
    for record in (*records.earlier_sessions(), records.chapter_session()):
        store.save(record)
    sessions_with_jon = len(store.history("Jon Park", records.CHAPTER))
    jon = next(a for a in records.chapter_session().attendees if a.person == "Jon Park")
    assert store.forget("jon park") == sessions_with_jon > 1
    assert store.history("Jon Park") == []
    latest = store.load(records.chapter_session().session_id)
    assert all(a.person != "Jon Park" for a in latest.attendees)
    assert latest.spans  # everyone else's stay
    assert not [s for s in latest.spans if s.participant in jon.participants]
    jon_turn = next(t for t in latest.turns if t.start == 700)
    assert jon_turn.person is None
    assert jon_turn.label == ""
    assert any(a.person == "Alice Carter" for a in latest.attendees)
    assert store.forget("Jon Park") == 0


def test_forget_matches_display_names_and_running_sessions(store: Store) -> None:
    store.save(records.chapter_session())
    assert store.forget("Erin O'Brien | Acme") == 1
    store.begin(SessionHeader("live", Chapter(name="C"), records.START, "janus", "1"))
    joined = ParticipantJoined(1.0, P("f1"), "Kim Ode (phone)")
    store.checkpoint("live", [Span(P("f1"), State.ENGAGED, 1.0, 9.0)], [joined], at=10.0)
    assert store.forget("Kim Ode") == 1
    with store.engine.connect() as conn:
        for table in (schema.spans, schema.events):
            query = sa.select(sa.func.count()).where(table.c.session_id == "live")
            assert conn.execute(query).scalar() == 0


def test_opted_out_people_are_stored_as_opted_out_only(store: Store) -> None:
    store.set_opt_out("Jon Park", records.CHAPTER, True)
    store.set_opt_out("Ann Lee", "Tiny Chapter", True)
    store.set_opt_out("Ann Lee", "Tiny Chapter", False)
    assert store.opted_out(records.CHAPTER) == {"Jon Park"}
    assert store.opted_out("Tiny Chapter") == set()
    store.save(records.chapter_session())
    seen = next(a for a in records.chapter_session().attendees if a.person == "Jon Park")
    jon = next(a for a in store.load("2026-03-03").attendees if a.person == "Jon Park")
    assert jon.attendance is Attendance.OPTED_OUT
    assert (jon.participants, jon.display_names, jon.score, jon.seconds_by_state) == (
        (),
        (),
        None,
        {},
    )
    loaded = store.load("2026-03-03")
    assert loaded.spans  # everyone else's stay
    assert not [s for s in loaded.spans if s.participant in seen.participants]
    assert next(t for t in loaded.turns if t.start == 700).person is None


def test_checkpoints_then_recovery_build_an_incomplete_record(store: Store) -> None:
    chapter = Chapter(name="C", roster=(Member("Ann Lee"),))
    store.begin(SessionHeader("s1", chapter, records.START, "janus", "1"))
    events: list[Event] = [
        ParticipantJoined(0.0, P("a"), "Ann Lee"),
        SpeechChanged(5.0, P("a"), True),
    ]
    store.checkpoint(
        "s1",
        [Span(P("a"), State.UNKNOWN, 0.0, 3.0)],
        [*events, Observation(4.0, P("a"), State.ENGAGED)],
        at=30.0,
        open_spans=[Span(P("a"), State.ENGAGED, 3.0, 30.0)],
    )
    store.checkpoint(
        "s1",
        [],
        [ParticipantLeft(50.0, P("a"))],
        at=60.0,
        open_spans=[Span(P("a"), State.ENGAGED, 3.0, 50.0)],
    )
    assert store.unfinished() == ["s1"]
    assert store.list_sessions()[0].status is SessionStatus.RUNNING
    with pytest.raises(SessionNotFound, match="still running, or its process stopped"):
        store.load("s1")
    with pytest.raises(StorageError, match="already stored"):
        store.begin(SessionHeader("s1", chapter, records.START, "janus", "1"))

    record = store.recover("s1")
    assert not record.complete
    assert record.duration_s == 60.0
    assert record.spans == (
        Span(P("a"), State.UNKNOWN, 0.0, 3.0),
        Span(P("a"), State.ENGAGED, 3.0, 50.0),
    )
    assert "rebuilt from data saved up to 60 s" in record.notes[0]
    assert store.unfinished() == []
    assert store.load("s1") == record
    assert store.list_sessions()[0].status is SessionStatus.RECOVERED
    with pytest.raises(StorageError, match="not running"):
        store.checkpoint("s1", [], [MeetingEnded(61.0)])


def test_a_session_another_machine_still_writes_is_not_recovered(store: Store) -> None:
    store.begin(SessionHeader("remote", Chapter(name="C"), records.START, "janus", "1"))
    sessions = schema.sessions
    fresh = sessions.update().values(writer="elsewhere.example:4242", heartbeat=time.time() - 60)
    with store.engine.begin() as conn:
        conn.execute(fresh)
    with pytest.raises(StorageError, match=r"still being recorded by elsewhere.example:4242"):
        store.recover("remote")
    with store.engine.begin() as conn:  # silent for longer than a live session ever is
        conn.execute(sessions.update().values(heartbeat=time.time() - 3600))
    assert not store.recover("remote").complete


def test_an_old_schema_is_upgraded_on_open(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / SQLITE_FILE}")
    record = records.small_session()
    with engine.begin() as conn:
        schema.migrate(conn, target=1)
        # A v1 row: attendees inline as JSON in the sessions table.
        conn.execute(
            sa.text(
                "INSERT INTO sessions VALUES (:sid, :chapter, :t, 1800, 'janus', '7', 'saved', 1,"
                " 1800, '{}', :header, :people, 0)"
            ),
            {
                "sid": record.session_id,
                "chapter": record.chapter,
                "t": record.started_at.timestamp(),
                "header": json.dumps(codec.record_header(record)),
                "people": json.dumps(codec.to_data(record.attendees)),
            },
        )
    engine.dispose()
    with Store.open(data_dir=tmp_path) as store:
        assert store.migrated_from == 1
        # v1 kept no per-second spans.
        assert store.load(record.session_id) == dataclasses.replace(record, spans=())
        assert [r.session_id for r in store.history("Bo Chen")] == [record.session_id]
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT attendees FROM sessions")).scalar() == "[]"
            version = conn.execute(sa.text("SELECT version FROM schema_version")).scalar()
            assert version == schema.LATEST
    with Store.open(data_dir=tmp_path) as again:
        assert again.migrated_from == schema.LATEST


@pytest.mark.postgres
def test_two_processes_can_open_a_new_postgres_database_at_once(
    request: pytest.FixtureRequest,
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    url = request.getfixturevalue("pg_url")
    # Two engines = two server sessions, like the bot service and a meeting starting together.
    with ThreadPoolExecutor(2) as pool:
        stores = list(pool.map(lambda _: Store.open(url), range(2)))
    assert sorted(s.migrated_from for s in stores) == [0, schema.LATEST]
    for s in stores:
        s.close()


def test_a_newer_schema_is_refused_with_advice(tmp_path: Path) -> None:
    with Store.open(data_dir=tmp_path) as store, store.engine.begin() as conn:
        conn.execute(schema.schema_version.update().values(version=schema.LATEST + 1))
    with pytest.raises(StorageError, match=r"newer than this meetbot knows.*upgrade meetbot"):
        Store.open(data_dir=tmp_path)


def test_settings_open_the_configured_store(tmp_path: Path) -> None:
    settings = load_config(None, env={"MEETBOT_STORAGE__URL": f"sqlite:///{tmp_path / 'x.db'}"})
    with Store.open(settings) as store:
        store.save(records.small_session())
        assert store.retention_days == settings.storage.retention_days
    assert (tmp_path / "x.db").is_file()


def test_bad_urls_and_unreachable_databases_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="not a usable database URL"):
        Store.open("nonsense://x")
    missing = tmp_path / "no-such-socket-dir"
    with pytest.raises(StorageError, match=r"cannot open the session database.*reachable"):
        Store.open(f"postgresql://nobody@/db?host={missing}")
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError, match="set MEETBOT_HOME"):
        Store.open(data_dir=blocker / "sub")


def test_database_failures_become_one_storage_error(store: Store) -> None:
    with store.engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE attendees"))  # a database damaged behind our back
    with pytest.raises(StorageError, match=r"^cannot save session 2026-03-04-tiny in .*reachable"):
        store.save(records.small_session())


def test_started_at_keeps_utc(store: Store) -> None:
    record = dataclasses.replace(
        records.small_session(), started_at=datetime(2026, 7, 1, 12, 0, 0, 500000, tzinfo=UTC)
    )
    store.save(record)
    assert store.load(record.session_id).started_at == record.started_at


def test_a_server_that_accepts_but_never_answers_gives_up_with_one_line() -> None:
    import socket
    import threading

    from meetbot.store import database

    held: list[socket.socket] = []
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]

        def accept_and_stay_silent() -> None:
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

        threading.Thread(target=accept_and_stay_silent, daemon=True).start()
        outcome: list[BaseException | None] = []

        def open_store() -> None:
            try:
                Store.open(f"postgresql://meetbot@127.0.0.1:{port}/meetbot").close()
                outcome.append(None)
            except BaseException as exc:  # handed to the test thread
                outcome.append(exc)

        opener = threading.Thread(target=open_store, daemon=True)
        opener.start()
        # Generous on a busy machine; without a connect timeout this waits forever.
        opener.join(database.CONNECT_TIMEOUT_S + 50)
        hung = opener.is_alive()
        for conn in held:
            conn.close()  # lets a hung opener fail now rather than outlive the test
    assert not hung, "opening the store hung on a server that never answers"
    assert len(outcome) == 1
    assert isinstance(outcome[0], StorageError), outcome
    message = str(outcome[0])
    assert "\n" not in message
    assert re.search(r"cannot open the session database.*reachable", message), message


@pytest.mark.postgres
def test_postgres_sessions_have_a_statement_timeout(pg_url: str) -> None:
    from meetbot.store import database

    with Store.open(pg_url) as store, store.engine.connect() as conn:
        shown = conn.exec_driver_sql("SHOW statement_timeout").scalar()
    assert shown == f"{database.STATEMENT_TIMEOUT_MS // 1000}s" or shown == "1min", shown
