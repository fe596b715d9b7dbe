"""Chapter schedules: weekdays or an RRULE, local times across DST, and the folder check."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from meetbot.cli import main
from meetbot.config.schedule import Occurrence, Schedule
from meetbot.errors import ConfigError
from meetbot.fleet.chapters import Chapters, load_folder
from meetbot.fleet.claims import Claims, State
from meetbot.fleet.scheduler import Scheduler
from meetbot.store.database import create_engine

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


def test_a_meeting_across_the_spring_change_ends_its_length_later() -> None:
    start = datetime(2031, 3, 30, 0, 30, tzinfo=ZoneInfo("Europe/London"))  # 00:30 GMT
    assert Occurrence("A", start, 90 * 60).end.astimezone(UTC) == datetime(
        2031, 3, 30, 2, 0, tzinfo=UTC
    )


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
        ({"rrule": "DTSTART:20200101T070000\nRRULE:FREQ=WEEKLY", "start": "07:00"}, "one RRULE"),
        ({"rrule": "FREQ=YEARLY;BYEASTER=0", "start": "07:00"}, "BYEASTER is not RFC 5545"),
        (
            {"weekdays": ("tue",), "start": "07:00", "anchor": "1066-10-14"},
            "schedule.anchor must be a date YYYY-MM-DD from 2000-01-01 to 2099-12-31",
        ),
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


def test_a_rule_that_has_ended_is_valid_whenever_it_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The file is checked from its anchor, not from the clock: it does not turn bad one day."""
    ended = '[schedule]\nrrule = "FREQ=WEEKLY;BYDAY=TU;UNTIL=20250101T000000"\nstart = "07:00"\n'
    chapter_file(tmp_path, "a", "Riverside", ended)
    code, out, err = check(capsys, tmp_path, "--after", "2026-03-20")
    assert code == 0, err
    assert "no meeting in the two years from 2026-03-20 00:00 UTC" in out
    code, out, err = check(capsys, tmp_path, "--after", "2024-12-30")
    assert "Tue 2024-12-31 07:00 GMT" in out


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--after", "yesterday"], "--after 'yesterday': give a date such as 2026-03-01"),
        (["--after", "2027-02-30"], "--after '2027-02-30': give a date such as"),
        (["--after", "9999-12-30"], "--after '9999-12-30': give a date from 2000-01-01 to 2099"),
        (["--after", "1999-12-31T23:00"], "give a date from 2000-01-01 to 2099-12-31"),
        (["--next", "0"], "--next must be at least 1 and at most 100, got 0"),
        (["--next", "-3"], "--next must be at least 1 and at most 100, got -3"),
        (["--next", "100000"], "--next must be at least 1 and at most 100, got 100000"),
    ],
)
def test_chapters_check_refuses_a_bad_after_or_next_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str], message: str
) -> None:
    chapter_file(tmp_path, "a", "Riverside", WEEKLY)
    code, out, err = check(capsys, tmp_path, *option)
    assert code == 2
    assert err.strip().splitlines() == [err.strip()]  # no traceback
    assert message in err
    assert out == ""


def test_two_chapters_with_one_name_are_refused(tmp_path: Path) -> None:
    chapter_file(tmp_path, "a", "Riverside", WEEKLY)
    second = chapter_file(tmp_path, "b", "riverside ")
    chapters = load_folder(tmp_path)
    assert list(chapters.by_name) == ["Riverside"]  # the first file keeps the name
    assert list(chapters.refused) == [second]
    assert "also the name in" in chapters.refused[second]
    assert str(second) in chapters.refused[second]
    with pytest.raises(ConfigError, match="not a folder"):
        load_folder(tmp_path / "a.toml")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="no chapter files"):
        load_folder(empty)


def config_check(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str]:
    code = main(["config", "check", str(path)])
    return code, capsys.readouterr().err


def every(n: int) -> str:
    return ",".join(str(i) for i in range(n))


@pytest.mark.timeout(60)  # a hang fails here, not after the gate's 480 s
@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=SECONDLY", "more often than daily; use FREQ=DAILY, WEEKLY, MONTHLY, YEARLY"),
        ("FREQ=MINUTELY", "more often than daily"),
        ("FREQ=HOURLY;INTERVAL=12", "more often than daily"),
        (
            f"FREQ=DAILY;BYHOUR={every(24)};BYMINUTE={every(60)};BYSECOND={every(60)}",
            "starts more than 4 meetings a day",
        ),
        ("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30", "never occurs"),  # dateutil walks to 9999
    ],
)
def test_a_rule_firing_too_often_is_refused_at_once_naming_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rule: str, message: str
) -> None:
    """Such a rule hung `chapters check`, `config check` and the scheduler of every chapter
    in the folder; now it is a one-line refusal like any other mistake in a chapter file."""
    bad = chapter_file(tmp_path, "bad", "Bad", f'[schedule]\nrrule = "{rule}"\nstart = "07:00"\n')
    chapter_file(tmp_path, "good", "Good", WEEKLY)
    began = time.monotonic()
    code, out, err = check(capsys, tmp_path)
    assert code == 2
    assert err.strip().splitlines() == [err.strip()]
    assert str(bad) in err
    assert message in err
    assert "Good (" in out  # the good chapter beside it is still checked and listed
    assert "1 chapters ok, 1 refused" in out
    code, err = config_check(capsys, bad)
    assert code == 2
    assert message in err
    assert time.monotonic() - began < 10  # both commands


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ('rrule = "FREQ=DAILY;BYHOUR=7,8"', "schedule.rrule: meetings start 1 h apart"),
        ('rrule = "FREQ=DAILY;BYMINUTE=0,1"', "schedule.rrule: meetings start 1 min apart"),
        ('rrule = "FREQ=DAILY;BYSECOND=0,1"', "schedule.rrule: meetings start 1 s apart"),
        ('rrule = "FREQ=DAILY;BYSECOND=0,1,2,3,4,5"', "starts more than 4 meetings a day"),
        # Two hours apart on the wall clock, one on the night London moves to summer time.
        ('rrule = "FREQ=DAILY;BYHOUR=1,3"', "1 h apart (2024-03-31 02:00:00 BST and 2024-03-31 03"),
        ('weekdays = ["mon", "tue"]\nlength_min = 1440', "schedule.weekdays: meetings start 24 h"),
        # 24 h apart but across the spring change: 23 h, less than the 1400 + 3 minutes needed.
        ('weekdays = ["sat", "sun"]\nlength_min = 1400', "23 h apart (2024-03-30 07:00:00 GMT"),
    ],
)
def test_meetings_of_one_chapter_that_overlap_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], schedule: str, message: str
) -> None:
    bad = chapter_file(tmp_path, "a", "Riverside", f'[schedule]\n{schedule}\nstart = "07:00"\n')
    code, _, err = check(capsys, tmp_path)
    assert code == 2
    assert err.strip().splitlines() == [err.strip()]
    assert str(bad) in err
    assert message in err
    assert "length_min + join_before_min" in err


def loaded(folder: Path) -> Chapters | str:
    try:
        return load_folder(folder)
    except ConfigError as exc:
        return str(exc)


DST_WEEKEND = datetime(2031, 3, 29, tzinfo=UTC)  # London moves to BST on Sunday 30 March 2031


@pytest.mark.parametrize(
    ("rule", "meetings"),
    [
        ("FREQ=DAILY;BYHOUR=7,8", None),  # 90-minute meetings an hour apart: refused
        ("FREQ=DAILY;BYHOUR=0,2", None),  # 02:00 BST is an hour after 00:00 GMT on the change
        ("FREQ=DAILY;BYHOUR=7,9", 4),  # two hours apart: each ends before the next is sent
        ("FREQ=DAILY;BYHOUR=0,3", 5),  # two hours apart on the night of the change
    ],
)
def test_the_scheduler_never_sends_two_bots_to_one_chapter_at_once(
    tmp_path: Path, rule: str, meetings: int | None
) -> None:
    """The folder is read as `fleet scheduler` reads it, and the scheduler ticks over the DST
    weekend. A worker takes each job when it is sent and holds the meeting until it ends: the
    store never has two meetings of the chapter running at once (a crowded rule would, were it
    not refused)."""
    folder = tmp_path / "chapters"
    folder.mkdir()
    schedule = f'[schedule]\nrrule = "{rule}"\nstart = "07:00"\nlength_min = 90\n'
    chapter_file(folder, "a", "Riverside", schedule)
    chapters = loaded(folder)
    if isinstance(chapters, str):
        assert meetings is None, chapters
        assert "apart" in chapters
        return
    # A lease longer than the weekend: this worker never misses a beat, so nothing is handed over.
    claims = Claims(create_engine("", tmp_path), lease_s=3 * 86400)
    now = DST_WEEKEND.timestamp()
    sent: list[str] = []

    def take(key: str) -> None:  # the worker: it claims the meeting as soon as it is sent
        claims.claim(key, "worker:1", now=now)
        sent.append(key)

    scheduler = Scheduler(chapters, claims, take)
    most = 0
    while now < (DST_WEEKEND + timedelta(days=2)).timestamp():
        for row in claims.all("Riverside"):
            if row.state is State.RUNNING and row.ends_at.timestamp() <= now:
                claims.finish(row.key, "worker:1")
        scheduler.tick(now)
        held = [r.key for r in claims.all("Riverside") if r.state is State.RUNNING]
        assert len(held) <= 1, f"two bots at once: {held}"
        most = max(most, len(held))
        now += 180  # every start is on the hour, sent 3 min before: each tick is on time
    claims.engine.dispose()
    assert len(sent) == meetings
    assert most == 1


def test_a_bad_chapter_file_never_stops_the_other_chapters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One organiser's broken file (here a rule firing every second, which once hung the whole
    region) is refused on its own: the scheduler queues the good chapter's meeting, and
    `fleet status` names the refused file in one line and shows the rest."""
    folder = tmp_path / "chapters"
    folder.mkdir()
    bad = chapter_file(
        folder, "bad", "Bad", '[schedule]\nrrule = "FREQ=SECONDLY"\nstart = "07:00"\n'
    )
    chapter_file(folder, "good", "Good", WEEKLY)
    chapters = load_folder(folder)
    assert list(chapters.by_name) == ["Good"]
    assert list(chapters.refused) == [bad]
    claims = Claims(create_engine("", tmp_path), lease_s=60)
    sent: list[str] = []
    tuesday = datetime(2026, 12, 8, 6, 58, tzinfo=UTC)  # two minutes before Good meets
    Scheduler(chapters, claims, sent.append).tick(tuesday.timestamp())
    claims.engine.dispose()
    assert sent == ["Good@2026-12-08T07:00:00Z"]
    code = main(["fleet", "status", "--chapters", str(folder)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert err.strip().splitlines() == [err.strip()]
    assert str(bad) in err
    assert "the other chapters go on" in err
