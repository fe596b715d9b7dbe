"""What a worker needs to join a platform's meetings, and what one meeting costs it.

Platforms come in two families: `janus` (the aiortc connector) and `web` (every browser
profile: a real Chromium on the platform's web client). At start-up a worker offers each family
whose parts this machine has (`detect`), and says why it leaves one out. A job whose meeting is
on a family the worker does not offer, or whose parts are gone, is refused with that reason
(shown by `meetbot fleet status`) instead of failing half-way into a meeting; another worker
takes it.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os
import subprocess
from dataclasses import dataclass
from enum import StrEnum

import aiohttp

from meetbot.config import schema
from meetbot.config.schema import BROWSER_PLATFORMS, BrowserSettings, Settings
from meetbot.errors import ConfigError, ConnectError


class Family(StrEnum):
    """Platforms that need the same parts on a worker."""

    JANUS = "janus"  # meeting.platform "janus": the aiortc connector
    WEB = "web"  # every browser profile: Playwright and a Chromium that runs


JANUS, WEB = Family.JANUS, Family.WEB
FAMILIES = {JANUS: (schema.JANUS,), WEB: BROWSER_PLATFORMS}
# Cores one watched meeting takes. Janus: ~1 (aiortc decoding + mediapipe at 1 fps; 0.85 for
# 24 feeds in bench/browser.py). Web: 3, the middle of the 2-4: Janus's own demo
# client measured 1.1 cores for 24 feeds (bench/browser.py), and the real clients (Meet, Teams,
# Zoom) render far more in their pages; a worker sizes for the costliest meeting it offers.
CORES_PER_MEETING = {JANUS: 1.0, WEB: 3.0}


def family(platform: str) -> Family:
    """Which parts a meeting on `platform` needs."""
    return JANUS if platform == schema.JANUS else WEB


def parse_families(text: str) -> tuple[Family, ...]:
    """`--platforms janus,web` as families, in the given order, or a one-line ConfigError."""
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in FAMILIES]
    if unknown or not names:
        raise ConfigError(
            f"--platforms {text!r}: give a comma-separated list of {', '.join(FAMILIES)} "
            f"(web: every browser profile: {', '.join(BROWSER_PLATFORMS)})"
        )
    return tuple(Family(n) for n in names)


def concurrency(families: tuple[Family, ...], cores: int | None = None) -> int:
    """Meetings one worker runs at once: its cores over the costliest offered meeting, at least
    one. A worker offering web meetings sizes for every meeting being one; split a big machine
    into two workers (`--platforms janus`, `--platforms web`, each with --concurrency) to run
    both kinds at their own cost."""
    cores = cores or os.cpu_count() or 1
    if not families:
        raise ConfigError("a worker offering no platform runs no meetings")
    cost = max(CORES_PER_MEETING[f] for f in families)
    return max(1, math.floor(cores / cost))


def missing_parts(kind: Family, browser: BrowserSettings | None = None) -> str | None:
    """What this machine lacks for meetings of family `kind`, or None."""
    if kind == JANUS:
        if importlib.util.find_spec("aiortc") is None:
            return "aiortc is not installed; run scripts/setup"
        return None
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed; run scripts/setup"
    from meetbot.connectors.browser import launch

    try:
        executable = launch.chromium(browser or BrowserSettings())
    except ConfigError as exc:
        return str(exc)
    return _unlaunchable(executable)


@functools.cache
def _unlaunchable(executable: str) -> str | None:
    """Why `executable --version` does not run (a binary that is there but broken), or None.
    Cached: a worker checks once at start-up, and its forked pool processes inherit the answer."""
    try:
        done = subprocess.run(
            [executable, "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"Chromium ({executable}) does not run: {exc}"
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        return f"Chromium ({executable}) does not run: {said[0] if said else done.returncode}"
    return None


@dataclass(frozen=True, slots=True)
class Offer:
    """The families a worker runs, and why it leaves out the others it was asked for."""

    families: tuple[Family, ...] = (JANUS,)
    lacking: tuple[tuple[Family, str], ...] = ()  # (family, what this machine lacks)

    def __post_init__(self) -> None:
        given = (*self.families, *dict(self.lacking))
        if not all(isinstance(f, Family) for f in given):
            raise ValueError(f"platform families are {list(Family)}, got {list(given)}")

    def refusal(self, platform: str) -> str | None:
        """Why this worker does not run meetings on `platform`, or None when it offers it."""
        kind = family(platform)
        if kind in self.families:
            return None
        why = dict(self.lacking).get(kind)
        if why:
            return f"this worker cannot run {kind} meetings ({platform}): {why}"
        return f"this worker runs {', '.join(self.families) or 'no'} meetings, not {platform}"


JANUS_ONLY = Offer()


def detect(wanted: tuple[Family, ...] | None, browser: BrowserSettings) -> Offer:
    """Offer each wanted family (all when None) whose parts this machine has."""
    offered: list[Family] = []
    lacking: list[tuple[Family, str]] = []
    for kind in wanted or tuple(Family):
        missing = missing_parts(kind, browser)
        if missing:
            lacking.append((kind, missing))
        else:
            offered.append(kind)
    return Offer(tuple(offered), tuple(lacking))


async def platform_problem(settings: Settings, offer: Offer) -> str | None:
    """Why this worker cannot join this chapter's meeting now, or None when it can."""
    platform = settings.meeting.platform
    refused = offer.refusal(platform)
    if refused:
        return refused
    # Checked again per meeting: a chapter may name its own browser.executable.
    missing = missing_parts(family(platform), settings.browser)
    if missing:
        return missing
    if platform != JANUS:
        return None  # the web client's own page says at join whether the meeting is there
    from meetbot.connectors.janus_session import server_info

    url = settings.meeting.url
    try:
        async with aiohttp.ClientSession() as http:
            info = await server_info(url, http, timeout_s=5.0)
    except (ConnectError, OSError, aiohttp.ClientError) as exc:
        return f"Janus at {url} is unreachable from this worker ({exc})"
    if "janus.plugin.videoroom" not in info.get("plugins", {}):
        return f"Janus at {url} has no VideoRoom plugin"
    return None
