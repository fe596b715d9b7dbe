"""`meetbot probe`: check a browser platform's profile against a real meeting, analysing nothing."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from meetbot import config
from meetbot.cli.join import LINK_HELP
from meetbot.config.schema import JANUS
from meetbot.errors import ConfigError


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "probe",
        help="join a meeting through the browser and print what the platform profile sees",
        description=(
            "Joins the meeting of FILE's [meeting] with its browser profile, analyses nothing, "
            "and prints whether the bot was admitted, who is there, pictures per second per "
            "person, speaking signals and whether the announcement reached the chat."
        ),
    )
    parser.add_argument("--config", required=True, help="the chapter file")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to watch")
    parser.add_argument("--json", action="store_true", help="print the findings as JSON")
    parser.add_argument("--link", help=LINK_HELP)
    parser.add_argument(
        "--save-page",
        metavar="DIR",
        help="write an outline of each join screen (and the one it failed on) to DIR, private "
        "to you, for mending the platform profile: the page's structure and its controls' "
        "words, never names, chat or pictures",
    )
    parser.set_defaults(func=_probe)


def _probe(args: argparse.Namespace) -> int:
    if not 1 <= args.seconds <= 600:
        raise ConfigError("--seconds must be between 1 and 600")
    settings = config.load(args.config, link=args.link)
    if settings.meeting.platform == JANUS:
        raise ConfigError(
            f"{args.config}: probe checks browser profiles; meeting.platform is 'janus'"
        )
    # Imported here: Playwright and aiortc load only when a meeting is joined.
    from meetbot.connectors.browser.probe import describe, probe

    save_page = Path(args.save_page) if args.save_page else None
    result = asyncio.run(probe(settings, args.seconds, config.data_dir(), save_page))
    print(json.dumps(result, indent=2, ensure_ascii=False) if args.json else describe(result))
    return 0 if result["admitted"] else 1
