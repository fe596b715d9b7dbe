"""The organiser's report files and a Post written as files, into a folder that must take them.

A folder that cannot be written is one ConfigError saying which setting to change: the record is
saved already, and `meetbot report` writes the files again any time.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path

import reports
from meetbot.config.schema import Settings
from meetbot.domain.record import SessionRecord
from meetbot.errors import ConfigError
from meetbot.publishers.console import render_markdown
from meetbot.publishers.delivery import report_dir
from reports.post import Post


def write_report_files(
    record: SessionRecord, history: Sequence[SessionRecord], settings: Settings
) -> tuple[Path, ...]:
    """The organiser's HTML, Markdown and CSV files for one session."""
    folder = report_dir(settings) / record.session_id
    tz = settings.chapter.timezone
    group = settings.reports.min_group_for_detail
    lang = settings.chapter.language
    files = {
        "report.html": reports.html_report(
            record, history, timezone=tz, min_group=group, language=lang
        ),
        "report.md": reports.markdown_report(
            record, history, timezone=tz, min_group=group, language=lang
        ),
        "attendees.csv": reports.csv_report(record, timezone=tz, language=lang),
    }
    paths = []
    with writable(folder):
        for name, text in files.items():
            path = folder / name
            path.write_text(text, encoding="utf-8")
            paths.append(path)
    return tuple(paths)


@contextlib.contextmanager
def writable(folder: Path) -> Iterator[None]:
    """Create `folder` and write into it; a folder that cannot take files is one ConfigError."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        yield
    except OSError as exc:
        raise ConfigError(
            f"cannot write report files to {folder} ({exc.strerror or exc}); set "
            "reports.out_dir (or --out) to a writable folder, then run `meetbot report`"
        ) from exc


def with_report_dir(settings: Settings, folder: str) -> Settings:
    return dataclasses.replace(
        settings, reports=dataclasses.replace(settings.reports, out_dir=folder)
    )


def write_post(post: Post, folder: Path, stem: str) -> tuple[Path, ...]:
    """A Post as files: its Markdown text and every attachment beside it."""
    paths = [folder / f"{stem}.md"]
    with writable(folder):
        paths[0].write_text(render_markdown(post) + "\n", encoding="utf-8")
        for attachment in post.attachments:
            path = folder / attachment.filename
            path.write_bytes(attachment.data)
            paths.append(path)
    return tuple(paths)
