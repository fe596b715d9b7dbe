"""Post to a channel as the bot (MEETBOT_DISCORD_TOKEN), through discord.py's own HTTP client.

No gateway connection is needed to post: a logged-in `discord.Client` and a PartialMessageable
for the channel id are enough. The caller owns the client (`async with client:`); the publisher
logs it in on first use when given the token, so a Discord outage at start-up is an ordinary
retryable failure of the first message instead of a crash.
"""

from __future__ import annotations

import asyncio

import discord

from meetbot.publishers.base import (
    Acknowledged,
    DeliveryFailed,
    DeliveryReceipt,
    OutgoingMessage,
    no_one_listens,
)
from meetbot.publishers.discord_limits import DEFAULT_LIMITS, Limits, Message
from meetbot.publishers.discord_wire import cut, failure, send_in_parts, send_kwargs


def make_client() -> discord.Client:
    """A client with the default intents: slash commands and posting need nothing privileged."""
    # meetbot never joins voice; without this every run warns that PyNaCl/davey are missing.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False
    # Rate-limit waits longer than 30 s (discord.py's minimum for this) come back as
    # RateLimited, so the outbox schedules the retry instead of a request hanging that long.
    return discord.Client(intents=discord.Intents.default(), max_ratelimit_timeout=30.0)


class DiscordBotPublisher:
    def __init__(
        self,
        client: discord.Client,
        channel_id: int,
        *,
        token: str | None = None,
        timeout_s: float = 20.0,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self._client = client
        self._channel_id = channel_id
        self._token = token
        self._timeout_s = timeout_s
        self._limits = limits
        self._login = asyncio.Lock()

    async def _logged_in(self) -> None:
        async with self._login:
            if self._client.user is None:
                if not self._token:
                    raise DeliveryFailed(
                        "the Discord client is not logged in and no token was given; "
                        "export MEETBOT_DISCORD_TOKEN",
                        retryable=False,
                    )
                try:
                    await self._client.login(self._token)
                except BaseException:
                    await self._forget_failed_login()
                    raise

    async def _forget_failed_login(self) -> None:
        # discord.py opens a new aiohttp session on every login attempt and keeps only the
        # last; close the failed one so retries do not leak sessions, and drop its connector
        # (closed with the session) so the next attempt builds a fresh one.
        if self._client.user is None:
            await self._client.http.close()
            self._client.http.connector = discord.utils.MISSING

    async def publish(
        self, message: OutgoingMessage, acknowledged: Acknowledged = no_one_listens
    ) -> DeliveryReceipt:
        parts = cut(message.post, self._limits)
        where = f"channel {self._channel_id}"
        try:
            async with asyncio.timeout(self._timeout_s):
                await self._logged_in()
        except DeliveryFailed:
            raise
        except Exception as exc:
            raise failure(exc, f"{where} (login)") from exc
        channel = self._client.get_partial_messageable(self._channel_id)

        async def send(index: int, part: Message) -> discord.Message:
            # The nonce makes Discord return the existing message if this very part was
            # accepted before a crash or a lost response (enforce_nonce).
            return await channel.send(nonce=message.part_nonce(index), **send_kwargs(part))

        return await send_in_parts(
            message, parts, send, acknowledged, timeout_s=self._timeout_s, where=where
        )
