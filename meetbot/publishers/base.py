"""What every publisher offers the outbox: deliver one stored message, or say why not.

The outbox owns retrying and bookkeeping; a publisher makes one attempt and either returns a
`DeliveryReceipt` or raises `DeliveryFailed` saying whether trying again can help. A message
longer than Discord allows goes out in parts, and the publisher reports each part through
`acknowledged` as soon as Discord accepts it, so the outbox can record it before the next part
goes out: an attempt cut off or failing later resumes after it instead of repeating it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from meetbot.errors import PublishError
from reports.post import Attachment, Audience, Field, Post


class Status(StrEnum):
    """Where an outbox message is. Stored in rows, so the values never change."""

    PENDING = "pending"  # waiting for its first or next attempt
    SENDING = "sending"  # an attempt started; if seen at start-up, the process died mid-send
    SENT = "sent"
    FAILED = "failed"  # retrying cannot help until someone fixes the config; --retry resumes


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One outbox entry as a publisher sees it."""

    id: int
    destination: str  # "discord" or "console"
    post: Post
    nonce: str  # stable across retries and restarts: Discord dedupes a resend carrying it
    dedupe_key: str
    attempt: int = 1
    sent_parts: tuple[str, ...] = ()  # ids of the parts already delivered, in order

    def part_nonce(self, index: int) -> str:
        """Discord nonces are at most 25 characters; each part needs its own."""
        return f"{self.nonce}.{index}"[:25]


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    message_id: int  # the outbox id
    destination: str
    status: Status
    remote_ids: tuple[str, ...] = ()  # Discord message ids, or files written
    note: str = ""  # one line for people: why it is still pending and what to do


class DeliveryFailed(PublishError):
    """One attempt failed. `retryable` is False when only a config fix can help (bad token, 404).

    `maybe_posted`: the request went out and no answer came back, so Discord may have posted
    the part anyway. `retry_now` False: worth trying again, but in a later run, not this one
    (a retry could post a copy that nothing on Discord's side would catch).
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        maybe_posted: bool = False,
        retry_now: bool = True,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.maybe_posted = maybe_posted
        self.retry_now = retry_now


Acknowledged = Callable[[tuple[str, ...]], None]
"""Told the ids of every part delivered so far (earlier attempts' included), after each part."""


def no_one_listens(sent_parts: tuple[str, ...]) -> None:
    """The `acknowledged` of a publisher called outside the outbox (tests, previews)."""


class Publisher(Protocol):
    # The outbox always passes `acknowledged`; publishers may default it for other callers.
    async def publish(
        self, message: OutgoingMessage, acknowledged: Acknowledged
    ) -> DeliveryReceipt: ...


@runtime_checkable
class KnowsWhyCutOff(Protocol):
    """A publisher that can tell why an attempt the run's deadline cut off had not finished."""

    def cut_off(self) -> DeliveryFailed | None:
        """What kept the attempt waiting (a 429 discord.py was sleeping out), or None."""
        ...


# How a Post is kept in the outbox row until it is delivered (charts as base64).
def post_to_json(post: Post) -> str:
    return json.dumps(
        {
            "audience": post.audience.value,
            "title": post.title,
            "body": post.body,
            "fields": [[f.name, f.value, f.inline] for f in post.fields],
            "footer": post.footer,
            "attachments": [
                [a.filename, base64.b64encode(a.data).decode("ascii"), a.content_type]
                for a in post.attachments
            ],
        },
        ensure_ascii=False,
    )


def post_from_json(text: str) -> Post:
    data = json.loads(text)
    return Post(
        audience=Audience(data["audience"]),
        title=data["title"],
        body=data["body"],
        fields=tuple(Field(n, v, bool(i)) for n, v, i in data["fields"]),
        footer=data["footer"],
        attachments=tuple(
            Attachment(name, base64.b64decode(blob), ctype)
            for name, blob, ctype in data["attachments"]
        ),
    )
