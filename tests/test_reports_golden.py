"""Golden files: every renderer's exact output for the hand-built records in tests/records.py.

A changed report fails here with a diff. When the change is intended, regenerate and review:

    MEETBOT_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_reports_golden.py
    git diff tests/golden/

The chart PNG inside the HTML report is replaced by a placeholder before comparing (its pixels
depend on the FreeType build); test_reports_files checks the embedded image itself.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import records

import reports
from reports import Post

GOLDEN = Path(__file__).parent / "golden"
TZ = records.TIMEZONE
# Read at import: the suite's autouse fixture clears MEETBOT_* variables before each test.
UPDATE = os.environ.get("MEETBOT_UPDATE_GOLDEN") == "1"
DATA_URI = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=]+")


def post_text(post: Post) -> str:
    """A Post as plain text, every part labelled, so a golden file shows all of it."""
    parts = [f"audience: {post.audience}", f"title: {post.title}", "", post.body, ""]
    parts += [f"[{f.name}{' (inline)' if f.inline else ''}] {f.value}" for f in post.fields]
    parts += [f"footer: {post.footer}"]
    parts += [f"attachment: {a.filename} ({a.content_type})" for a in post.attachments]
    return "\n".join(parts) + "\n"


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8", newline="")
    assert path.exists(), f"{path} is missing: run with MEETBOT_UPDATE_GOLDEN=1 to create it"
    assert text == path.read_bytes().decode("utf-8"), f"{name} differs from golden"


def test_public_recap() -> None:
    check("recap.md", post_text(reports.recap(records.chapter_session(), timezone=TZ)))


def test_public_recap_of_a_small_group_withholds_the_room_figure() -> None:
    post = reports.recap(records.small_session(), timezone="Asia/Tokyo")
    check("recap_small.md", post_text(post))


@pytest.mark.parametrize(
    ("slug", "person"),
    [
        ("scored", "Jon Park"),
        ("camera_off", records.CAMERA_OFF),
        ("camera_exempt", "Dev Patel"),
        ("late", records.LOOKED_AWAY),
        ("not_enough_data", "Hiro Tanaka"),
        ("absent", "Ines Duarte"),
        ("opted_out", "Farid Haddad"),
        ("visitor", "Zoe Li"),
        ("unknown", "Nobody Here"),
    ],
)
def test_member_card(slug: str, person: str) -> None:
    post = reports.member_card(
        records.chapter_session(), person, records.earlier_sessions(), timezone=TZ
    )
    check(f"card_{slug}.txt", post_text(post))


def test_lead_comparison_with_detail() -> None:
    sessions = (records.chapter_session(), *records.earlier_sessions())
    check("comparison.txt", post_text(reports.comparison(sessions, detail=True, timezone=TZ)))


def test_html_report() -> None:
    html = reports.html_report(records.chapter_session(), records.earlier_sessions(), timezone=TZ)
    check("session.html", DATA_URI.sub("data:image/png;base64,CHART", html))


def test_markdown_report() -> None:
    text = reports.markdown_report(
        records.chapter_session(), records.earlier_sessions(), timezone=TZ
    )
    check("session.md", text)


def test_markdown_report_of_a_small_group_without_history() -> None:
    check("session_small.md", reports.markdown_report(records.small_session()))


def test_csv_export() -> None:
    check("session.csv", reports.csv_report(records.chapter_session(), timezone=TZ))
