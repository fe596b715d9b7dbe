"""redis-server for the fleet tests (meetbot.lab.services), skipped where it is not installed.

with redis_server() as url:      # redis://127.0.0.1:PORT/0
    ...
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest

from meetbot.lab.services import ServiceMissing, free_port
from meetbot.lab.services import redis_server as _redis_server

__all__ = ["free_port", "redis_server"]


@contextlib.contextmanager
def redis_server(port: int | None = None) -> Iterator[str]:
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(_redis_server(port))
        except ServiceMissing as exc:
            pytest.skip(str(exc))
        yield url
