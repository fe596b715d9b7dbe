"""Suite-wide isolation: no test reads the developer's config or writes their data dir; and
settings that keep the suite honest on a busy machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Fixtures shared across modules are registered here once: a fixture imported into a module is
# a new definition there, so a session-scoped one imported into seven modules ran seven times.
pytest_plugins = ["postgres"]

# Facts about the machine the suite runs on, not configuration.
KEEP = {"MEETBOT_SANDBOX"}

# The gate runs on busy shared machines: Hypothesis's timing checks (slow input generation,
# a per-example deadline) would measure the machine, not the properties under test.
settings.register_profile("gate", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("gate")


@pytest.fixture(autouse=True)
def isolated_meetbot_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    for name in list(os.environ):
        if name.startswith("MEETBOT_") and name not in KEEP:
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("meetbot-home")
    monkeypatch.setenv("MEETBOT_HOME", str(home))
    return home


@pytest.fixture
def chapter_folder(isolated_meetbot_env: Path) -> Path:
    """A `--chapters` folder of one chapter whose meeting is on loopback, where nothing listens."""
    folder = isolated_meetbot_env / "chapters"
    folder.mkdir()
    (folder / "alder.toml").write_text(
        '[chapter]\nname = "Alder"\n[meeting]\nurl = "ws://127.0.0.1:9/"\nroom = 1234\n',
        encoding="utf-8",
    )
    return folder
