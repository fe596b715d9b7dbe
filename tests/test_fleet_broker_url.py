"""MEETBOT_BROKER_URL (issue 23, L2): anything but a redis:// or rediss:// URL is refused in one
line before the scheduler or a worker starts. Celery read any other word as an AMQP host and
retried it a hundred times. Every URL here names loopback only."""

from __future__ import annotations

from pathlib import Path

import pytest

from meetbot.cli import main
from meetbot.errors import ConfigError
from meetbot.fleet.broker import BROKER_ENV, DEFAULT_BROKER, broker_url


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        ("notaurl", "'notaurl'"),
        ("amqp://guest:secret@127.0.0.1:9//", "'amqp://…'"),  # the password is not echoed
        ("http://127.0.0.1:9/", "'http://…'"),
        ("127.0.0.1:6379", "'127.0.0.1:6379'"),
    ],
)
def test_a_url_that_is_not_redis_is_refused_naming_only_its_scheme(given: str, shown: str) -> None:
    with pytest.raises(ConfigError) as refused:
        broker_url({BROKER_ENV: given})
    message = str(refused.value)
    assert message.startswith(f"{BROKER_ENV} must be a redis:// or rediss:// URL")
    assert message.endswith(f"got {shown}")
    assert "secret" not in message


@pytest.mark.parametrize(
    "given", ["redis://127.0.0.1:6379/0", "rediss://:pw@127.0.0.1:6380/1", "REDIS://127.0.0.1"]
)
def test_redis_urls_pass_and_unset_means_the_local_redis(given: str) -> None:
    assert broker_url({BROKER_ENV: given}) == given
    assert broker_url({}) == broker_url({BROKER_ENV: ""}) == DEFAULT_BROKER


@pytest.mark.parametrize(
    "action", [["scheduler", "--once"], ["worker", "--platforms", "janus", "--concurrency", "1"]]
)
def test_scheduler_and_worker_refuse_it_before_starting(
    action: list[str],
    chapter_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A real AMQP address on loopback, where nothing listens.
    monkeypatch.setenv(BROKER_ENV, "amqp://guest@127.0.0.1:9//")
    assert main(["fleet", action[0], "--chapters", str(chapter_folder), *action[1:]]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"meetbot: {BROKER_ENV} must be a redis:// or rediss:// URL, e.g. {DEFAULT_BROKER}, "
        "got 'amqp://…'\n"
    )
    assert captured.out == ""  # not even the worker's start line
