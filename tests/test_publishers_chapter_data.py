"""StoreChapterData: the real report renderers over small in-memory session records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from meetbot.config.schema import ChapterSection, Settings
from meetbot.domain.chapter import Chapter
from meetbot.domain.events import ParticipantId
from meetbot.domain.header import SessionHeader
from meetbot.domain.record import Attendee, ListeningScore, SessionRecord, Turn
from meetbot.domain.states import Attendance, Role
from meetbot.errors import SessionNotFound
from meetbot.publishers.chapter_data import StoreChapterData
from meetbot.publishers.outbox import Outbox
from meetbot.store import Store
from reports.post import Audience

NAMES = ("Ana Alves", "Ben Brook", "Cara Chen", "Dev Dole", "Eli Eze", "Fay Fox")
SETTINGS = Settings(chapter=ChapterSection("Riverside", timezone="Europe/London"))


def session(week: int) -> SessionRecord:
    """A one-hour meeting in which each member attends; attentiveness differs per person."""

    def member(i: int, name: str) -> Attendee:
        attentive = 1500.0 + 150 * i + 30 * week
        return Attendee(
            person=name,
            role=Role.MEMBER,
            attendance=Attendance.PRESENT,
            display_names=(name,),
            participants=(ParticipantId(f"{name}-{week}"),),
            joined_at=0.0,
            left_at=3600.0,
            present_s=3600.0,
            camera_on_s=3600.0,
            own_turn_s=55.0,
            turns=1,
            score=ListeningScore(100 * attentive / 2820, attentive, 2820.0, 2820.0, 0.0),
        )

    return SessionRecord(
        session_id=f"2026-01-{5 + 7 * week:02d}-riverside",
        chapter="Riverside",
        started_at=datetime(2026, 1, 5, 7, tzinfo=UTC) + timedelta(weeks=week),
        duration_s=3600.0,
        platform="janus",
        room="1234",
        attendees=tuple(member(i, n) for i, n in enumerate(NAMES)),
        turns=tuple(Turn(60.0 * i, 60.0 * i + 55, n) for i, n in enumerate(NAMES)),
    )


@dataclass
class MemoryStore:
    """The SessionStore methods over a list of records, newest last."""

    records: list[SessionRecord]
    opt_outs: dict[str, bool] = field(default_factory=dict)

    def load(self, session: str) -> SessionRecord:
        found = [r for r in self.records if r.session_id.startswith(session)]
        if len(found) != 1:
            raise SessionNotFound(f"no single session starts with {session!r}")
        return found[0]

    def finished_sessions(self, chapter: str, *, limit: int) -> Sequence[SessionRecord]:
        mine = [r for r in self.records if r.chapter == chapter]
        return mine[max(len(mine) - limit, 0) :]

    def history(self, person: str, chapter: str, limit: int) -> Sequence[SessionRecord]:
        return list(reversed(self.records))[:limit]

    def set_opt_out(self, person: str, chapter: str, opted_out: bool) -> None:
        self.opt_outs[person] = opted_out

    def forget(self, person: str) -> int:
        before = self.records
        self.records = [
            replace(r, attendees=tuple(a for a in r.attendees if a.person != person))
            for r in before
        ]
        return len(before)


@pytest.fixture
def data() -> StoreChapterData:
    return StoreChapterData(MemoryStore([session(w) for w in range(4)]), SETTINGS)


async def test_the_card_defaults_to_the_latest_session_and_is_the_callers_own(
    data: StoreChapterData,
) -> None:
    card = await data.member_card("Ben Brook", None)
    assert card.audience is Audience.MEMBER
    assert card.title == "Your meeting on Monday 26 January 2026"
    text = card.body + " ".join(f.value for f in card.fields)
    assert "Ana Alves" not in text
    assert "Cara Chen" not in text
    assert any(f.name == "Trend" for f in card.fields)


async def test_the_card_for_a_named_session_prefix(data: StoreChapterData) -> None:
    card = await data.member_card("Ana Alves", "2026-01-12")
    assert card.title == "Your meeting on Monday 12 January 2026"


async def test_an_unknown_session_is_a_session_not_found(data: StoreChapterData) -> None:
    with pytest.raises(SessionNotFound):
        await data.member_card("Ana Alves", "1999")


async def test_comparison_brings_its_chart(data: StoreChapterData) -> None:
    post = await data.comparison(3)
    assert post.audience is Audience.LEADS
    (chart,) = post.attachments
    assert chart.data.startswith(b"\x89PNG")


async def test_nothing_stored_yet() -> None:
    empty = StoreChapterData(MemoryStore([]), SETTINGS)
    with pytest.raises(SessionNotFound, match="no finished sessions of Riverside are stored yet"):
        await empty.comparison(6)
    with pytest.raises(SessionNotFound):
        await empty.member_card("Ana Alves", None)


async def test_a_card_is_in_the_chapters_language() -> None:
    settings = replace(SETTINGS, chapter=replace(SETTINGS.chapter, language="pt-BR"))
    data = StoreChapterData(MemoryStore([session(w) for w in range(3)]), settings)
    card = await data.member_card("Cara Chen", None)
    assert card.title == "Sua reunião de segunda-feira, 19 de janeiro de 2026"
    assert [f.name for f in card.fields] == [
        "Pontuação de atenção",
        "Sua participação",
        "Tendência",
    ]
    leads = await data.comparison(3)
    assert leads.title == "Comparação do grupo — de 5 de jan. de 2026 a 19 de jan. de 2026"


async def test_opt_out_and_forget_reach_the_store() -> None:
    store = MemoryStore([session(0), session(1)])
    data = StoreChapterData(store, SETTINGS)
    await data.set_opt_out("Ana Alves", True)
    assert store.opt_outs == {"Ana Alves": True}
    assert await data.forget("Ana Alves") == 2
    assert all("Ana Alves" not in [a.person for a in r.attendees] for r in store.records)


async def test_with_the_real_store_on_sqlite_beside_the_outbox(tmp_path: Path) -> None:
    store = Store.open("", data_dir=tmp_path)
    for week in range(3):
        store.save(session(week))
    # A meeting in progress is newer than all of them, but has no figures yet.
    store.begin(
        SessionHeader(
            "2026-01-26-riverside", Chapter("Riverside"), session(3).started_at, "janus", "1234"
        )
    )
    data = StoreChapterData(store, SETTINGS)
    card = await data.member_card("Cara Chen", None)
    assert card.title == "Your meeting on Monday 19 January 2026"
    assert any(f.name == "Trend" for f in card.fields)
    post = await data.comparison(6)
    assert post.attachments[0].data.startswith(b"\x89PNG")
    await data.set_opt_out("Cara Chen", True)
    assert store.opted_out("Riverside") == {"Cara Chen"}
    assert await data.forget("Cara Chen") == 3
    # The outbox shares the database file.
    outbox = Outbox(store.engine)
    outbox.enqueue("console", card, "card:test")
    assert sa.inspect(store.engine).has_table("outbox_messages")
    store.close()
