"""Regenerate the README's picture of the organiser's report (docs/report.png).

    scripts/report-screenshot [--out docs/report.png]

Five weekly meetings of `meetbot.lab.sample_meeting` go through the real domain assembly and
the real HTML report renderer; headless Chromium (Debian's `chromium`) opens the page from a
file and photographs its top: the summary and the meeting at a glance. Chromium's profile is
a private (0700) folder in MEETBOT_HOME, removed afterwards, and it is started with every
background-networking feature off: it opens one local file and calls nowhere.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import reports
from meetbot.config import data_dir
from meetbot.errors import ConfigError, MeetbotError
from meetbot.lab import sample_meeting

ROOT = Path(__file__).resolve().parent.parent.parent
FLAGS = (
    "--headless",
    "--no-sandbox",  # run as root in CI containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
)
TIMEOUT_S = 120.0


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise ConfigError("chromium is not installed: apt-get install chromium, then run again")
    return found


def report_html(weeks: int = 5) -> str:
    records = sample_meeting.sample_sessions(weeks)
    return reports.html_report(records[-1], records[:-1], timezone=sample_meeting.TIMEZONE)


def photograph(html: str, out: Path, *, width: int, height: int) -> None:
    """`html` rendered by headless Chromium into the PNG `out` (the top `height` pixels)."""
    home = data_dir()
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(prefix="screenshot-", dir=home) as work:  # 0700
        page = Path(work) / "report.html"
        page.write_text(html, encoding="utf-8")
        shot = Path(work) / "shot.png"
        command = [
            chromium(),
            *FLAGS,
            f"--user-data-dir={Path(work) / 'profile'}",
            f"--window-size={width},{height}",
            f"--screenshot={shot}",
            page.as_uri(),
        ]
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)
        if done.returncode != 0 or not shot.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise ConfigError(f"chromium could not take the screenshot: {last}")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="report-screenshot", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--width", type=int, default=1000, help="browser width in px")
    parser.add_argument("--height", type=int, default=1440, help="how much of the page, in px")
    parser.add_argument("--html", type=Path, help="also keep the rendered report here")
    args = parser.parse_args(argv)
    try:
        html = report_html()
        if args.html:
            args.html.write_text(html, encoding="utf-8")
        photograph(html, args.out, width=args.width, height=args.height)
    except MeetbotError as exc:
        sys.stderr.write(f"report-screenshot: {exc}\n")
        return 2
    sys.stdout.write(f"report-screenshot: {args.out}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
