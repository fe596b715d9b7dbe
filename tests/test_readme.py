"""The README is the user's manual: keep its promises in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

from meetbot.cli import build_parser
from meetbot.domain import scoring

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_two_setup_commands_exist_in_the_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "make demo" in README
    assert "make test" in README
    assert re.search(r"^demo: setup$", makefile, re.M)
    assert re.search(r"^test: setup$", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_score_formula_is_the_one_the_code_documents() -> None:
    doc = scoring.__doc__ or ""
    formula = doc.split("## How the listening score is computed", 1)[1].strip()
    assert formula in README


def test_every_command_is_documented() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in sub.choices:  # type: ignore[union-attr]
        assert f"meetbot {name}" in README or f"`{name} " in README, name
