"""scripts/in-sandbox: a private network namespace with lo and a veth pair, and no way out."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

IN_SANDBOX = Path(__file__).resolve().parents[1] / "scripts" / "in-sandbox"


def _inside(command: str) -> str:
    done = subprocess.run(
        [str(IN_SANDBOX), "sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if done.returncode != 0 and "unshare" in done.stderr:
        pytest.skip(f"user namespaces unavailable here: {done.stderr.strip()}")
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_namespace_has_loopback_and_the_veth_pair_only() -> None:
    addresses = _inside("ip -4 -o addr show | awk '{print $2, $4}'").split("\n")
    assert sorted(a for a in addresses if a) == [
        "lo 127.0.0.1/8",
        "mv0 10.77.0.1/24",
        "mv1 10.77.0.2/24",
    ]


def test_nothing_is_routed_out_of_the_namespace() -> None:
    routes = _inside("ip -4 route show")
    assert "default" not in routes
    assert {line.split()[0] for line in routes.strip().splitlines()} == {"10.77.0.0/24"}


def test_commands_know_they_are_inside_and_nesting_reuses_the_namespace() -> None:
    ns = "readlink /proc/self/ns/net"
    out = _inside(f'echo "$MEETBOT_SANDBOX"; {ns}; {IN_SANDBOX} {ns}')
    flag, outer, inner = out.split()
    assert flag == "1"
    assert outer == inner


def test_without_a_command_it_prints_usage() -> None:
    done = subprocess.run(
        [str(IN_SANDBOX)], capture_output=True, text=True, timeout=10, check=False
    )
    assert done.returncode == 2
    assert done.stderr.startswith("usage: scripts/in-sandbox CMD")
