"""MEETBOT_DISCORD_API_BASE: where discord.py sends every request, bot and webhook alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from meetbot.errors import ConfigError
from meetbot.publishers.discord_wire import (
    DEFAULT_API_BASE,
    api_base_from_env,
    current_api_base,
    use_api_base,
)


@pytest.fixture(autouse=True)
def restore_base() -> Iterator[None]:
    before = current_api_base()
    yield
    use_api_base(before)


def test_unset_means_discord() -> None:
    assert api_base_from_env({}) == DEFAULT_API_BASE
    assert current_api_base() == "https://discord.com/api/v10"


def test_a_proxy_base_gets_the_api_version_when_missing() -> None:
    assert api_base_from_env({"MEETBOT_DISCORD_API_BASE": "http://127.0.0.1:8080/"}) == (
        "http://127.0.0.1:8080/api/v10"
    )
    assert current_api_base() == "http://127.0.0.1:8080/api/v10"


def test_a_full_base_is_kept() -> None:
    assert use_api_base("http://127.0.0.1:9/api/v9") == "http://127.0.0.1:9/api/v9"


@pytest.mark.parametrize("bad", ["127.0.0.1:8080", "ftp://proxy/api", "http:// spaced"])
def test_a_bad_base_is_a_one_line_config_error(bad: str) -> None:
    before = current_api_base()
    with pytest.raises(ConfigError, match="MEETBOT_DISCORD_API_BASE must be an http"):
        use_api_base(bad)
    assert current_api_base() == before  # a refused value changes nothing
