"""Post through a channel webhook (MEETBOT_DISCORD_WEBHOOK_URL): no bot, no token.

discord.py's Webhook does the HTTP on the publisher's own aiohttp session. `wait=True` makes
Discord return the created message so its id is recorded. Webhooks take no nonce and cannot read
the channel back, so nothing tells a lost answer from a part never posted: a slow Discord that
creates the message and answers after the timeout would get one copy per try. Hence fewer,
longer tries: each part waits `PATIENCE` times send_timeout_s for its answer, and a try whose
answer never came is not repeated in the same run; the message stays pending for a later run
(at most one copy per run). Parts already answered are recorded at once and never repeated
(see meetbot.publishers.outbox).

Not every try without an answer may have posted, though: discord.py sleeps through a 429 (the
Retry-After Discord gives) inside the same call. A part whose time ran out in that sleep was
refused, so it is "rate limited", retried like any 429, and never called maybe-posted. The
publisher owns its aiohttp session, whose trace (`Answers`) tells the cases apart: what Discord
last answered for the part, or that a request is still out.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from types import SimpleNamespace, TracebackType
from typing import Self

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


@dataclass(slots=True)
class Answers:
    """The webhook session's requests as aiohttp's trace sees them, for the part being sent."""

    requests: int = 0  # requests that went out for this part (discord.py retries some)
    status: int | None = None  # the last one's answer; None: still out (or none yet)
    retry_after: float | None = None  # what a 429 answer asked for
    answered_at: float = 0.0  # loop time of that answer

    def new_part(self) -> None:
        self.requests, self.status, self.retry_after = 0, None, None

    def trace(self) -> aiohttp.TraceConfig:
        config = aiohttp.TraceConfig()
        config.on_request_start.append(self._started)
        config.on_request_end.append(self._ended)
        return config

    async def _started(
        self, s: aiohttp.ClientSession, ctx: SimpleNamespace, p: aiohttp.TraceRequestStartParams
    ) -> None:
        self.requests += 1
        self.status = None

    async def _ended(
        self, s: aiohttp.ClientSession, ctx: SimpleNamespace, p: aiohttp.TraceRequestEndParams
    ) -> None:
        self.status = p.response.status
        self.answered_at = asyncio.get_running_loop().time()
        header = p.response.headers.get("Retry-After")
        try:
            self.retry_after = float(header) if self.status == 429 and header else None
        except ValueError:
            self.retry_after = None

    def not_posted(self) -> DeliveryFailed | None:
        """Why the part that ran out of time was surely not posted, or None if it may have been."""
        if self.requests == 0 or self.status != 429:
            return None
        left = None
        if self.retry_after is not None:
            waited = asyncio.get_running_loop().time() - self.answered_at
            left = max(0.0, self.retry_after - waited)
        return DeliveryFailed(
            "webhook: rate limited (429): Discord refused the part and discord.py was still "
            "waiting out its Retry-After; not posted",
            retryable=True,
            retry_after=left,
        )


class DiscordWebhookPublisher:
    """`async with DiscordWebhookPublisher(url) as publisher:` — it owns its HTTP session."""

    def __init__(
        self,
        url: str,
        *,
        username: str | None = None,
        timeout_s: float = 20.0,
        limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self._url = url
        self._username = username
        self._timeout_s = timeout_s * PATIENCE
        self._limits = limits
        self._answers = Answers()
        self._session: aiohttp.ClientSession | None = None
        self._webhook: discord.Webhook | None = None

    async def __aenter__(self) -> Self:
        session = aiohttp.ClientSession(trace_configs=[self._answers.trace()])
        try:
            self._webhook = parse_webhook(self._url, session)
        except BaseException:
            await session.close()
            raise
        self._session = session
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session, self._session, self._webhook = self._session, None, None
        if session is not None:
            await session.close()

    def cut_off(self) -> DeliveryFailed | None:
        """Why the part the run's deadline cut off was not posted (see KnowsWhyCutOff)."""
        return self._answers.not_posted()

    async def publish(
        self, message: OutgoingMessage, acknowledged: Acknowledged = no_one_listens
    ) -> DeliveryReceipt:
        webhook = self._webhook
        assert webhook is not None, "publish inside `async with DiscordWebhookPublisher(...)`"
        parts = cut(message.post, self._limits)

        async def send(index: int, part: Message) -> discord.WebhookMessage:
            kwargs = send_kwargs(part)
            if self._username:
                kwargs["username"] = self._username
            self._answers.new_part()
            return await webhook.send(wait=True, **kwargs)

        try:
            return await send_in_parts(
                message, parts, send, acknowledged, timeout_s=self._timeout_s, where="webhook"
            )
        except DeliveryFailed as exc:
            if not exc.maybe_posted:
                raise
            refused = self._answers.not_posted()
            if refused is not None:
                raise refused from exc
            raise DeliveryFailed(
                f"{exc}; it may have been posted all the same",
                retryable=True,
                maybe_posted=True,
                retry_now=False,
            ) from exc
