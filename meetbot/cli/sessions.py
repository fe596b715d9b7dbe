"""`meetbot sessions`, `meetbot report SESSION`, `meetbot compare`, `meetbot post SESSION`.

They work on stored sessions only, so they also finish what a crashed or interrupted
`meetbot join` left behind (a running session is rebuilt from its checkpoints first).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from meetbot import config
from meetbot.cli import numbers, sessions_delete
from meetbot.errors import ConfigError

if TYPE_CHECKING:
    from meetbot.config.schema import Settings

# Each command imports the store, reports and publishers it needs when it runs: `meetbot
# --help` and the other commands never load them (matplotlib alone takes a second).


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = sub.add_parser("sessions", help="list stored sessions, newest first")
    _config_option(listing)
    listing.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    listing.add_argument("--chapter", help="only this chapter's sessions (name, any case)")
    listing.add_argument("--since", help="only sessions from this date (2026-03-01) on")
    _json_option(listing, "the sessions as a JSON list, each with its session_id")
    listing.set_defaults(func=_sessions)
    sessions_delete.register(listing)

    report = sub.add_parser("report", help="write a session's HTML, Markdown and CSV report")
    _config_option(report)
    report.add_argument("session", help="session id or a unique prefix (see `meetbot sessions`)")
    report.add_argument("--out", help="folder for the files (default: <data dir>/reports)")
    report.add_argument("--print", action="store_true", help="also print the Markdown report")
    _json_option(report, "the paths of the files written, as JSON (instead of --print)")
    report.set_defaults(func=_report)

    compare = sub.add_parser("compare", help="lead comparison of the last sessions, with a chart")
    _config_option(compare)
    compare.add_argument(
        "--last", type=int, help="how many sessions (default reports.compare_last)"
    )
    compare.add_argument("--out", help="folder for comparison.md and the chart")
    compare.add_argument(
        "--chapters",
        metavar="A,B,C",
        help="region view: these chapters side by side (group figures only), from one store",
    )
    _json_option(compare, "the sessions compared and the files written, as JSON")
    compare.set_defaults(func=_compare)

    post = sub.add_parser("post", help="post (or re-post) a session's recap through the outbox")
    _config_option(post)
    post.add_argument("session", help="session id or a unique prefix")
    post.set_defaults(func=_post)


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="chapter TOML file (for storage, timezone, Discord)")


def _json_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--json", action="store_true", help=f"print {what}")


def _print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _sessions(args: argparse.Namespace) -> int:
    from meetbot import app
    from meetbot.cli import session_list
    from meetbot.store.rows import SessionStatus

    numbers.count("--limit", args.limit)
    settings = config.load(args.config)
    group = settings.reports.min_group_for_detail
    start = numbers.moment("--since", args.since) if args.since else None
    with app.open_store(settings) as store:
        rows = session_list.chosen(store.list_sessions(), args.chapter, start)[: args.limit]
        # Figures come from the saved record; a meeting still being recorded has none yet.
        records = [
            None if r.status is SessionStatus.RUNNING else store.load(r.session_id) for r in rows
        ]
    if args.json:
        _print_json(
            [session_list.as_json(r, rec, group) for r, rec in zip(rows, records, strict=True)]
        )
        return 0
    if not rows:
        filtered = args.chapter or args.since
        print(
            "no sessions match --chapter/--since"
            if filtered
            else "no sessions stored yet; run `meetbot demo` or `meetbot join`"
        )
        return 0
    width = max([session_list.ID_WIDTH, *(len(r.session_id) for r in rows)])
    print(session_list.header(width))
    for row, record in zip(rows, records, strict=True):
        print(session_list.line(row, record, group, width))
    print(session_list.FOOTNOTE)
    return 0


def _report(args: argparse.Namespace) -> int:
    from meetbot import app

    settings = config.load(args.config)
    if args.out:
        settings = app.with_report_dir(settings, args.out)
    with app.open_store(settings) as store:
        record = app.load_session(store, args.session, settings)
        history = app.earlier_sessions(store, record, settings.reports.compare_last)
    paths = app.write_report_files(record, history, settings)
    if args.json:
        _print_json({"session_id": record.session_id, "files": [str(p) for p in paths]})
        return 0
    for path in paths:
        print(f"report: {path}")
    if args.print:
        # The very file just written: same settings (min_group_for_detail above all).
        (markdown,) = [p for p in paths if p.suffix == ".md"]
        print(markdown.read_text(encoding="utf-8"), end="")
    return 0


def _compare(args: argparse.Namespace) -> int:
    import reports
    from meetbot import app
    from meetbot.publishers.console import render_markdown
    from meetbot.publishers.delivery import report_dir

    settings = config.load(args.config)
    last = numbers.count(
        "--last", args.last if args.last is not None else settings.reports.compare_last
    )
    if args.chapters:
        return _region(args, settings, last)
    with app.open_store(settings) as store:
        chapter = settings.chapter.name if args.config else None
        records = store.finished_sessions(chapter, limit=last)
    if not records:
        if args.json:
            _print_json({"sessions": [], "files": []})
        else:
            print("no finished sessions to compare yet")
        return 0
    post = reports.comparison(
        records,
        detail=True,
        min_group=settings.reports.min_group_for_detail,
        timezone=settings.chapter.timezone,
        language=settings.chapter.language,
    )
    folder = Path(args.out) if args.out else report_dir(settings) / "comparison"
    paths = app.write_post(post, folder, "comparison")
    if args.json:
        ids = [r.session_id for r in records]  # oldest first, as compared
        _print_json({"sessions": ids, "files": [str(p) for p in paths]})
        return 0
    for path in paths:
        print(f"comparison: {path}")
    print(render_markdown(post))
    return 0


def _region(args: argparse.Namespace, settings: Settings, last: int) -> int:
    from meetbot import app
    from meetbot.publishers.console import render_markdown
    from meetbot.publishers.delivery import report_dir
    from reports.region import region_comparison

    # Each chapter once, in the order given: "A,A" is one chapter, not a region.
    names = list(dict.fromkeys(n.strip() for n in args.chapters.split(",") if n.strip()))
    if len(names) < 2:
        raise ConfigError("--chapters needs two or more different chapter names, e.g. A,B,C")
    with app.open_store(settings) as store:
        known = {s.chapter for s in store.list_sessions()}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ConfigError(
                f"no sessions of {', '.join(map(repr, unknown))} in the store; "
                f"chapters with sessions: {', '.join(sorted(known)) or 'none'}"
            )
        by_chapter = {n: store.finished_sessions(n, limit=last) for n in names}
    post = region_comparison(
        by_chapter,
        min_group=settings.reports.min_group_for_detail,
        language=settings.chapter.language,
    )
    folder = Path(args.out) if args.out else report_dir(settings) / "region"
    for path in app.write_post(post, folder, "region"):
        print(f"region view: {path}")
    print(render_markdown(post))
    return 0


def _post(args: argparse.Namespace) -> int:
    from meetbot import app
    from meetbot.publishers.base import Status
    from meetbot.publishers.delivery import deliver_recap, recap_receipts, still_waiting, what
    from meetbot.publishers.outbox import Outbox

    settings = config.load(args.config)
    with app.open_store(settings) as store:
        record = app.load_session(store, args.session, settings)
        outbox = Outbox(store.engine)
        # Bounded like a meeting's end: what is not delivered by then stays in the outbox.
        receipts = asyncio.run(
            deliver_recap(record, settings, outbox, within_s=settings.discord.finish_timeout_s)
        )
        # The run delivers the whole queue: each receipt is labelled with its own session, and
        # only this session's recap decides the exit code.
        labels = [what(outbox, r) for r in receipts]
        own = recap_receipts(outbox, receipts, record.session_id)
        rest = still_waiting(outbox, own, which="other")
    for label, r in zip(labels, receipts, strict=True):
        print(f"{label} → {r.destination}: {r.status} {r.note}".rstrip())
    if rest:
        print(rest)
    return 0 if all(r.status is Status.SENT for r in own) else 1
