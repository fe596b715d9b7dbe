"""One Discord bot for a region: each chapter's channel sees its own chapter; organisers invite
the bot with /meetbot invite and anyone asks /meetbot next. Real discord.py parsing, the local
fake Discord, real claims (SQLite) and real chapter files."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from discord import app_commands
from fake_discord import GUILD_ID, FakeDiscord, Recorded, guild_create, serve
from test_discord_commands import EPHEMERAL, callback, interaction
from test_publishers_chapter_data import MemoryStore

from meetbot.fleet.chapters import Chapters, load_folder
from meetbot.fleet.claims import Claims, State
from meetbot.fleet.invites import Invitations
from meetbot.publishers.discord_bot import make_client
from meetbot.publishers.discord_commands import NOT_A_CHAPTER_CHANNEL, NOT_ON_ROSTER
from meetbot.publishers.discord_fleet import ORGANISERS_ONLY, FleetCommands
from meetbot.store.database import create_engine

ALDER_CH, BIRCH_CH, ELSEWHERE = 5001, 5002, 5999
ANNA, BART, LEO = 111, 222, 333  # Anna: Alder's chair; Bart: Alder member; Leo: Birch lead
_ids = itertools.count(1)


@dataclass
class Region:
    fake: FakeDiscord
    state: Any
    claims: Claims
    chapters: Chapters

    async def run(
        self, channel: int, who: int, command: str, options: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        iid = str(20_000 + next(_ids))
        payload = interaction(iid, who, command, options or [])
        payload["channel_id"] = str(channel)
        payload["channel"] = {  # as Discord sends it; discord.py reads the id from here
            "id": str(channel),
            "type": 0,
            "guild_id": str(GUILD_ID),
            "name": f"channel-{channel}",
            "position": 0,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
        }

        def mine(reqs: list[Recorded]) -> list[Recorded]:
            return [r for r in reqs if f"/{iid}/" in r.path]

        self.state.parsers["INTERACTION_CREATE"](payload)
        return callback(mine(await self.fake.wait_for(lambda reqs: bool(mine(reqs)))))


def write_chapters(folder: Path) -> Chapters:
    (folder / "alder.toml").write_text(
        '[chapter]\nname = "Alder"\ntimezone = "Europe/London"\nchair = "Anna Chair"\n'
        f"[discord]\nchannel_id = {ALDER_CH}\n"
        f'[[roster]]\nname = "Anna Chair"\ndiscord_id = {ANNA}\n'
        f'[[roster]]\nname = "Bart Member"\ndiscord_id = {BART}\n'
    )
    (folder / "birch.toml").write_text(
        '[chapter]\nname = "Birch"\ntimezone = "America/New_York"\n'
        f"[discord]\nchannel_id = {BIRCH_CH}\n"
        '[schedule]\nweekdays = ["wednesday"]\nstart = "07:30"\n'
        f'[[roster]]\nname = "Leo Lead"\nrole = "lead"\ndiscord_id = {LEO}\n'
    )
    return load_folder(folder)


@pytest.fixture
async def region(tmp_path: Path) -> AsyncIterator[Region]:
    chapters = write_chapters(tmp_path)
    engine = create_engine(f"sqlite:///{tmp_path / 'fleet.sqlite3'}")
    claims = Claims(engine)
    commands = FleetCommands(
        list(chapters.by_name.values()), MemoryStore([]), Invitations(chapters, claims)
    )
    async with serve() as fake, make_client() as client:
        await client.login("bot-token-for-tests")
        tree: app_commands.CommandTree[Any] = app_commands.CommandTree(client)
        tree.add_command(commands)
        client._connection.parsers["GUILD_CREATE"](guild_create())
        yield Region(fake, client._connection, claims, chapters)
    engine.dispose()


def text(answer: dict[str, Any]) -> str:
    assert answer["data"]["flags"] & EPHEMERAL  # always private
    return str(answer["data"]["content"])


async def test_a_lead_invites_the_bot_and_next_says_when(region: Region) -> None:
    assert "no meeting of this chapter planned" in text(await region.run(ALDER_CH, ANNA, "next"))
    link = [
        {"name": "link", "type": 3, "value": "wss://meet.example.org/janus#4321"},
        {"name": "start", "type": 3, "value": "2031-05-06T07:00"},
    ]
    said = text(await region.run(ALDER_CH, ANNA, "invite", link))
    assert said == (
        "meetbot will join Alder's meeting at Tue 06 May 2031 at 07:00 (Europe/London)."
    )
    (row,) = region.claims.all("Alder")
    assert (row.url, row.room, row.one_off, row.state) == (
        "wss://meet.example.org/janus",
        4321,
        True,
        State.DUE,
    )
    assert row.key == "Alder@2031-05-06T06:00:00Z"  # 07:00 BST
    assert "Tue 06 May 2031 at 07:00" in text(await region.run(ALDER_CH, BART, "next"))
    # Birch's channel sees Birch's schedule, not Alder's invitation.
    birch = text(await region.run(BIRCH_CH, LEO, "next"))
    assert "Wed" in birch
    assert "07:30 (America/New_York)" in birch


async def test_members_cannot_invite_and_bad_links_are_one_line(region: Region) -> None:
    link = [{"name": "link", "type": 3, "value": "wss://meet.example.org/janus#4321"}]
    assert text(await region.run(ALDER_CH, BART, "invite", link)) == ORGANISERS_ONLY
    bad = [{"name": "link", "type": 3, "value": "https://zoom.example/j/123"}]
    said = text(await region.run(BIRCH_CH, LEO, "invite", bad))
    assert "is not a meeting link meetbot can join" in said
    assert "\n" not in said
    assert region.claims.all() == []


async def test_a_pasted_zoom_link_is_planned_in_the_web_clients_form(region: Region) -> None:
    # Birch joins Janus by its chapter file; the link says this meeting is on Zoom.
    link = [
        {"name": "link", "type": 3, "value": "https://us02web.zoom.us/j/85012345678?pwd=Ab1"},
        {"name": "start", "type": 3, "value": "2031-05-07T07:30"},
    ]
    said = text(await region.run(BIRCH_CH, LEO, "invite", link))
    assert said.startswith("meetbot will join Birch's meeting at Wed 07 May 2031 at 07:30")
    (row,) = region.claims.all("Birch")
    assert (row.url, row.room) == ("https://us02web.zoom.us/wc/join/85012345678?pwd=Ab1", None)


async def test_each_channel_sees_only_its_chapter(region: Region) -> None:
    # Bart is on Alder's roster: in Birch's channel he is nobody.
    assert text(await region.run(BIRCH_CH, BART, "myscore")) == NOT_ON_ROSTER
    assert text(await region.run(ELSEWHERE, BART, "next")) == NOT_A_CHAPTER_CHANNEL
