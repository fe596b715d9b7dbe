"""Post through a channel webhook (MEETBOT_DISCORD_WEBHOOK_URL): no bot, no token.

discord.py's Webhook does the HTTP; the caller owns the aiohttp session. `wait=True` makes
Discord return the created message so its id is recorded. Webhooks take no nonce, so a part whose
answer is lost (a crash, a cut at the deadline) can go out twice; parts already answered are
recorded at once and never repeated (see meetbot.publishers.outbox).
"""

from __future__ import annotations

import aiohttp
import discord

from meetbot.errors import ConfigError
from meetbot.publishers.base import Acknowledged, DeliveryReceipt, OutgoingMessage, no_one_listens
from meetbot.publishers.discord_limits import DEFAULT_LIMITS, Limits, Message
from meetbot.publishers.discord_wire import cut, send_in_parts, send_kwargs


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

    async def publish(
        self, message: OutgoingMessage, acknowledged: Acknowledged = no_one_listens
    ) -> DeliveryReceipt:
        parts = cut(message.post, self._limits)

        async def send(index: int, part: Message) -> discord.WebhookMessage:
            kwargs = send_kwargs(part)
            if self._username:
                kwargs["username"] = self._username
            return await self._webhook.send(wait=True, **kwargs)

        return await send_in_parts(
            message, parts, send, acknowledged, timeout_s=self._timeout_s, where="webhook"
        )
