"""The region view: chapters side by side from one store, group figures only, with its chart."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from test_publishers_chapter_data import NAMES, session

from meetbot.cli import main
from meetbot.domain.states import Attendance
from meetbot.store import Store
from reports.region import CHART_NAME, region_comparison


def of(chapter: str, week: int, absent: int = 0, late: int = 0):  # type: ignore[no-untyped-def]
    record = session(week)
    people = list(record.attendees)
    for i in range(absent):
        people[i] = replace(people[i], attendance=Attendance.ABSENT, score=None)
    for i in range(absent, absent + late):
        people[i] = replace(people[i], attendance=Attendance.LATE)
    return replace(
        record,
        session_id=f"{chapter}-{week}",
        chapter=chapter,
        attendees=tuple(people),
    )


def test_chapters_side_by_side_with_group_figures_only() -> None:
    post = region_comparison(
        {
            "Birch": [of("Birch", 0, absent=3), of("Birch", 1, absent=3)],
            "Alder": [of("Alder", 0), of("Alder", 1, late=2)],
            "Cedar": [],
        },
        min_group=5,
    )
    rows = [line for line in post.body.splitlines() if line.startswith(("Alder", "Birch"))]
    assert rows[0].split() == ["Alder", "2", "100%", "1.0", rows[0].split()[-1]]
    assert rows[1].split()[:4] == ["Birch", "2", "50%", "0.0"]
    assert rows[1].split()[-1] == "—"  # 3 scored of 6: fewer than 5, withheld
    assert "No finished sessions yet: Cedar." in post.body
    for name in NAMES:  # never a person
        assert name not in post.body
    (chart,) = post.attachments
    assert chart.filename == CHART_NAME
    assert chart.data.startswith(b"\x89PNG")


def test_meetbot_compare_chapters_from_one_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEETBOT_HOME", str(tmp_path))
    with Store.open("", tmp_path) as store:
        for record in (of("Alder", 0), of("Birch", 0, absent=1), of("Cedar", 0, late=1)):
            store.save(record)
    assert main(["compare", "--chapters", "Alder,Birch,Cedar", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "3 chapters side by side" in out
    assert (tmp_path / "region.png").read_bytes().startswith(b"\x89PNG")
    assert main(["compare", "--chapters", "Alder,Nowhere"]) == 2
    err = capsys.readouterr().err
    assert "no sessions of 'Nowhere' in the store" in err
    assert "\n" not in err.strip()
    # One chapter named twice is not a region (issue 23, L7): counted once, then refused.
    assert main(["compare", "--chapters", "Alder, Alder"]) == 2
    assert capsys.readouterr().err == (
        "meetbot: --chapters needs two or more different chapter names, e.g. A,B,C\n"
    )
