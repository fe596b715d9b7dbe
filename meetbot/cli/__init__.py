"""The `meetbot` command. Each subcommand lives in its own module with `register(subparsers)`.

Errors meant for people (MeetbotError) end the program with one line on stderr and exit code 2
(with --json, also {"error": "..."} on stdout); anything else is a bug and keeps its traceback.
Every command runs with mediapipe's C++ start-up noise filtered out of stderr
(meetbot.terminal.console_noise); --verbose shows it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
from collections.abc import Sequence

from meetbot import __version__
from meetbot.errors import MeetbotError
from meetbot.terminal.console_noise import quiet_console

# Subcommand modules, in the order `meetbot --help` lists them.
COMMANDS = (
    "join",
    "demo",
    "probe",
    "sessions",
    "analyze",
    "detect",
    "attendance",
    "forget",
    "config",
    "chapters",
    "fleet",
    "discord_bot",
    "outbox",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="meetbot",
        description=(
            "An announced attendance and listening bot for online networking meetings. "
            "It joins the meeting as a visible participant, keeps only per-second states "
            "(never video or audio), and posts a respectful recap."
        ),
    )
    parser.add_argument("--version", action="version", version=f"meetbot {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"meetbot.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        with quiet_console(enabled=not args.verbose):
            code = int(func(args))
            sys.stdout.flush()  # inside the try: a closed pipe shows here, not at exit
            return code
    except BrokenPipeError:
        # The reader has gone (`meetbot sessions | head -1`): it wanted no more, which is not an
        # error. stdout points at /dev/null so the interpreter's final flush stays quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except MeetbotError as exc:
        if getattr(args, "json", False):
            # A script reading --json output gets an object it can parse, not an empty stdout.
            print(json.dumps({"error": str(exc)}, ensure_ascii=False))
        print(f"meetbot: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("meetbot: interrupted", file=sys.stderr)
        return 130
