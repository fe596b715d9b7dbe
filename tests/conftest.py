"""Suite-wide isolation: no test reads the developer's config or writes their data dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Facts about the machine the suite runs on, not configuration.
KEEP = {"MEETBOT_SANDBOX"}


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
