"""The console/file fallback writes a readable Markdown file and its charts, atomically."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from meetbot.publishers.base import DeliveryFailed, OutgoingMessage, Status
from meetbot.publishers.console import ConsolePublisher, render_markdown
from meetbot.publishers.outbox import Outbox
from reports.post import Attachment, Audience, Field, Post

POST = Post(
    Audience.PUBLIC,
    "Recap",
    "Thanks all.",
    (Field("Attendance", "18 of 20"),),
    "meetbot",
    (Attachment("chart.png", b"\x89PNG-data"),),
)


def test_markdown_has_every_part_in_reading_order() -> None:
    assert render_markdown(POST, prefix="recap-s1-") == (
        "# Recap\n\nThanks all.\n\n**Attendance**\n18 of 20\n\n"
        "![chart.png](recap-s1-chart.png)\n\n_meetbot_\n"
    )


async def test_writes_the_file_and_the_chart_and_echoes(tmp_path: Path) -> None:
    stream = io.StringIO()
    publisher = ConsolePublisher(tmp_path / "reports", stream=stream)
    message = OutgoingMessage(7, "console", POST, "n" * 16, "recap:s1/../x")
    receipt = await publisher.publish(message)
    path = tmp_path / "reports" / "recap-s1-..-x.md"
    assert receipt.remote_ids == (str(path),)
    assert receipt.status is Status.SENT
    assert path.read_text(encoding="utf-8") == stream.getvalue().rstrip("\n") + "\n"
    assert (tmp_path / "reports" / "recap-s1-..-x-chart.png").read_bytes() == b"\x89PNG-data"
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == [
        "recap-s1-..-x-chart.png",
        "recap-s1-..-x.md",
    ]


async def test_an_unwritable_folder_is_a_config_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    publisher = ConsolePublisher(blocker / "reports", stream=io.StringIO())
    with pytest.raises(DeliveryFailed, match=r"set reports.out_dir") as info:
        await publisher.publish(OutgoingMessage(1, "console", POST, "n", "k"))
    assert info.value.retryable is False


async def test_through_the_outbox(tmp_path: Path) -> None:
    outbox = Outbox(sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}"))
    outbox.enqueue("console", POST, "recap:s1")
    publisher = ConsolePublisher(tmp_path, stream=io.StringIO())
    (receipt,) = await outbox.deliver_pending({"console": publisher})
    assert receipt.status is Status.SENT
    assert (tmp_path / "recap-s1.md").exists()
