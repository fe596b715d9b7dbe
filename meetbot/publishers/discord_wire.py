"""Between our plain messages and discord.py: embeds, files, the API base, and error meaning.

Both the bot and the webhook publisher go through discord.py's own HTTP code; this module
builds its arguments, sends a message's parts in order (reporting each one Discord accepts),
and translates its exceptions into `DeliveryFailed`, deciding once what is worth retrying
(rate limits, 5xx, timeouts, network) and what needs a person (token, 403, 404).
"""

from __future__ import annotations

import asyncio
import io
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from meetbot.errors import ConfigError, PublishError
from meetbot.publishers.base import (
    Acknowledged,
    DeliveryFailed,
    DeliveryReceipt,
    OutgoingMessage,
    Status,
)
from meetbot.publishers.discord_limits import Embed, Limits, Message, split
from reports.post import Post

API_BASE_ENV = "MEETBOT_DISCORD_API_BASE"
DEFAULT_API_BASE = "https://discord.com/api/v10"
GATEWAY_ENV = "MEETBOT_DISCORD_GATEWAY"
DEFAULT_GATEWAY = "wss://gateway.discord.gg/"
EMBED_COLOUR = discord.Colour(0x3B82F6)  # a calm blue: recaps are information, not alarms


def use_api_base(base: str | None) -> str:
    """Point discord.py (bot and webhooks alike) at `base`; '' or None restores Discord's.

    For HTTP proxies that speak Discord's API and for tests against a local server.
    discord.py keeps the base in one class attribute, so this is process-wide.
    """
    base = (base or DEFAULT_API_BASE).rstrip("/")
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", base):
        raise ConfigError(
            f"{API_BASE_ENV} must be an http(s) URL such as http://127.0.0.1:8080/api/v10, "
            f"got {base!r}"
        )
    if not re.search(r"/api/v\d+$", base):
        base += "/api/v10"
    Route.BASE = base
    return base


def current_api_base() -> str:
    return Route.BASE


def use_gateway(url: str | None) -> str:
    """Point the bot's gateway WebSocket at `url`; '' or None restores Discord's.

    discord.py does not derive the gateway from the API base (it has its own class default),
    so a test server or a proxy that also relays the gateway sets both.
    """
    url = url or DEFAULT_GATEWAY
    if not re.fullmatch(r"wss?://[^\s/]+(/\S*)?", url):
        raise ConfigError(
            f"{GATEWAY_ENV} must be a ws(s) URL such as ws://127.0.0.1:8080/gateway, got {url!r}"
        )
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
    return url


def current_gateway() -> str:
    return str(DiscordWebSocket.DEFAULT_GATEWAY)


def api_base_from_env(env: Mapping[str, str] | None = None) -> str:
    return use_api_base((os.environ if env is None else env).get(API_BASE_ENV))


def gateway_from_env(env: Mapping[str, str] | None = None) -> str:
    return use_gateway((os.environ if env is None else env).get(GATEWAY_ENV))


def cut(post: Post, limits: Limits) -> tuple[Message, ...]:
    """`split`, with a failed size check reported as a bug no retry can fix."""
    try:
        return split(post, limits)
    except PublishError as exc:
        raise DeliveryFailed(f"{exc} (a meetbot bug: please report it)", retryable=False) from exc


def to_embed(e: Embed) -> discord.Embed:
    embed = discord.Embed(title=e.title, description=e.description or None, colour=EMBED_COLOUR)
    for f in e.fields:
        embed.add_field(name=f.name, value=f.value, inline=f.inline)
    if e.footer:
        embed.set_footer(text=e.footer)
    return embed


def send_kwargs(message: Message) -> dict[str, Any]:
    """Keyword arguments for Messageable.send / Webhook.send; never pings anyone."""
    kwargs: dict[str, Any] = {"allowed_mentions": discord.AllowedMentions.none()}
    if message.content:
        kwargs["content"] = message.content
    if message.embeds:
        kwargs["embeds"] = [to_embed(e) for e in message.embeds]
    if message.attachments:
        kwargs["files"] = [
            discord.File(io.BytesIO(a.data), filename=a.filename) for a in message.attachments
        ]
    return kwargs


async def send_in_parts(
    message: OutgoingMessage,
    parts: tuple[Message, ...],
    send: Callable[[int, Message], Awaitable[discord.Message]],
    acknowledged: Acknowledged,
    *,
    timeout_s: float,
    where: str,
) -> DeliveryReceipt:
    """Send the parts not yet delivered, in order, each reported the moment Discord has it."""
    sent = list(message.sent_parts)
    for index, part in enumerate(parts):
        if index < len(sent):
            continue  # went out in an earlier attempt
        try:
            async with asyncio.timeout(timeout_s):
                posted = await send(index, part)
        except Exception as exc:
            raise failure(exc, where) from exc
        sent.append(str(posted.id))
        # Before the next part starts: a deadline or a crash during it cannot lose this one.
        acknowledged(tuple(sent))
    return DeliveryReceipt(message.id, message.destination, Status.SENT, tuple(sent))


def failure(exc: BaseException, where: str) -> DeliveryFailed:
    """What an exception from discord.py means for the outbox; re-raises anything else (a bug)."""

    def fail(
        text: str, *, retryable: bool, retry_after: float | None = None, maybe: bool = False
    ) -> DeliveryFailed:
        return DeliveryFailed(
            f"{where}: {text}", retryable=retryable, retry_after=retry_after, maybe_posted=maybe
        )

    if isinstance(exc, discord.RateLimited):
        return fail("rate limited", retryable=True, retry_after=exc.retry_after)
    if isinstance(exc, discord.LoginFailure):
        return fail("Discord refused the bot token; check MEETBOT_DISCORD_TOKEN", retryable=False)
    if isinstance(exc, discord.HTTPException):
        status = exc.status
        if status == 429:
            return fail("rate limited (429)", retryable=True, retry_after=_retry_after(exc))
        if status >= 500:
            return fail(f"Discord error {status}", retryable=True)
        advice = {
            401: "the token or webhook URL is not valid; check MEETBOT_DISCORD_TOKEN or "
            "MEETBOT_DISCORD_WEBHOOK_URL",
            403: "the bot may not post there; give it Send Messages, Embed Links and Attach "
            "Files in that channel",
            404: "the channel or webhook does not exist; check discord.channel_id or "
            "MEETBOT_DISCORD_WEBHOOK_URL",
        }.get(status, f"Discord rejected the message ({exc.text or exc.code})")
        return fail(f"{status}: {advice}", retryable=False)
    if isinstance(exc, TimeoutError):
        return fail("Discord did not answer in time", retryable=True, maybe=True)
    if isinstance(exc, aiohttp.ServerDisconnectedError):  # the request was out; its answer lost
        return fail(f"Discord hung up before answering ({exc})", retryable=True, maybe=True)
    if isinstance(exc, aiohttp.ClientError | OSError):
        return fail(f"cannot reach Discord ({exc})", retryable=True)
    if isinstance(exc, discord.DiscordException):  # e.g. ClientException: not worth a loop
        return fail(f"discord.py refused it ({type(exc).__name__}: {exc})", retryable=False)
    raise exc


def _retry_after(exc: discord.HTTPException) -> float | None:
    # discord.py raises a plain HTTPException for a 429 it will not retry itself (no Via
    # header); Discord still says how long to wait, in the body or the Retry-After header.
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(header) if header else None
    except ValueError:
        return None
