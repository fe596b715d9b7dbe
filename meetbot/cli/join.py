"""`meetbot join`: the bot in a real meeting, from joining to the posted recap."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import signal
import sys
import zoneinfo

from meetbot import config
from meetbot.cli import numbers
from meetbot.errors import ConfigError, StoppedWhileJoining

MAX_MINUTES = 24 * 60  # a meeting, not a service: a longer watch is a typo
LINK_HELP = (
    "the meeting's link as the invitation shows it: Google Meet, Microsoft Teams, Zoom, Jitsi "
    "(meet.jit.si or meeting.jitsi_hosts) or Janus (wss://host/janus#ROOM); sets "
    "meeting.platform and meeting.url, rewritten to what the web client opens directly"
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "join",
        help="join the chapter's meeting, watch it, save, report and post the recap",
        description=(
            "Joins the meeting as a visible participant, shows live progress, and leaves when "
            "the meeting ends, at --until/--minutes, or on Ctrl-C (or SIGTERM). The session is "
            "saved first; a second Ctrl-C or a crash still leaves it for `meetbot report` / "
            "`meetbot post`. Exits 1 when the report files or the recap could not be delivered "
            "(the session is saved; the last line says what redoes them)."
        ),
    )
    parser.add_argument("--config", required=True, help="chapter TOML file")
    parser.add_argument("--room", type=int, help="VideoRoom id (overrides meeting.room)")
    parser.add_argument("--link", help=LINK_HELP)
    end = parser.add_mutually_exclusive_group()
    end.add_argument("--until", help="leave at this local time, HH:MM in the chapter timezone")
    end.add_argument("--minutes", type=float, help="leave after this many minutes")
    parser.set_defaults(func=_join)


def until_seconds(
    until: str | None, minutes: float | None, timezone: str, now: dt.datetime | None = None
) -> float | None:
    """Seconds from now to the end the user asked for, or None for "until the meeting ends"."""
    if minutes is not None:
        return numbers.positive("--minutes", minutes, at_most=MAX_MINUTES) * 60
    if until is None:
        return None
    try:
        hour, minute = (int(part) for part in until.split(":"))
        tz = zoneinfo.ZoneInfo(timezone)
        now = now or dt.datetime.now(tz)
        end = now.astimezone(tz).replace(hour=hour, minute=minute, second=0, microsecond=0)
    except ValueError:
        raise ConfigError(f"--until must be HH:MM (24-hour clock), got {until!r}") from None
    if end <= now:
        end += dt.timedelta(days=1)
    return (end - now).total_seconds()


def _join(args: argparse.Namespace) -> int:
    from meetbot import app  # here, not at the top: the other commands need no media stack

    if args.room is not None:
        numbers.count("--room", args.room)
    overrides = {"meeting.room": args.room} if args.room is not None else None
    settings = config.load(args.config, overrides=overrides, link=args.link)
    config.check_discord_secrets(settings)
    until_s = until_seconds(args.until, args.minutes, settings.chapter.timezone)
    # Ctrl-C (or SIGTERM from a service manager) ends the meeting: saved, reported, posted.
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    try:
        finished = asyncio.run(app.join(settings, until_s=until_s, stop_signals=stop_signals))
    except StoppedWhileJoining as exc:
        if not exc.interrupted:
            raise  # the end time came first: one line and exit code 2, like a failed join
        print(f"meetbot: {exc}", file=sys.stderr)
        return 130  # Ctrl-C's exit code, as the shell expects
    app.describe(finished, sys.stdout)
    if problem := app.undelivered(finished):
        # A script or service manager must see it: exit 0 would say the recap went out.
        print(f"meetbot: {problem}", file=sys.stderr)
        return 1
    return 0
