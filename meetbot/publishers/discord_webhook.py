"""Post through a channel webhook (MEETBOT_DISCORD_WEBHOOK_URL): no bot, no token.

discord.py's Webhook does the HTTP; the caller owns the aiohttp session. `wait=True` makes
Discord return the created message so its id is recorded. Webhooks take no nonce, so a crash
between Discord accepting a part and the outbox recording it can repeat that one part (see
meetbot.publishers.outbox).
"""

from __future__ import annotations

import asyncio

import aiohttp
import discord

from meetbot.errors import ConfigError
from meetbot.publishers.base import DeliveryReceipt, OutgoingMessage, Status
from meetbot.publishers.discord_limits import DEFAULT_LIMITS, Limits
from meetbot.publishers.discord_wire import cut, failure, send_kwargs


def parse_webhook(url: str, session: aiohttp.ClientSession) -> discord.Webhook:
    try:
        return discord.Webhook.from_url(url, session=session)
    except ValueError:
        raise ConfigError(
            "MEETBOT_DISCORD_WEBHOOK_URL is not a Discord webhook URL; copy it from the "
            "channel's Integrations → Webhooks (https://discord.com/api/webhooks/ID/TOKEN)"
        ) from None


class DiscordWebhookPublisher:
    def __init__(
        self,
        url: str,
        session: aiohttp.ClientSession,
        *,
        username: str | None = None,
        timeout_s: float = 20.0,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self._webhook = parse_webhook(url, session)
        self._username = username
        self._timeout_s = timeout_s
        self._limits = limits

    async def publish(self, message: OutgoingMessage) -> DeliveryReceipt:
        parts = cut(message.post, self._limits)
        sent = list(message.sent_parts)
        for index, part in enumerate(parts):
            if index < len(sent):
                continue
            kwargs = send_kwargs(part)
            if self._username:
                kwargs["username"] = self._username
            try:
                async with asyncio.timeout(self._timeout_s):
                    posted = await self._webhook.send(wait=True, **kwargs)
            except Exception as exc:
                raise failure(exc, tuple(sent), "webhook") from exc
            sent.append(str(posted.id))
        return DeliveryReceipt(message.id, message.destination, Status.SENT, tuple(sent))
