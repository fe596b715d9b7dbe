"""`meetbot chapters check DIR`: validate a region's chapter files and show when each meets."""

from __future__ import annotations

import argparse
import sys
import zoneinfo
from datetime import UTC, datetime

from meetbot.cli import numbers
from meetbot.config.schedule import ANCHORS
from meetbot.errors import ConfigError
from meetbot.fleet.chapters import load_folder

MOST_SHOWN = 100  # two years of a weekly chapter; the listing never looks further than two years


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("chapters", help="check a folder of chapter files and their schedules")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="validate every chapter file in DIR and print its next meetings"
    )
    check.add_argument("folder", metavar="DIR", help="folder of chapter TOML files")
    check.add_argument(
        "--next", type=int, default=3, help=f"occurrences to show per chapter (1-{MOST_SHOWN})"
    )
    check.add_argument(
        "--after",
        help="list meetings from this ISO date or date-time (UTC if no offset) instead of now",
    )
    check.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    shown = numbers.count("--next", args.next, at_most=MOST_SHOWN)
    after = numbers.moment("--after", args.after) if args.after else datetime.now(UTC)
    if not ANCHORS[0] <= after.astimezone(UTC).date() <= ANCHORS[1]:
        # Schedules count from an anchor in these years: listing from elsewhere means nothing.
        raise ConfigError(f"--after {args.after!r}: give a date from {ANCHORS[0]} to {ANCHORS[1]}")
    chapters = load_folder(args.folder)
    for name, settings in sorted(chapters.by_name.items()):
        schedule = settings.schedule
        print(f"{name} ({settings.source}):")
        if not schedule.active:
            print("  no schedule: the bot comes only when invited (/meetbot invite)")
            continue
        tz = zoneinfo.ZoneInfo(schedule.timezone or settings.chapter.timezone)
        print(f"  {schedule.describe()} {tz.key}, {schedule.length_min:g} min")
        found = schedule.occurrences(name, settings.chapter.timezone, after, shown)
        for o in found:
            local = o.start.astimezone(tz)
            print(
                f"  {local:%a %Y-%m-%d %H:%M} {local.tzname()} "
                f"(UTC {o.start.astimezone(UTC):%H:%M})  {o.key}"
            )
        if not found:
            # A rule's UNTIL or COUNT has passed: valid (it met from its anchor), but over.
            print(f"  no meeting in the two years from {after:%Y-%m-%d %H:%M %Z}")
    for reason in chapters.refused.values():
        print(reason, file=sys.stderr)
    refused = f", {len(chapters.refused)} refused" if chapters.refused else ""
    print(f"{len(chapters.by_name)} chapters ok{refused}")
    return 2 if chapters.refused else 0
