"""Slash commands through discord.py's own interaction parsing, answered to a recording server.

Each test hands discord.py a gateway INTERACTION_CREATE payload exactly as the gateway reader
would (the connection state's parser table), lets the CommandTree dispatch it, and checks the
interaction callbacks and follow-ups that reached the local server.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from fake_discord import (
    APP_ID,
    GUILD_ID,
    LEAD_ROLE_ID,
    MEMBER_ROLE_ID,
    FakeDiscord,
    Recorded,
    guild_create,
    serve,
    user,
)
from test_publishers_chapter_data import SETTINGS, MemoryStore, session

from meetbot.domain.chapter import Member
from meetbot.domain.record import SessionRecord, Span
from meetbot.domain.states import Role, State
from meetbot.errors import ConfigError, SessionNotFound, StorageError
from meetbot.publishers.chapter_data import StoreChapterData
from meetbot.publishers.discord_bot import make_client
from meetbot.publishers.discord_commands import (
    LEADS_ONLY,
    NOT_ON_ROSTER,
    SOMETHING_WRONG,
    build_tree,
)
from meetbot.publishers.discord_service import start
from reports.post import Attachment, Audience, Field, Post

EPHEMERAL = 64
ANA, BEN, CARA, STRANGER = 111111111111111111, 222222222222222222, 333333333333333333, 999
ROSTER = (
    Member("Ana Alves", discord_id=ANA),
    Member("Ben Brook", discord_id=BEN),
    Member("Cara Chen", role=Role.LEAD, discord_id=CARA),
    Member("Dev Dole"),  # no Discord account linked
)
# Per-person figures of one small session, as the store would hand them to a card renderer.
SCORES = {"Ana Alves": (41, 47), "Ben Brook": (30, 47), "Cara Chen": (45, 47)}
_ids = itertools.count(1)


@dataclass
class ChapterFake:
    """The ChapterData seam with in-memory figures; records every call it receives."""

    calls: list[tuple[str, ...]] = field(default_factory=list)
    opted_out: set[str] = field(default_factory=set)
    fail: Exception | None = None

    async def member_card(
        self, person: str, session: str | None, language: str | None = None
    ) -> Post:
        self.calls.append(("member_card", person, session or "", language or ""))
        if self.fail:
            raise self.fail
        if session == "nope":
            raise SessionNotFound("no session starts with 'nope'; /meetbot myscore lists none")
        attentive, minutes = SCORES[person]
        return Post(
            Audience.MEMBER,
            f"Your card — {person}",
            f"Attentive for {attentive} of {minutes} minutes of other members' turns.",
        )

    async def comparison(self, sessions: int) -> Post:
        self.calls.append(("comparison", str(sessions)))
        fields = tuple(Field(name, f"{a} of {m} min") for name, (a, m) in SCORES.items())
        chart = Attachment("comparison.png", b"\x89PNG chart")
        return Post(Audience.LEADS, f"Last {sessions} sessions", "", fields, attachments=(chart,))

    async def set_opt_out(self, person: str, opted_out: bool) -> None:
        self.calls.append(("set_opt_out", person, str(opted_out)))
        (self.opted_out.add if opted_out else self.opted_out.discard)(person)

    async def forget(self, person: str) -> int:
        self.calls.append(("forget", person))
        return 3


@dataclass
class Bot:
    fake: FakeDiscord
    data: ChapterFake
    state: Any

    async def run(
        self,
        who: int,
        command: str,
        options: list[dict[str, Any]] | None = None,
        *,
        requests: int = 1,
        dm: bool = False,
        roles: tuple[int, ...] = (),
        locale: str = "en-US",
    ) -> list[Recorded]:
        """Dispatch one /meetbot command; return its `requests` requests once they arrived."""
        iid = str(10_000 + next(_ids))
        payload = interaction(iid, who, command, options or [], dm=dm, roles=roles, locale=locale)

        def mine(reqs: list[Recorded]) -> list[Recorded]:
            # The callback names the interaction id; follow-ups its token.
            return [r for r in reqs if f"/{iid}/" in r.path or f"/tok-{iid}" in r.path]

        self.state.parsers["INTERACTION_CREATE"](payload)  # what the gateway reader does
        return mine(await self.fake.wait_for(lambda reqs: len(mine(reqs)) >= requests))


def interaction(
    iid: str,
    who: int,
    command: str,
    options: list[dict[str, Any]],
    *,
    dm: bool = False,
    roles: tuple[int, ...] = (),
    locale: str = "en-US",
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "id": iid,
        "application_id": str(APP_ID),
        "type": 2,
        "token": f"tok-{iid}",
        "version": 1,
        "channel_id": "424242424242424242",
        "data": {
            "id": "5000",
            "name": "meetbot",
            "type": 1,
            "options": [{"name": command, "type": 1, "options": options}],
        },
        "locale": locale,  # the member's Discord client's language
        "app_permissions": "0",
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(GUILD_ID)},
        "context": 1 if dm else 0,
        "attachment_size_limit": 10 * 1024 * 1024,
    }
    if dm:
        payload["user"] = user(who, f"user{who}")
    else:
        payload["guild_id"] = str(GUILD_ID)
        payload["guild_locale"] = "en-US"
        payload["member"] = {
            "user": user(who, f"user{who}"),
            "roles": [str(r) for r in roles],
            "joined_at": "2025-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": "0",
        }
    return payload


@pytest.fixture
async def bot() -> AsyncIterator[Bot]:
    data = ChapterFake()
    async with serve() as fake, make_client() as client:
        await client.login("bot-token-for-tests")
        build_tree(client, data, ROSTER, lead_role="Chapter Lead", compare_last=6)
        client._connection.parsers["GUILD_CREATE"](guild_create())  # roles, as on connect
        yield Bot(fake, data, client._connection)


def callback(reqs: list[Recorded]) -> dict[str, Any]:
    (cb,) = [r for r in reqs if r.path.endswith("/callback")]
    assert isinstance(cb.payload, dict)
    return cb.payload


def followups(reqs: list[Recorded]) -> list[Recorded]:
    return [r for r in reqs if r.path.startswith(f"/webhooks/{APP_ID}/")]


async def test_myscore_answers_the_caller_privately_with_their_own_card(bot: Bot) -> None:
    reqs = await bot.run(ANA, "myscore", requests=2)
    assert callback(reqs) == {"type": 5, "data": {"flags": EPHEMERAL}}  # deferred, private
    (answer,) = followups(reqs)
    assert answer.payload is not None
    assert answer.payload["flags"] & EPHEMERAL
    (embed,) = answer.payload["embeds"]
    assert embed["title"] == "Your card — Ana Alves"
    assert "41 of 47 minutes" in embed["description"]
    assert bot.data.calls == [("member_card", "Ana Alves", "", "en")]


async def test_myscore_passes_the_session_and_reports_an_unknown_one(bot: Bot) -> None:
    option = [{"name": "session", "type": 3, "value": "nope"}]
    reqs = await bot.run(BEN, "myscore", option, requests=2)
    (answer,) = followups(reqs)
    assert answer.payload is not None
    assert answer.payload["content"].startswith("no session starts with 'nope'")
    assert answer.payload["flags"] & EPHEMERAL
    assert bot.data.calls == [("member_card", "Ben Brook", "nope", "en")]


async def test_someone_not_on_the_roster_gets_a_polite_refusal_and_no_data(bot: Bot) -> None:
    confirm = [{"name": "confirm", "type": 5, "value": True}]
    for command, options in (
        ("myscore", []),
        ("optout", []),
        ("optin", []),
        ("forget", confirm),
        ("compare", []),
    ):
        reqs = await bot.run(STRANGER, command, options)
        answer = callback(reqs)
        assert answer["type"] == 4
        assert answer["data"]["flags"] == EPHEMERAL
        assert answer["data"]["content"] in (NOT_ON_ROSTER, LEADS_ONLY)
    assert bot.data.calls == []  # nothing about anyone was even looked up


async def test_a_member_never_receives_another_members_figures(bot: Bot) -> None:
    reqs = await bot.run(BEN, "myscore", requests=2)
    text = str(followups(reqs)[0].payload)
    assert "Ben Brook" in text
    assert "Ana Alves" not in text
    assert "Cara Chen" not in text
    assert [c[1] for c in bot.data.calls] == ["Ben Brook"]


async def test_compare_is_refused_to_members(bot: Bot) -> None:
    reqs = await bot.run(ANA, "compare", roles=(MEMBER_ROLE_ID,))
    answer = callback(reqs)
    assert (answer["type"], answer["data"]["flags"]) == (4, EPHEMERAL)
    assert answer["data"]["content"] == LEADS_ONLY
    assert bot.data.calls == []


async def test_compare_for_a_roster_lead_is_deferred_then_sends_the_chart(bot: Bot) -> None:
    option = [{"name": "sessions", "type": 4, "value": 4}]
    reqs = await bot.run(CARA, "compare", option, requests=2)
    assert callback(reqs) == {"type": 5, "data": {"flags": EPHEMERAL}}
    (answer,) = followups(reqs)
    assert answer.payload is not None
    assert answer.payload["flags"] & EPHEMERAL
    assert answer.payload["embeds"][0]["title"] == "Last 4 sessions"
    assert answer.files == (("comparison.png", b"\x89PNG chart"),)
    assert bot.data.calls == [("comparison", "4")]


async def test_compare_for_the_discord_lead_role_uses_the_configured_default(bot: Bot) -> None:
    reqs = await bot.run(BEN, "compare", roles=(LEAD_ROLE_ID,), requests=2)
    assert len(followups(reqs)) == 1
    assert bot.data.calls == [("comparison", "6")]


async def test_compare_in_a_dm_without_roster_lead_role_is_refused(bot: Bot) -> None:
    reqs = await bot.run(BEN, "compare", dm=True)
    assert callback(reqs)["data"]["content"] == LEADS_ONLY


async def test_optout_optin_and_forget_change_only_the_callers_data(bot: Bot) -> None:
    out = callback(await bot.run(ANA, "optout"))
    assert out["data"]["flags"] == EPHEMERAL
    assert "will not analyse you" in out["data"]["content"]
    assert bot.data.opted_out == {"Ana Alves"}
    back = callback(await bot.run(ANA, "optin"))
    assert "Welcome back" in back["data"]["content"]
    assert bot.data.opted_out == set()
    kept = callback(await bot.run(BEN, "forget", [{"name": "confirm", "type": 5, "value": False}]))
    assert kept["data"]["content"].startswith("Nothing was deleted.")
    confirm = [{"name": "confirm", "type": 5, "value": True}]
    reqs = await bot.run(BEN, "forget", confirm, requests=2)
    assert callback(reqs) == {"type": 5, "data": {"flags": EPHEMERAL}}
    (done,) = followups(reqs)
    assert done.payload is not None
    assert done.payload["content"].startswith("Deleted your figures from 3 sessions.")
    assert bot.data.calls == [
        ("set_opt_out", "Ana Alves", "True"),
        ("set_opt_out", "Ana Alves", "False"),
        ("forget", "Ben Brook"),
    ]


async def test_a_storage_failure_gets_a_polite_private_apology(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    bot.data.fail = StorageError("database is locked")
    reqs = await bot.run(ANA, "myscore", requests=2)
    (answer,) = followups(reqs)
    assert answer.payload is not None
    assert answer.payload["content"] == SOMETHING_WRONG  # internals stay in the log
    assert answer.payload["flags"] & EPHEMERAL
    (logged,) = [r for r in caplog.records if r.name == "meetbot.publishers.discord_commands"]
    assert logged.exc_info is not None
    assert "database is locked" in str(logged.exc_info[1])


async def test_start_logs_in_and_registers_the_command_group_in_one_server() -> None:
    async with serve() as fake, make_client() as client:
        tree = build_tree(client, ChapterFake(), ROSTER)
        synced = await start(client, tree, "bot-token-for-tests", GUILD_ID)
    assert [c.name for c in synced] == ["meetbot"]
    (put,) = fake.sent(f"/applications/{APP_ID}/guilds/{GUILD_ID}/commands", method="PUT")
    (group,) = put.payload
    assert group["name"] == "meetbot"
    subcommands = {o["name"]: o for o in group["options"]}
    assert list(subcommands) == ["myscore", "compare", "optout", "optin", "forget"]
    assert all(o["type"] == 1 for o in group["options"])
    (confirm,) = subcommands["forget"]["options"]
    assert (confirm["name"], confirm["type"], confirm["required"]) == ("confirm", 5, True)
    (session,) = subcommands["myscore"]["options"]
    assert (session["name"], session["type"], session["required"]) == ("session", 3, False)
    (sessions,) = subcommands["compare"]["options"]
    assert (sessions["type"], sessions["min_value"], sessions["max_value"]) == (4, 2, 52)


async def test_start_explains_a_refused_token() -> None:
    fake = FakeDiscord()
    fake.fail_next("me", 401)
    async with serve(fake), make_client() as client:
        tree = build_tree(client, ChapterFake(), ROSTER)
        with pytest.raises(ConfigError, match="Discord refused MEETBOT_DISCORD_TOKEN"):
            await start(client, tree, "wrong", None)


async def test_real_cards_and_comparison_from_stored_records() -> None:
    data = StoreChapterData(MemoryStore([session(w) for w in range(3)]), SETTINGS)
    roster = tuple(
        Member(name, role=Role.LEAD if name == "Cara Chen" else Role.MEMBER, discord_id=did)
        for name, did in (("Ana Alves", ANA), ("Ben Brook", BEN), ("Cara Chen", CARA))
    )
    async with serve() as fake, make_client() as client:
        await client.login("bot-token-for-tests")
        build_tree(client, data, roster)
        bot = Bot(fake, ChapterFake(), client._connection)
        (card,) = followups(await bot.run(BEN, "myscore", requests=2))
        (chart,) = followups(await bot.run(CARA, "compare", requests=2))
    assert isinstance(card.payload, dict)
    text = str(card.payload["embeds"])
    assert card.payload["embeds"][0]["title"] == "Your meeting on Monday 19 January 2026"
    assert "Ana Alves" not in text
    assert "Cara Chen" not in text
    assert card.payload["flags"] & EPHEMERAL
    ((name, png),) = chart.files
    assert name == "comparison.png"
    assert png.startswith(b"\x89PNG")


async def test_myscore_attaches_the_members_own_pictures_only_to_their_private_reply() -> None:
    def with_states(record: SessionRecord) -> SessionRecord:
        spans = tuple(
            Span(a.participants[0], State.ENGAGED, 0.0, record.duration_s) for a in record.attendees
        )
        return replace(record, spans=spans)

    data = StoreChapterData(MemoryStore([with_states(session(w)) for w in range(3)]), SETTINGS)
    async with serve() as fake, make_client() as client:
        await client.login("bot-token-for-tests")
        build_tree(client, data, ROSTER)
        bot = Bot(fake, ChapterFake(), client._connection)
        reqs = await bot.run(BEN, "myscore", requests=2)
    (card,) = followups(reqs)
    assert isinstance(card.payload, dict)
    assert card.payload["flags"] & EPHEMERAL
    assert [name for name, _ in card.files] == ["your-meeting.png", "your-trend.png"]
    assert all(png.startswith(b"\x89PNG") for _, png in card.files)
    # Nothing else was sent anywhere: the deferral and this one private follow-up.
    assert len(reqs) == 2


async def test_each_member_reads_their_card_in_their_own_language() -> None:
    # An English chapter; Ben's roster entry asks for French, Cara's for nothing.
    data = StoreChapterData(MemoryStore([session(w) for w in range(3)]), SETTINGS)
    roster = (ROSTER[0], replace(ROSTER[1], language="fr"), ROSTER[2])
    async with serve() as fake, make_client() as client:
        await client.login("bot-token-for-tests")
        build_tree(client, data, roster, language=SETTINGS.chapter.language)
        bot = Bot(fake, ChapterFake(), client._connection)

        async def title(who: int, locale: str) -> str:
            (card,) = followups(await bot.run(who, "myscore", requests=2, locale=locale))
            assert isinstance(card.payload, dict)
            return str(card.payload["embeds"][0]["title"])

        # The Discord client's language comes first: a German client in an English chapter.
        assert await title(ANA, "de") == "Ihr Treffen am Montag, 19. Januar 2026"
        assert await title(ANA, "es-ES") == "Su reunión del lunes, 19 de enero de 2026"
        # ... even over the roster entry: Ben's client is English, so English it is.
        assert await title(BEN, "en-GB") == "Your meeting on Monday 19 January 2026"
        # A client language meetbot does not ship: the roster entry's, then the chapter's.
        assert await title(BEN, "ja") == "Votre réunion du lundi 19 janvier 2026"
        assert await title(CARA, "ja") == "Your meeting on Monday 19 January 2026"
