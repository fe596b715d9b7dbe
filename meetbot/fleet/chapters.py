"""A region's chapters: one folder of chapter files, every name once.

The scheduler, every worker and the Discord bot read the same folder (deployed beside them), so
a job names only its chapter and the worker finds the rest here. A file that fails its checks is
refused on its own, with its one-line reason, and the other chapters meet as planned: one
organiser's typo never stops a region (every reader refuses the same files, so the scheduler
never queues a meeting the workers cannot run).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from meetbot import config
from meetbot.config.schedule import Occurrence
from meetbot.config.schema import Settings
from meetbot.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Chapters:
    """Settings by chapter name, loaded from every *.toml of one folder, and the files refused
    (path -> the one-line reason)."""

    folder: Path
    by_name: Mapping[str, Settings]
    refused: Mapping[Path, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.by_name:
            raise ConfigError(
                f"{self.folder}: no chapter files (*.toml); copy config/chapter.example.toml there"
            )

    def get(self, name: str) -> Settings:
        try:
            return self.by_name[name]
        except KeyError:
            raise ConfigError(
                f"no chapter named {name!r} in {self.folder}; known: "
                + ", ".join(sorted(self.by_name))
            ) from None

    def upcoming(self, after: datetime, count: int) -> list[Occurrence]:
        """Every chapter's next `count` scheduled meetings, soonest first."""
        found = [
            o
            for s in self.by_name.values()
            for o in s.schedule.occurrences(s.chapter.name, s.chapter.timezone, after, count)
        ]
        return sorted(found, key=lambda o: (o.start, o.chapter))

    @property
    def storage_url(self) -> str:
        """The one store every chapter shares (chapter is a column there, not a database)."""
        urls = {s.storage.url: s.source for s in self.by_name.values()}
        if len(urls) > 1:
            listed = "; ".join(f"{src}: {url or '(SQLite file)'}" for url, src in urls.items())
            raise ConfigError(
                f"{self.folder}: the chapters name different stores ({listed}); a region uses "
                "one: set MEETBOT_STORAGE__URL for all of them"
            )
        return next(iter(urls))

    @property
    def longest_s(self) -> float:
        return max(s.schedule.length_min * 60 for s in self.by_name.values())


def load_folder(folder: str | Path, env: Mapping[str, str] | None = None) -> Chapters:
    """Load and check every chapter file. A file with a problem is refused (its reason is one
    line naming it) and the rest load; only a folder with no good file at all is an error."""
    root = Path(folder)
    if not root.is_dir():
        raise ConfigError(f"{root}: not a folder; give the folder that holds the chapter files")
    by_name: dict[str, Settings] = {}
    refused: dict[Path, str] = {}
    seen: dict[str, Path] = {}
    for path in sorted(root.glob("*.toml")):
        try:
            settings = config.load(path, env=env)
        except ConfigError as exc:
            refused[path] = str(exc)
            continue
        key = settings.chapter.name.casefold().strip()
        if key in seen:
            refused[path] = (
                f"{path}: chapter.name {settings.chapter.name!r} is also the name in "
                f"{seen[key]}; every chapter needs its own name (it keys sessions and jobs)"
            )
            continue
        seen[key] = path
        by_name[settings.chapter.name] = settings
    if refused and not by_name:
        first = next(iter(refused.values()))
        more = f" (and {len(refused) - 1} more file(s) refused)" if len(refused) > 1 else ""
        raise ConfigError(first + more)
    return Chapters(root, by_name, refused)
