"""A rendered message, independent of where it is delivered.

Renderers in `reports` produce Posts; publishers (Discord bot, webhook, console, outbox) turn
them into their own wire format and enforce their own size limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    PUBLIC = "public"  # the chapter's channel: group figures only, no mentions
    MEMBER = "member"  # one member, privately (ephemeral reply or DM)
    LEADS = "leads"  # chapter leads only


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str  # e.g. "comparison.png"
    data: bytes
    content_type: str = "image/png"


@dataclass(frozen=True, slots=True)
class Post:
    audience: Audience
    title: str
    body: str  # Markdown (Discord flavour); may be longer than one message allows
    fields: tuple[Field, ...] = ()
    footer: str = ""
    attachments: tuple[Attachment, ...] = ()
