"""The fallback when Discord is not configured: print the post and write it to a file.

The demo and offline runs use it, so a recap is never silently dropped for lack of a token.
Files are Markdown next to their charts (derived figures only; no frame or audio ever exists to
write).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TextIO

from meetbot.publishers.base import (
    Acknowledged,
    DeliveryFailed,
    DeliveryReceipt,
    OutgoingMessage,
    Status,
    no_one_listens,
)
from reports.post import Post

DESTINATION = "console"


def render_markdown(post: Post, *, prefix: str = "") -> str:
    """Markdown for a file; attachments are linked as `<prefix><filename>` beside it."""
    lines = [f"# {post.title}", ""]
    if post.body:
        lines += [post.body.strip(), ""]
    for f in post.fields:
        lines += [f"**{f.name}**", f.value.strip(), ""]
    for a in post.attachments:
        lines += [f"![{a.filename}]({prefix}{_slug(a.filename)})", ""]
    if post.footer:
        lines += [f"_{post.footer}_", ""]
    return "\n".join(lines)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "message"


class ConsolePublisher:
    """Writes `<out_dir>/<dedupe_key>.md` (plus attachments) and echoes it to `stream`."""

    def __init__(self, out_dir: Path | str, *, stream: TextIO | None = None) -> None:
        self.out_dir = Path(out_dir)
        self._stream = stream

    async def publish(
        self, message: OutgoingMessage, acknowledged: Acknowledged = no_one_listens
    ) -> DeliveryReceipt:
        # One file, written whole: there are no parts to report before the receipt.
        folder = self.out_dir
        stem = _slug(message.dedupe_key)
        text = render_markdown(message.post, prefix=f"{stem}-")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            for a in message.post.attachments:
                (folder / f"{stem}-{_slug(a.filename)}").write_bytes(a.data)
            path = folder / f"{stem}.md"
            # Write then rename: a half-written recap is never mistaken for a finished one.
            tmp = path.with_suffix(".md.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
        except OSError as exc:
            raise DeliveryFailed(
                f"cannot write the report to {folder} ({exc.strerror}); set reports.out_dir to a "
                "writable folder",
                retryable=False,
            ) from exc
        print(text, file=self._stream or sys.stdout)
        return DeliveryReceipt(message.id, message.destination, Status.SENT, (str(path),))
