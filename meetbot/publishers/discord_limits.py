"""Discord's message limits, and the pure splitting of a `Post` into messages that fit them.

discord.py sends whatever it is given and Discord answers an oversized message with a 400, which
would leave a recap stuck in the outbox forever. So every message is cut to size here, before
it is stored or sent: text splits at paragraph, then line, then word boundaries (a single word
longer than a whole limit, such as a huge URL, is the only thing ever cut inside), and
continuation embeds are titled "Recap (2/3)".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from meetbot.errors import PublishError
from reports.post import Attachment, Field, Post

ELLIPSIS = "…"
DEFAULT_FILE_LIMIT = 10 * 1024 * 1024  # Discord's upload limit for servers without boosts


@dataclass(frozen=True, slots=True)
class Limits:
    """Discord's documented limits. `file_size` comes from a guild's attachment_size_limit."""

    content: int = 2000
    embed_title: int = 256
    embed_description: int = 4096
    embed_fields: int = 25
    field_name: int = 256
    field_value: int = 1024
    footer: int = 2048
    embed_total: int = 6000  # per message, summed over all its embeds
    embeds: int = 10
    files: int = 10
    file_size: int = DEFAULT_FILE_LIMIT  # per message, all files together


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True, slots=True)
class Embed:
    """One embed as plain data; the publishers turn it into a discord.Embed."""

    title: str
    description: str = ""
    fields: tuple[Field, ...] = ()
    footer: str = ""

    @property
    def size(self) -> int:
        """Characters counted against the 6000-per-message total."""
        return (
            len(self.title)
            + len(self.description)
            + sum(len(f.name) + len(f.value) for f in self.fields)
            + len(self.footer)
        )


@dataclass(frozen=True, slots=True)
class Message:
    """One Discord message: what a single create-message request carries."""

    content: str = ""
    embeds: tuple[Embed, ...] = ()
    attachments: tuple[Attachment, ...] = ()


def split(post: Post, limits: Limits = DEFAULT_LIMITS) -> tuple[Message, ...]:
    """The Discord messages that carry `post`, in order, each within `limits`."""
    # Reserve room for the continuation suffix so numbering never pushes a title over.
    base_title = _shorten(post.title, limits.embed_title - len(" (99/99)"))
    footer = _shorten(post.footer, limits.footer)
    reserve = len(base_title) + len(" (99/99)") + len(footer)
    room = min(limits.embed_description, limits.embed_total - reserve)
    chunks = list(split_text(post.body, room))
    fields = [piece for f in post.fields for piece in _fit_field(f, limits)]
    bodies = _pack_embeds(chunks, fields, limits, reserve=reserve)
    total = len(bodies)
    embeds = [
        Embed(
            title=base_title if total == 1 else f"{base_title} ({i}/{total})",
            description=desc,
            fields=tuple(flds),
            footer=footer if i == total else "",
        )
        for i, (desc, flds) in enumerate(bodies, start=1)
    ]
    files, dropped = _fit_files(post.attachments, limits)
    if dropped:
        note = "\n".join(dropped)
        last = embeds[-1]
        if len(last.description) + len(note) + 2 <= limits.embed_description:
            embeds[-1] = replace(last, description=f"{last.description}\n\n{note}".strip())
        else:
            embeds.append(Embed(title=base_title, description=note))
    messages = _pack_messages(embeds, limits)
    # Files ride on the last message, after the text they illustrate; extra groups follow.
    groups = list(_group_files(files, limits))
    if groups:
        messages[-1] = replace(messages[-1], attachments=groups[0])
        messages.extend(Message(attachments=g) for g in groups[1:])
    result = tuple(messages)
    for message in result:
        check(message, limits)
    return result


def check(message: Message, limits: Limits = DEFAULT_LIMITS) -> None:
    """Raise PublishError naming the first limit `message` breaks (discord.py would send it)."""
    problems = []
    if len(message.content) > limits.content:
        problems.append(f"content is {len(message.content)} characters (max {limits.content})")
    if len(message.embeds) > limits.embeds:
        problems.append(f"{len(message.embeds)} embeds (max {limits.embeds})")
    total = sum(e.size for e in message.embeds)
    if total > limits.embed_total:
        problems.append(f"embeds total {total} characters (max {limits.embed_total})")
    for n, e in enumerate(message.embeds, start=1):
        sizes = [
            ("title", len(e.title), limits.embed_title),
            ("description", len(e.description), limits.embed_description),
            ("footer", len(e.footer), limits.footer),
            ("fields", len(e.fields), limits.embed_fields),
        ]
        sizes += [("field name", len(f.name), limits.field_name) for f in e.fields]
        sizes += [("field value", len(f.value), limits.field_value) for f in e.fields]
        problems += [
            f"embed {n} {what} is {got} (max {most})" for what, got, most in sizes if got > most
        ]
    if len(message.attachments) > limits.files:
        problems.append(f"{len(message.attachments)} files (max {limits.files})")
    size = sum(len(a.data) for a in message.attachments)
    if size > limits.file_size:
        problems.append(f"files total {size} bytes (max {limits.file_size})")
    if not (message.content or message.embeds or message.attachments):
        problems.append("the message is empty")
    if problems:
        raise PublishError(f"message breaks Discord's limits: {'; '.join(problems)}")


def split_text(text: str, limit: int) -> Iterator[str]:
    """Pieces of at most `limit` characters, cut at paragraphs, else lines, else words."""
    text = text.strip()
    if len(text) <= limit:
        if text:
            yield text
        return
    for sep in ("\n\n", "\n", " "):
        if sep in text:
            yield from _pack(text.split(sep), sep, limit)
            return
    # One word longer than the whole limit: the only case that must be cut inside a word.
    for start in range(0, len(text), limit):
        yield text[start : start + limit]


def _pack(parts: list[str], sep: str, limit: int) -> Iterator[str]:
    current = ""
    for part in parts:
        if not part.strip():
            continue
        candidate = f"{current}{sep}{part}" if current else part
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            yield current.strip()
        if len(part) <= limit:
            current = part
        else:
            *full, current = list(split_text(part, limit)) or [""]
            yield from full
    if current.strip():
        yield current.strip()


def _shorten(text: str, limit: int) -> str:
    """Cut at a word boundary with an ellipsis; for titles and footers, which cannot continue."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + ELLIPSIS


def _fit_field(f: Field, limits: Limits) -> Iterator[Field]:
    name = _shorten(f.name, limits.field_name - len(" (cont.)"))
    # Discord rejects empty field values; a zero-width space keeps the field visible.
    values = list(split_text(f.value, limits.field_value)) or ["\u200b"]
    for i, value in enumerate(values):
        yield Field(name if i == 0 else f"{name} (cont.)", value, f.inline)


def _pack_embeds(
    chunks: list[str], fields: list[Field], limits: Limits, reserve: int
) -> list[tuple[str, list[Field]]]:
    """Group description chunks and fields into embeds that each fit on their own."""
    budget = limits.embed_total - reserve
    bodies: list[tuple[str, list[Field]]] = [(c, []) for c in chunks] or [("", [])]
    desc, current = bodies.pop()
    used = len(desc)
    for f in fields:
        cost = len(f.name) + len(f.value)
        if len(current) == limits.embed_fields or used + cost > budget:
            bodies.append((desc, current))
            desc, current, used = "", [], 0
        current.append(f)
        used += cost
    bodies.append((desc, current))
    return bodies


def _pack_messages(embeds: list[Embed], limits: Limits) -> list[Message]:
    messages: list[list[Embed]] = [[]]
    for e in embeds:
        group = messages[-1]
        if group and (
            len(group) == limits.embeds or sum(x.size for x in group) + e.size > limits.embed_total
        ):
            messages.append(group := [])
        group.append(e)
    return [Message(embeds=tuple(group)) for group in messages]


def _fit_files(
    attachments: tuple[Attachment, ...], limits: Limits
) -> tuple[list[Attachment], list[str]]:
    kept, dropped = [], []
    for a in attachments:
        if len(a.data) > limits.file_size:
            mib, most = len(a.data) / 2**20, limits.file_size / 2**20
            dropped.append(
                f"({a.filename} left out: {mib:.1f} MiB is over the {most:.1f} MiB limit)"
            )
        else:
            kept.append(a)
    return kept, dropped


def _group_files(files: list[Attachment], limits: Limits) -> Iterator[tuple[Attachment, ...]]:
    group: list[Attachment] = []
    for a in files:
        too_many = len(group) == limits.files
        if group and (too_many or sum(len(x.data) for x in group) + len(a.data) > limits.file_size):
            yield tuple(group)
            group = []
        group.append(a)
    if group:
        yield tuple(group)
