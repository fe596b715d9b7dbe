"""`meetbot fleet scheduler | worker | status`: many chapters on several machines.

Every part reads the same folder of chapter files (--chapters, or MEETBOT_CHAPTERS) and the
same store (MEETBOT_STORAGE__URL, PostgreSQL for more than one machine); the scheduler and the
workers meet in Redis (MEETBOT_BROKER_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from meetbot import config
from meetbot.cli import numbers
from meetbot.errors import ConfigError

if TYPE_CHECKING:
    from meetbot.fleet.chapters import Chapters
    from meetbot.fleet.claims import Claims

# A worker beats every few seconds: a lease of a day already means "never hand over", and a
# pass a day apart would miss every meeting in between.
MAX_LEASE_S = 86400.0
MAX_TICK_S = 3600.0

ENVIRONMENT = """environment:
  MEETBOT_CHAPTERS      the folder of chapter files (instead of --chapters)
  MEETBOT_BROKER_URL    the Redis broker, e.g. redis://:PASSWORD@redis-host:6379/0
  MEETBOT_STORAGE__URL  the one store, e.g. postgresql://meetbot@db-host/meetbot
  MEETBOT_WORKER_HOST   a worker machine's name (instead of --host): unique per machine"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "fleet",
        help="scheduled bots for many chapters: scheduler, workers, status",
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--chapters", metavar="DIR", help="folder of chapter files")
    common.add_argument(
        "--lease-s",
        type=float,
        default=60.0,
        help="a meeting whose worker has not beaten this long is handed over (same everywhere)",
    )
    scheduler = actions.add_parser(
        "scheduler", parents=[common], help="plan every chapter's meetings and queue their jobs"
    )
    scheduler.add_argument("--tick", type=float, default=15.0, help="seconds between passes")
    scheduler.add_argument("--once", action="store_true", help="one pass, then exit")
    scheduler.set_defaults(func=_scheduler)
    worker = actions.add_parser("worker", parents=[common], help="run meetings from the queue")
    worker.add_argument(
        "--concurrency",
        type=int,
        help="meetings at once (default: the cores over the costliest offered meeting: "
        "1 core on Janus, 3 through a browser)",
    )
    worker.add_argument(
        "--platforms",
        "--platform",
        metavar="LIST",
        help="platform families to run: janus, web (every browser profile) or janus,web "
        "(default: each one this machine has the parts for)",
    )
    worker.add_argument(
        "--host",
        default=os.environ.get("MEETBOT_WORKER_HOST") or socket.gethostname(),
        help="this machine's name in `fleet status` and in claims (default: "
        "MEETBOT_WORKER_HOST, else the host name); it must differ between machines: a dead "
        "worker of this name is recognised by its process id, at once",
    )
    worker.set_defaults(func=_worker)
    status = actions.add_parser(
        "status",
        parents=[common],
        help="upcoming, running, finished and failed meetings, and the workers (alive or gone)",
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(func=_status)
    demo = actions.add_parser(
        "demo",
        help="a region in a box: private Redis, PostgreSQL and Janus, the scheduler, two "
        "workers, chapters meeting at once, one worker killed mid-meeting",
    )
    demo.add_argument("--chapters", type=int, default=3, help="chapters meeting at once (2-8)")
    demo.add_argument("--minutes", type=float, default=1.0, help="length of each meeting")
    demo.add_argument("--json", action="store_true", help="the summary as JSON on stdout")
    demo.add_argument(
        "--channels",
        metavar="ID,ID,...",
        help="one Discord channel per chapter: post the recaps there with MEETBOT_DISCORD_TOKEN "
        "(default: the console outbox)",
    )
    demo.set_defaults(func=_demo)


def chapters_of(args: argparse.Namespace) -> Chapters:
    from meetbot.fleet.chapters import load_folder

    folder = args.chapters or os.environ.get("MEETBOT_CHAPTERS")
    if not folder:
        raise ConfigError("give the folder of chapter files: --chapters DIR or MEETBOT_CHAPTERS")
    chapters = load_folder(folder)
    for reason in chapters.refused.values():
        # The other chapters go on; this one is said once, where the operator looks.
        print(
            f"meetbot: refused {reason}; the other chapters go on, this one meets once its file "
            "is mended and this command restarted",
            file=sys.stderr,
            flush=True,
        )
    return chapters


def claims_of(chapters: Chapters, lease_s: float) -> Claims:
    from meetbot.fleet.claims import Claims
    from meetbot.store.database import create_engine

    numbers.positive("--lease-s", lease_s, at_most=MAX_LEASE_S)
    return Claims(create_engine(chapters.storage_url, config.data_dir()), lease_s=lease_s)


def _scheduler(args: argparse.Namespace) -> int:
    from meetbot.fleet.broker import broker_url, check_broker, make_app, send_join
    from meetbot.fleet.scheduler import Scheduler

    numbers.positive("--tick", args.tick, at_most=MAX_TICK_S)
    url = broker_url()
    chapters = chapters_of(args)
    claims = claims_of(chapters, args.lease_s)
    celery = make_app(url, longest_meeting_s=chapters.longest_s)
    scheduler = Scheduler(
        chapters, claims, lambda key: send_join(celery, key), lambda: check_broker(celery)
    )
    if args.once:
        done = scheduler.tick()
        for key in done.sent:
            say(f"queued {key}")
        for problem in done.problems:
            say(f"problem: {problem}")
        return 1 if done.problems else 0
    say(f"{len(chapters.by_name)} chapters, a pass every {args.tick:g} s")
    scheduler.run(args.tick, say=say)
    return 0


def say(line: str) -> None:
    print(f"meetbot fleet scheduler: {line}", flush=True)


def _worker(args: argparse.Namespace) -> int:
    from meetbot.fleet import worker
    from meetbot.fleet.broker import broker_url
    from meetbot.fleet.jobs import JobContext
    from meetbot.fleet.platforms import concurrency, detect, parse_families

    url = broker_url()  # refused before any other work, not after the worker is up
    chapters = chapters_of(args)
    wanted = parse_families(args.platforms) if args.platforms else None
    # The machine's browser settings: the defaults and MEETBOT_BROWSER__* (a chapter's own
    # browser.executable is checked again when its meeting comes).
    offer = detect(wanted, config.load(None).browser)
    for kind, missing in offer.lacking:
        print(f"meetbot fleet worker: not offering {kind} meetings: {missing}", file=sys.stderr)
    if not offer.families:
        # Started anyway would take jobs and refuse each; say it once, up front.
        print("meetbot fleet worker: no platform to offer; nothing to run", file=sys.stderr)
        return 2
    if not args.host.strip():
        raise ConfigError("--host must name this machine, got an empty name")
    context = JobContext(chapters, claims_of(chapters, args.lease_s), offers=offer, host=args.host)
    n = args.concurrency or concurrency(offer.families)
    if n < 1:
        raise ConfigError(f"--concurrency must be at least 1, got {n}")
    print(
        f"meetbot fleet worker: offering {', '.join(offer.families)} meetings, "
        f"{n} at once on {os.cpu_count()} cores",
        flush=True,
    )
    worker.run(context, n, url=url)
    return 0


def _status(args: argparse.Namespace) -> int:
    from meetbot.fleet import status
    from meetbot.fleet.workers import Workers

    chapters = chapters_of(args)
    claims = claims_of(chapters, args.lease_s)
    try:
        rows = claims.all()
        workers = Workers(claims.engine).all()
    finally:
        claims.engine.dispose()
    if args.json:
        print(json.dumps(status.as_json(rows, workers=workers, lease_s=args.lease_s), indent=2))
    else:
        print(status.as_text(rows, workers=workers, lease_s=args.lease_s))
    return 0


def _demo(args: argparse.Namespace) -> int:
    if not 2 <= args.chapters <= 8:
        raise ConfigError(f"--chapters must be between 2 and 8, got {args.chapters}")
    if not 0.5 <= args.minutes <= 10:
        raise ConfigError(f"--minutes must be between 0.5 and 10, got {args.minutes}")
    if os.environ.get("MEETBOT_SANDBOX") != "1":
        # Janus needs the private network namespace scripts/in-sandbox makes.
        sandbox = Path(__file__).resolve().parents[2] / "scripts" / "in-sandbox"
        return subprocess.call([str(sandbox), sys.executable, "-m", "meetbot", *sys.argv[1:]])
    from meetbot.lab import fleet_demo

    out = sys.stderr if args.json else sys.stdout
    try:
        channels = tuple(int(c) for c in (args.channels or "").split(",") if c.strip())
    except ValueError:
        raise ConfigError(
            f"--channels must be Discord channel ids, got {args.channels!r}"
        ) from None
    summary = asyncio.run(fleet_demo.run(args.chapters, args.minutes, out, channels))
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    for chapter in summary["chapters"]:
        print(
            f"{chapter['name']}: session {', '.join(chapter['sessions']) or 'none'}, "
            f"{chapter['recaps_posted']} recap posted, "
            + ("handed over to another worker" if chapter["handed_over"] else "one worker")
        )
    return 0
