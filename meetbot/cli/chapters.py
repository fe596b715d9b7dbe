"""`meetbot chapters check DIR`: validate a region's chapter files and show when each meets."""

from __future__ import annotations

import argparse
import zoneinfo
from datetime import UTC, datetime

from meetbot.fleet.chapters import load_folder


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("chapters", help="check a folder of chapter files and their schedules")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check", help="validate every chapter file in DIR and print its next meetings"
    )
    check.add_argument("folder", metavar="DIR", help="folder of chapter TOML files")
    check.add_argument("--next", type=int, default=3, help="occurrences to show per chapter")
    check.add_argument(
        "--after", help="list meetings from this ISO date-time (UTC if no offset) instead of now"
    )
    check.set_defaults(func=_check)


def _check(args: argparse.Namespace) -> int:
    chapters = load_folder(args.folder)
    after = datetime.now(UTC)
    if args.after:
        after = datetime.fromisoformat(args.after)
        after = after if after.tzinfo else after.replace(tzinfo=UTC)
    for name, settings in sorted(chapters.by_name.items()):
        schedule = settings.schedule
        print(f"{name} ({settings.source}):")
        if not schedule.active:
            print("  no schedule: the bot comes only when invited (/meetbot invite)")
            continue
        tz = zoneinfo.ZoneInfo(schedule.timezone or settings.chapter.timezone)
        print(f"  {schedule.describe()} {tz.key}, {schedule.length_min:g} min")
        found = schedule.occurrences(name, settings.chapter.timezone, after, args.next)
        for o in found:
            local = o.start.astimezone(tz)
            print(
                f"  {local:%a %Y-%m-%d %H:%M} {local.tzname()} "
                f"(UTC {o.start.astimezone(UTC):%H:%M})  {o.key}"
            )
        if not found:
            # A rule's UNTIL or COUNT has passed: valid (it met from its anchor), but over.
            print(f"  no meeting in the two years from {after:%Y-%m-%d %H:%M %Z}")
    print(f"{len(chapters.by_name)} chapters ok")
    return 0
