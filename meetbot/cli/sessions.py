"""`meetbot sessions`, `meetbot report SESSION`, `meetbot compare`, `meetbot post SESSION`.

They work on stored sessions only, so they also finish what a crashed or interrupted
`meetbot join` left behind (a running session is rebuilt from its checkpoints first).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

import reports
from meetbot import app, config
from meetbot.publishers.console import render_markdown
from meetbot.publishers.delivery import deliver_recap, report_dir, still_waiting
from meetbot.publishers.outbox import Outbox


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    listing = sub.add_parser("sessions", help="list stored sessions, newest first")
    _config_option(listing)
    listing.add_argument("--limit", type=int, default=20, help="how many (default 20)")
    listing.set_defaults(func=_sessions)

    report = sub.add_parser("report", help="write a session's HTML, Markdown and CSV report")
    _config_option(report)
    report.add_argument("session", help="session id or a unique prefix (see `meetbot sessions`)")
    report.add_argument("--out", help="folder for the files (default: <data dir>/reports)")
    report.add_argument("--print", action="store_true", help="also print the Markdown report")
    report.set_defaults(func=_report)

    compare = sub.add_parser("compare", help="lead comparison of the last sessions, with a chart")
    _config_option(compare)
    compare.add_argument(
        "--last", type=int, help="how many sessions (default reports.compare_last)"
    )
    compare.add_argument("--out", help="folder for comparison.md and the chart")
    compare.set_defaults(func=_compare)

    post = sub.add_parser("post", help="post (or re-post) a session's recap through the outbox")
    _config_option(post)
    post.add_argument("session", help="session id or a unique prefix")
    post.set_defaults(func=_post)


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="chapter TOML file (for storage, timezone, Discord)")


def _sessions(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    with app.open_store(settings) as store:
        rows = store.list_sessions(limit=args.limit)
    if not rows:
        print("no sessions stored yet; run `meetbot demo` or `meetbot join`")
        return 0
    print(f"{'session':<20} {'started (UTC)':<17} {'min':>5}  {'status':<10} chapter")
    for s in rows:
        status = s.status if s.complete else f"{s.status}*"
        print(
            f"{s.session_id:<20} {s.started_at:%Y-%m-%d %H:%M} {s.duration_s / 60:>5.1f}  "
            f"{status:<10} {s.chapter}"
        )
    return 0


def _report(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    if args.out:
        settings = app.with_report_dir(settings, args.out)
    with app.open_store(settings) as store:
        record = app.load_session(store, args.session, settings)
        history = app.earlier_sessions(store, record, settings.reports.compare_last)
    for path in app.write_report_files(record, history, settings):
        print(f"report: {path}")
    if args.print:
        tz = settings.chapter.timezone
        print(reports.markdown_report(record, history, timezone=tz))
    return 0


def _compare(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    last = args.last or settings.reports.compare_last
    if last < 1:
        print("meetbot: --last must be at least 1", file=sys.stderr)
        return 2
    with app.open_store(settings) as store:
        records = app.recent_sessions(store, settings.chapter.name if args.config else None, last)
    if not records:
        print("no finished sessions to compare yet")
        return 0
    post = reports.comparison(
        records,
        detail=True,
        min_group=settings.reports.min_group_for_detail,
        timezone=settings.chapter.timezone,
    )
    folder = Path(args.out) if args.out else report_dir(settings) / "comparison"
    for path in app.write_post(post, folder, "comparison"):
        print(f"comparison: {path}")
    print(render_markdown(post))
    return 0


def _post(args: argparse.Namespace) -> int:
    settings = config.load(args.config)
    with app.open_store(settings) as store:
        record = app.load_session(store, args.session, settings)
        outbox = Outbox(store.engine)
        # Bounded like a meeting's end: what is not delivered by then stays in the outbox.
        receipts = asyncio.run(
            deliver_recap(record, settings, outbox, within_s=settings.discord.finish_timeout_s)
        )
        rest = still_waiting(outbox, receipts)
    for r in receipts:
        print(f"recap of {record.session_id} → {r.destination}: {r.status} {r.note}".rstrip())
    if rest:
        print(rest)
    return 0 if all(r.status == "sent" for r in receipts) else 1
