"""How long the organiser's report takes with its pictures, for a big and a typical chapter.

    .venv/bin/python bench/report_pictures.py [--rounds 3]

For a sample meeting of 16 people / 60 min (meetbot.lab.sample_meeting) and a 60-member,
90-minute one (tests/records.py's large_session, with state spans), prints the median seconds
of: the session-over-session chart alone (chart_png: the report's only picture before the
meeting at a glance, the baseline of the same run), the meeting at a glance, the member's own
two pictures, and the whole HTML report; with ratios against the baseline. Nothing is written.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import records

import reports
from meetbot.domain.record import SessionRecord
from meetbot.lab import sample_meeting
from reports import glance, own_picture


def median_s(work: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(earlier: SessionRecord, record: SessionRecord, rounds: int) -> dict[str, float]:
    person = next(a for a in record.attendees if a.score is not None)
    return {
        "chart over time (baseline)": median_s(
            lambda: reports.chart_png([earlier, record]), rounds
        ),
        "meeting at a glance": median_s(lambda: glance.meeting_glance(record), rounds),
        "member's own pictures": median_s(
            lambda: own_picture.card_pictures(record, person, [earlier]), rounds
        ),
        "whole HTML report": median_s(lambda: reports.html_report(record, [earlier]), rounds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    cases = {
        "sample 16 people, 60 min": sample_meeting.sample_sessions(2),
        "large 63 people, 90 min": [
            records.large_session(weeks_before=1),
            records.large_session(),
        ],
    }
    for name, (earlier, record) in cases.items():
        rows = measure(earlier, record, args.rounds)
        base = rows["chart over time (baseline)"]
        print(f"{name} ({len(record.spans)} spans, {len(record.turns)} turns)")
        for label, seconds in rows.items():
            print(f"  {label:<28} {seconds:6.2f} s   ×{seconds / base:4.1f} of the baseline")


if __name__ == "__main__":
    main()
