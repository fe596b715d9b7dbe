"""Where meetbot's files are: the commented defaults beside the code, the data folder, and the
files people name on the command line."""

from __future__ import annotations

import os
import shutil
import tempfile
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


def input_file(path: str | Path, kind: str, missing: str = "") -> Path:
    """A file named on the command line, checked before it is read: a folder or a missing file
    is one line saying which. `kind` says what to give ("a chapter file (.toml)"); `missing`
    replaces "give <kind>" after "no such file"."""
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; give {kind} instead")
    if not path.exists():
        raise ConfigError(f"{path}: no such file; {missing or 'give ' + kind}")
    return path


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where sessions, reports and the outbox live: MEETBOT_HOME, else the user data dir."""
    env = os.environ if env is None else env
    if env.get("MEETBOT_HOME"):
        return Path(env["MEETBOT_HOME"])
    return Path(platformdirs.user_data_dir("meetbot", appauthor=False))


def reports_dir(out_dir: str, env: Mapping[str, str] | None = None) -> Path:
    """Where report files go: reports.out_dir, else <data dir>/reports."""
    return Path(out_dir) if out_dir else data_dir(env) / "reports"


def check_writable(folder: Path, source: str) -> None:
    """A ConfigError unless report files can be written to `folder` (made if missing).

    Tried for real, not guessed from permission bits (which root ignores and /proc defies): a
    scratch folder is made and removed in the nearest part of the path that exists, so nothing
    is left behind."""
    try:
        nearest = next(p for p in (folder, *folder.parents) if p.exists())
        shutil.rmtree(tempfile.mkdtemp(prefix=".meetbot-check-", dir=nearest))
    except OSError as exc:
        raise ConfigError(
            f"{source}: cannot write report files to {folder} ({exc.strerror or exc}); set "
            "reports.out_dir (or MEETBOT_REPORTS__OUT_DIR) to a folder this user can write"
        ) from exc
