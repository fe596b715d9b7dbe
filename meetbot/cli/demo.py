"""`meetbot demo`: a local demo meeting end to end, the README's first command.

The meeting itself runs inside a throw-away network namespace (scripts/in-sandbox: Janus needs
a private non-loopback interface for ICE). Reports and the recap are produced out here, where
Discord — if configured — can be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from meetbot.errors import ConnectError
from meetbot.lab.demo_pages import CLIENTS

if TYPE_CHECKING:
    from meetbot.config.schema import Settings

IN_SANDBOX = Path(__file__).resolve().parents[2] / "scripts" / "in-sandbox"


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "demo",
        help="run a local demo meeting end to end (private Janus, scripted participants)",
        description=(
            "Starts a private Janus, seven scripted participants made from real face photos and "
            "the bot; ends with the HTML report, the public recap, every member's private card "
            "and the lead comparison (posted to Discord if configured, else printed and written "
            "to the outbox folder). The first run also records a shorter earlier session, so the "
            "comparison has two sessions."
        ),
    )
    parser.add_argument(
        "--participants", type=int, default=None, help="scripted people (default 7)"
    )
    parser.add_argument(
        "--minutes", type=float, default=2.0, help="length of the demo meeting (default 2)"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the session summary as JSON on stdout"
    )
    parser.add_argument(
        "--platform",
        choices=("janus", "web"),
        default="janus",
        help="janus: the bot joins Janus itself (aiortc); web: a real Chromium joins Janus's own "
        "web client (the browser bridge)",
    )
    parser.add_argument(
        "--client",
        choices=tuple(CLIENTS),
        help="with --platform web: the demo client (videoroom, the default: one connection per "
        "person; mvideoroom: one for everyone)",
    )
    parser.add_argument("--config", help="a chapter file to take Discord/storage settings from")
    # Internal: the half that runs inside the namespace and only records the meetings.
    parser.add_argument("--meeting-only", metavar="RESULT", help=argparse.SUPPRESS)
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    from meetbot.lab import demo  # here, not at the top: the other commands need no lab

    if args.client is not None and args.platform != "web":
        # Only the browser bridge has a client to choose; ignoring it would demo another one.
        print("meetbot: --client needs --platform web (Janus's own web client)", file=sys.stderr)
        return 2
    if args.participants is None:
        args.participants = demo.PERSONAS
    if args.participants < 3 or args.participants > 48:
        print("meetbot: --participants must be between 3 and 48", file=sys.stderr)
        return 2
    if not 0.5 <= args.minutes <= 30:
        print("meetbot: --minutes must be between 0.5 and 30", file=sys.stderr)
        return 2
    client = args.client or "videoroom"
    settings = demo.settings(args.participants, args.config)
    out = sys.stderr if args.json else sys.stdout
    platform = "janus" if args.platform == "janus" else CLIENTS[client]
    since = datetime.now(UTC)
    try:
        if args.meeting_only or os.environ.get("MEETBOT_SANDBOX") == "1":
            ids = asyncio.run(
                demo.record_meetings(settings, args.participants, args.minutes, out, platform)
            )
            if args.meeting_only:
                Path(args.meeting_only).write_text(json.dumps(ids), encoding="utf-8")
                return 0
        else:
            ids = _meetings_in_sandbox(args, settings)
    except KeyboardInterrupt:
        if not args.meeting_only:  # the outer command says it, once
            _say_what_was_kept(settings, since)
        raise
    summary = asyncio.run(demo.finish(settings, ids, out))
    if args.json:
        print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


def _say_what_was_kept(settings: Settings, since: datetime) -> None:
    """After Ctrl-C: which demo sessions are stored, so the user knows what to report."""
    from meetbot import app
    from meetbot.store import SessionStatus

    with app.open_store(settings) as store:
        kept = [
            s
            for s in store.list_sessions(chapter=settings.chapter.name)
            if s.started_at >= since - timedelta(seconds=5)
        ]
    for s in reversed(kept):
        if s.status is SessionStatus.RUNNING:
            state = "kept as recorded so far; `meetbot report` recovers it"
        else:
            state = f"saved ({s.duration_s / 60:.1f} min)"
        print(
            f"meetbot: demo session {s.session_id} {state}; `meetbot report {s.session_id}` "
            f"writes its report, `meetbot post {s.session_id}` its recap",
            file=sys.stderr,
        )
    if not kept:
        print("meetbot: the demo was interrupted before a session began", file=sys.stderr)


def _failed(settings: Settings, returncode: int) -> str:
    """Why the demo meeting may have failed: a demo killed (kill -9) leaves its session marked
    running, which the user should hear about before Janus or unshare are blamed."""
    from meetbot import app
    from meetbot.store import SessionStatus

    said = f"the demo meeting failed (exit {returncode}); the lines above say why"
    with app.open_store(settings) as store:
        left = [
            s.session_id
            for s in store.list_sessions(chapter=settings.chapter.name)
            if s.status is SessionStatus.RUNNING
        ]
    if not left:
        return f"{said}. It needs Janus (scripts/setup installs it) and unshare (util-linux)"
    return (
        f"{said}. Demo session {left[0]} is still marked running: an earlier demo was stopped "
        f"before it could save it (or is still running). Once no demo runs, `meetbot report "
        f"{left[0]}` recovers it; `meetbot sessions` lists every session"
    )


def _meetings_in_sandbox(args: argparse.Namespace, settings: Settings) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="meetbot-demo-") as tmp:
        result = Path(tmp) / "sessions.json"
        command = [
            str(IN_SANDBOX),
            sys.executable,
            "-m",
            "meetbot",
            "demo",
            "--participants",
            str(args.participants),
            "--minutes",
            str(args.minutes),
            "--platform",
            args.platform,
            "--meeting-only",
            str(result),
        ]
        if args.client:
            command += ["--client", args.client]
        if args.config:
            command += ["--config", args.config]
        if args.json:
            command.append("--json")
        # Its stderr is ours, already filtered of mediapipe's noise (meetbot.terminal).
        interrupted = False
        with subprocess.Popen(command) as meeting:
            try:
                returncode = meeting.wait()
            except KeyboardInterrupt:
                # The meeting process got the same Ctrl-C: it ends the meeting early and saves
                # it, and the reports follow as after a full one. Wait for that, unless a second
                # Ctrl-C says not to (its Janus dies with it).
                interrupted = True
                try:
                    returncode = meeting.wait()
                except KeyboardInterrupt:
                    meeting.kill()
                    raise KeyboardInterrupt from None
        if interrupted and (returncode != 0 or not result.exists()):
            raise KeyboardInterrupt
        if returncode != 0 or not result.exists():
            raise ConnectError(_failed(settings, returncode))
        ids: list[str] = json.loads(result.read_text(encoding="utf-8"))
        return ids
