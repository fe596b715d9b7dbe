"""Where meetbot's files are: the commented defaults beside the code, the data folder."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from meetbot.errors import ConfigError

# meetbot runs from its checkout (README), so the commented defaults stay where people read them.
DEFAULT_FILE = Path(__file__).resolve().parents[2] / "config" / "default.toml"


def default_config_text() -> str:
    try:
        return DEFAULT_FILE.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{DEFAULT_FILE}: cannot read the defaults ({exc})") from exc


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where sessions, reports and the outbox live: MEETBOT_HOME, else the user data dir."""
    env = os.environ if env is None else env
    if env.get("MEETBOT_HOME"):
        return Path(env["MEETBOT_HOME"])
    return Path(platformdirs.user_data_dir("meetbot", appauthor=False))
