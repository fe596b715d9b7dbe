"""Post through a channel webhook (MEETBOT_DISCORD_WEBHOOK_URL): no bot, no token.

discord.py's Webhook does the HTTP; the caller owns the aiohttp session. `wait=True` makes
Discord return the created message so its id is recorded. Webhooks take no nonce and cannot read
the channel back, so nothing tells a lost answer from a part never posted: a slow Discord that
creates the message and answers after the timeout would get one copy per try. Hence fewer,
longer tries: each part waits `PATIENCE` times send_timeout_s for its answer, and a try whose
answer never came is not repeated in the same run; the message stays pending for a later run
(at most one copy per run). Parts already answered are recorded at once and never repeated
(see meetbot.publishers.outbox).
"""

from __future__ import annotations

import aiohttp
import discord

from meetbot.errors import ConfigError
from meetbot.publishers.base import (
    Acknowledged,
    DeliveryFailed,
    DeliveryReceipt,
    OutgoingMessage,
    no_one_listens,
)
from meetbot.publishers.discord_limits import DEFAULT_LIMITS, Limits, Message
from meetbot.publishers.discord_wire import cut, send_in_parts, send_kwargs

# How many times send_timeout_s a webhook part waits for its answer (see above).
PATIENCE = 3.0


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
        self._timeout_s = timeout_s * PATIENCE
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

        try:
            return await send_in_parts(
                message, parts, send, acknowledged, timeout_s=self._timeout_s, where="webhook"
            )
        except DeliveryFailed as exc:
            if not exc.maybe_posted:
                raise
            raise DeliveryFailed(
                f"{exc}; it may have been posted all the same",
                retryable=True,
                maybe_posted=True,
                retry_now=False,
            ) from exc
