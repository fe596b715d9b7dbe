"""What a worker needs to join a platform's meetings, and what one meeting costs it.

A worker that lacks a platform's parts refuses that platform's jobs with the reason (shown by
`meetbot fleet status`) instead of failing half-way into a meeting.
"""

from __future__ import annotations

import importlib.util
import math
import os

import aiohttp

from meetbot.config.schema import Settings
from meetbot.errors import ConnectError

# Cores one watched meeting takes: ~1 on Janus (aiortc decoding + mediapipe at 1 fps for a
# 20-60 person room, bench/participants.py), 2-4 through a browser (the browser-bridge issue).
CORES_PER_MEETING = {"janus": 1.0, "browser": 3.0}
SUPPORTED = ("janus",)


def concurrency(platform: str, cores: int | None = None) -> int:
    """Meetings one machine runs at once: its cores over a meeting's cost, at least one."""
    cores = cores or os.cpu_count() or 1
    cost = CORES_PER_MEETING.get(platform)
    if cost is None:
        raise ConnectError(f"unknown platform {platform!r}; known: {', '.join(CORES_PER_MEETING)}")
    return max(1, math.floor(cores / cost))


def missing_parts(platform: str) -> str | None:
    """What this machine lacks for `platform`, or None."""
    if platform not in SUPPORTED:
        return f"this worker has no {platform} support (offers: {', '.join(SUPPORTED)})"
    if importlib.util.find_spec("aiortc") is None:
        return "aiortc is not installed; run scripts/setup"
    return None


async def platform_problem(settings: Settings, offers: tuple[str, ...]) -> str | None:
    """Why this worker cannot join this chapter's meeting now, or None when it can."""
    platform = settings.meeting.platform
    if platform not in offers:
        return f"this worker offers {', '.join(offers)}, not {platform}"
    missing = missing_parts(platform)
    if missing:
        return missing
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
