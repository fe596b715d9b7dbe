"""Chapter schedules: weekdays or an RRULE, local times across DST, and the folder check."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from meetbot.cli import main
from meetbot.config.schedule import Schedule
from meetbot.errors import ConfigError
from meetbot.fleet.chapters import load_folder

SPRING = datetime(2026, 3, 20, tzinfo=UTC)  # London moves to BST on 29 March 2026


def test_weekly_start_stays_local_across_the_dst_change() -> None:
    s = Schedule(weekdays=("tue", "thursday"), start="07:00", timezone="Europe/London")
    got = s.occurrences("A", "UTC", SPRING, 4)
    assert [o.start.astimezone(UTC).strftime("%m-%d %H:%M") for o in got] == [
        "03-24 07:00",
        "03-26 07:00",
        "03-31 06:00",  # 07:00 BST
        "04-02 06:00",
    ]
    assert {o.start.hour for o in got} == {7}
    assert got[2].key == "A@2026-03-31T06:00:00Z"
    assert got[0].length_s == 90 * 60


def test_rrule_every_other_week_in_the_chapter_zone() -> None:
    s = Schedule(rrule="FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", start="07:00", anchor="2026-01-13")
    got = s.occurrences("A", "America/New_York", datetime(2026, 10, 20, tzinfo=UTC), 3)
    assert [o.start.strftime("%m-%d %H:%M %z") for o in got] == [
        "10-20 07:00 -0400",
        "11-03 07:00 -0500",  # after the US change on 1 November
        "11-17 07:00 -0500",
    ]


def test_no_schedule_means_invited_only() -> None:
    assert Schedule().occurrences("A", "UTC", SPRING, 3) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rrule": "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "start": "07:00"}, "never occurs"),
        ({"rrule": "FREQ=WEEKLY;UNTIL=20200101T000000", "start": "07:00"}, "never occurs"),
        ({"weekdays": ("tue",), "start": "07:00", "timezone": "Mars/Olympus"}, "not a known"),
        ({"weekdays": ("funday",), "start": "07:00"}, "not a weekday"),
        ({"weekdays": ("tue",), "start": "7pm"}, "HH:MM"),
        ({"weekdays": ("tue",)}, "schedule.start is missing"),
        ({"rrule": "FREQ=SOMETIMES", "start": "07:00"}, "not an RFC 5545 RRULE"),
    ],
)
def test_bad_schedules_are_one_line_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        Schedule(**kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(info.value)


def chapter_file(folder: Path, stem: str, name: str, schedule: str = "") -> Path:
    path = folder / f"{stem}.toml"
    path.write_text(f'[chapter]\nname = "{name}"\ntimezone = "Europe/London"\n{schedule}')
    return path


WEEKLY = '[schedule]\nweekdays = ["tuesday"]\nstart = "07:00"\nlength_min = 75\n'


def check(capsys: pytest.CaptureFixture[str], folder: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["chapters", "check", str(folder), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_chapters_check_prints_next_occurrences(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chapter_file(tmp_path, "a", "Riverside", WEEKLY)
    chapter_file(tmp_path, "b", "Hilltop")
    code, out, err = check(capsys, tmp_path, "--after", "2026-03-20T00:00")
    assert code == 0, err
    assert "Tue 2026-03-24 07:00 GMT (UTC 07:00)" in out
    assert "Tue 2026-03-31 07:00 BST (UTC 06:00)" in out
    assert "Hilltop" in out
    assert "only when invited" in out
    assert "2 chapters ok" in out


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ('[schedule]\nweekdays = ["tue"]\nstart = "07:00"\ntimezone = "Europe/Lundon"\n',
         "schedule.timezone 'Europe/Lundon' is not a known time zone"),
        ('[schedule]\nrrule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=31"\nstart = "07:00"\n',
         "schedule never occurs"),
    ],
)  # fmt: skip
def test_chapters_check_names_the_file_of_a_bad_schedule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schedule: str, message: str
) -> None:
    bad = chapter_file(tmp_path, "a", "Riverside", schedule)
    code, _, err = check(capsys, tmp_path)
    assert code == 2
    assert err.strip().splitlines() == [err.strip()]  # one line
    assert str(bad) in err
    assert message in err


def test_two_chapters_with_one_name_are_refused(tmp_path: Path) -> None:
    chapter_file(tmp_path, "a", "Riverside", WEEKLY)
    chapter_file(tmp_path, "b", "riverside ")
    with pytest.raises(ConfigError, match="also the name in") as info:
        load_folder(tmp_path)
    assert "b.toml" in str(info.value)
    with pytest.raises(ConfigError, match="not a folder"):
        load_folder(tmp_path / "a.toml")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="no chapter files"):
        load_folder(empty)
