"""The comparison chart: a real matplotlib PNG, byte-identical for the same records."""

from __future__ import annotations

import struct
import threading

import pytest
import records

import reports
from meetbot.domain.record import SessionRecord


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """The (type, data) chunks of a PNG, checking the signature and every length."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    out, i = [], 8
    while i < len(png):
        (length,) = struct.unpack(">I", png[i : i + 4])
        out.append((png[i + 4 : i + 8], png[i + 8 : i + 8 + length]))
        i += 12 + length
    assert i == len(png)
    return out


def sessions() -> list[SessionRecord]:
    return [records.chapter_session(), *records.earlier_sessions()]


def test_is_a_png_of_the_fixed_size() -> None:
    found = chunks(reports.chart_png(sessions(), timezone=records.TIMEZONE))
    kind, header = found[0]
    assert kind == b"IHDR"
    assert struct.unpack(">II", header[:8]) == (800, 500)
    assert found[-1][0] == b"IEND"
    assert sum(len(data) for kind, data in found if kind == b"IDAT") > 5000  # real pixels


def test_carries_no_text_or_time_metadata() -> None:
    kinds = {kind for kind, _ in chunks(reports.chart_png(sessions()))}
    assert kinds.isdisjoint({b"tEXt", b"iTXt", b"zTXt", b"tIME"})


def test_same_records_give_the_same_bytes_in_any_order() -> None:
    first = reports.chart_png(sessions(), timezone=records.TIMEZONE)
    again = reports.chart_png(list(reversed(sessions())), timezone=records.TIMEZONE)
    assert first == again


def test_renders_the_same_from_a_worker_thread() -> None:
    # Publishers render off the event loop; no pyplot global state may leak between threads.
    here = reports.chart_png(sessions())
    result: list[bytes] = []
    worker = threading.Thread(target=lambda: result.append(reports.chart_png(sessions())))
    worker.start()
    worker.join(timeout=60)
    assert result == [here]


def test_different_figures_give_a_different_picture() -> None:
    assert reports.chart_png(sessions()) != reports.chart_png(sessions()[:2])


def test_a_single_small_session_still_renders() -> None:
    kind, header = chunks(reports.chart_png([records.small_session()]))[0]
    assert kind == b"IHDR"
    assert struct.unpack(">II", header[:8]) == (800, 500)


def test_no_records_is_refused_clearly() -> None:
    with pytest.raises(ValueError, match="needs at least one session record"):
        reports.chart_png([])
