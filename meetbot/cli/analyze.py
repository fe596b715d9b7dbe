"""`meetbot analyze VIDEO... [--turns FILE] [--json] [--out DIR] [--config CHAPTER.toml]`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from meetbot import config
from meetbot.errors import ConfigError


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
    for person in result["participants"]:
        seconds = ", ".join(f"{state} {s:.0f} s" for state, s in person["seconds"].items() if s)
        score = person["listening_score"]
        listening = "not enough data" if score is None else f"{score:.0f}"
        print(
            f"  {person['name']:<28} {person['attendance']:<11} listening {listening:<16} {seconds}"
        )
    print(f"stored; `meetbot report {record.session_id}` writes the full report")
    return 0
