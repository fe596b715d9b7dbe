"""`meetbot analyze VIDEO... [--turns FILE] [--json] [--out DIR] [--config CHAPTER.toml]`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from meetbot import config
from meetbot.domain.chapter import Member
from meetbot.errors import ConfigError

if TYPE_CHECKING:
    from meetbot.domain.record import Attendee

NO_ROSTER = (
    "no chapter roster (--config CHAPTER.toml): each file's person is scored as a chapter member"
)
# Why a participant has no listening score, in the words the summary line prints.
_UNSCORED = {
    "visitor": "not scored (visitor)",
    "substitute": "not scored (substitute)",
    "opted_out": "opted out",
    "absent": "absent",
}


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "analyze",
        help="analyse recorded videos offline, one file per participant",
        description=(
            "Run the meeting pipeline over recorded files: one video per participant, named "
            "after the person ('Ann Lee.mp4'). Speech comes from --turns, else from each file's "
            "audio track. The session is stored like a live one; nothing but derived states "
            "is kept."
        ),
    )
    parser.add_argument("videos", nargs="+", type=Path, metavar="VIDEO", help="video files")
    parser.add_argument(
        "--turns", type=Path, metavar="FILE", help="CSV of speaking turns: name,start_s,end_s"
    )
    parser.add_argument("--json", action="store_true", help="print the analysis as JSON")
    parser.add_argument("--out", type=Path, metavar="DIR", help="also write SESSION.json here")
    parser.add_argument("--config", metavar="CHAPTER.toml", help="chapter file (roster, tunables)")
    parser.set_defaults(func=_analyze)


def _analyze(args: argparse.Namespace) -> int:
    # Imported here: the vision stack takes a while to load and other commands do not need it.
    from meetbot.offline.analyze import analyze, summary
    from meetbot.store import Store

    settings = config.load(args.config)
    if not settings.roster:
        # Without a roster everyone would be a visitor, and visitors are never scored: the
        # files name the people, so take them as the members (and say so).
        people = tuple(dict.fromkeys(path.stem for path in args.videos))
        settings = dataclasses.replace(settings, roster=tuple(Member(p) for p in people))
        print(f"meetbot: {NO_ROSTER}", file=sys.stderr if args.json else sys.stdout)
    with Store.open(settings.storage.url, retention_days=settings.storage.retention_days) as store:
        record = analyze(args.videos, settings=settings, store=store, turns_file=args.turns)
    result = summary(record)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    if args.out is not None:
        try:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{record.session_id}.json").write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--out {args.out}: cannot write there ({exc.strerror})") from exc
    if args.json:
        print(text)
        return 0
    print(f"session {record.session_id}: {record.duration_s:.0f} s, {len(record.turns)} turns")
    for person, attendee in zip(result["participants"], record.attendees, strict=True):
        seconds = ", ".join(f"{state} {s:.0f} s" for state, s in person["seconds"].items() if s)
        print(f"  {person['name']:<28} {person['attendance']:<11} {seconds}")
        print(f"  {'':<28} listening: {_listening(attendee)}")
    print(f"stored; `meetbot report {record.session_id}` writes the full report")
    return 0


def _listening(a: Attendee) -> str:
    import reports  # here: matplotlib comes with it, which --help does not need

    """The score, or the real reason there is none, in the words of the member's card."""
    if a.score is not None and a.score.value is not None:
        return f"{a.score.value:.0f} ({reports.explanation(a.score)})"
    if a.score is None and a.attendance.value in _UNSCORED:
        return _UNSCORED[a.attendance.value]
    return reports.explanation(a.score)
