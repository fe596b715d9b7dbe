"""Who spoke when, from a hand-written turns file (offline analysis without usable audio).

The file is CSV with one turn per line, `name,start_s,end_s`; a header line and `#` comments
are allowed. Names are matched like display names (case, accents, decoration ignored).

Turns files come out of spreadsheets, so what spreadsheets write is read: UTF-8 with or without
a BOM, UTF-16 ("Unicode text", tab-separated), else Windows-1252 (an older Excel's "CSV"),
separated by commas, semicolons or tabs. Every time is checked before anything is analysed or
stored: a number that is not finite, a turn past the end of the videos or two overlapping rows
of one speaker would otherwise stretch the meeting, or lose a turn, for good.
"""

from __future__ import annotations

import codecs
import csv
import math
from collections.abc import Mapping
from pathlib import Path

from meetbot.config.paths import input_file
from meetbot.domain.events import ParticipantId, SpeechChanged
from meetbot.domain.names import key as name_key
from meetbot.domain.states import SpeechSource
from meetbot.errors import ConfigError

HEADER = ("name", "start_s", "end_s")
# A turn may end this much after the longest video: hand-written times are rounded up.
END_SLACK_S = 1.0
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_turns(
    path: Path,
    participants: Mapping[str, ParticipantId],
    *,
    length_s: float | None = None,
) -> list[SpeechChanged]:
    """Speech events of the turns in `path`; `participants` maps display names to ids.

    `length_s`: how long the videos run (the longest), when known; a turn must end by then.
    """
    by_key = {name_key(name): pid for name, pid in participants.items()}
    input_file(path, "the turns file (CSV: name,start_s,end_s)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the turns file ({exc.strerror})") from exc
    numbered = [
        (number, line)
        for number, line in enumerate(decode(data, path).splitlines(), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    delimiter = _delimiter(numbered[0][1] if numbered else "")
    events: list[SpeechChanged] = []
    # Per connection: (start, end, line) of its turns so far, to catch overlapping rows.
    seen: dict[ParticipantId, list[tuple[float, float, int]]] = {}
    for index, (number, line) in enumerate(numbered):
        cells = [c.strip() for c in next(csv.reader([line], delimiter=delimiter))]
        if index == 0 and tuple(c.lower() for c in cells) == HEADER:
            continue
        where = f"{path}:{number}"
        if len(cells) != 3:
            raise ConfigError(f"{where}: expected name,start_s,end_s, got {line.strip()!r}")
        name, start_text, end_text = cells
        start, end = _seconds(where, start_text, end_text)
        if length_s is not None and end > length_s + END_SLACK_S:
            raise ConfigError(
                f"{where}: the turn ends at {end:g} s, after the videos end ({length_s:.0f} s); "
                "times are seconds from the start of the videos"
            )
        pid = by_key.get(name_key(name))
        if pid is None:
            known = ", ".join(sorted(participants)) or "none"
            raise ConfigError(
                f"{where}: {name!r} is none of the participants ({known}); use a video's file "
                "name without its extension"
            )
        for other_start, other_end, other_line in seen.get(pid, ()):
            if start < other_end and other_start < end:
                raise ConfigError(
                    f"{where}: {name}'s turn {start:g}-{end:g} s overlaps their turn on line "
                    f"{other_line} ({other_start:g}-{other_end:g} s); merge them into one row"
                )
        seen.setdefault(pid, []).append((start, end, number))
        events += [
            SpeechChanged(start, pid, True, SpeechSource.TURNS_FILE),
            SpeechChanged(end, pid, False, SpeechSource.TURNS_FILE),
        ]
    return sorted(events, key=lambda e: (e.at, not e.speaking))


def decode(data: bytes, path: Path) -> str:
    """The text of a file a spreadsheet saved: by its BOM, else UTF-8, else Windows-1252."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                break
    else:
        if _looks_utf16(data):
            for encoding in ("utf-16-le", "utf-16-be"):
                try:
                    text = data.decode(encoding)
                except UnicodeDecodeError:
                    continue
                if "\x00" not in text:
                    return text
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            try:
                return data.decode("cp1252")
            except UnicodeDecodeError:
                pass
    raise ConfigError(
        f"{path}: the turns file is not text in UTF-8, UTF-16 or Windows-1252; save it from "
        "the spreadsheet as 'CSV UTF-8'"
    )


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a BOM: every other byte of plain Latin text is zero."""
    sample = data[:2000]
    return len(sample) >= 4 and sample.count(0) * 3 >= len(sample)


def _delimiter(first_line: str) -> str:
    """Commas, or what a spreadsheet in another locale or format used instead: the one that
    splits the first line into three cells, else the first one it holds."""
    present = [c for c in (",", ";", "\t") if c in first_line]
    exact = [c for c in present if first_line.count(c) == 2]
    return (exact or present or [","])[0]


def _seconds(where: str, start_text: str, end_text: str) -> tuple[float, float]:
    try:
        start, end = float(start_text), float(end_text)
    except ValueError:
        raise ConfigError(
            f"{where}: start_s and end_s must be seconds from the start, got "
            f"{start_text!r} and {end_text!r}"
        ) from None
    if not (math.isfinite(start) and math.isfinite(end)):
        raise ConfigError(
            f"{where}: start_s and end_s must be finite seconds from the start, got "
            f"{start_text!r} and {end_text!r}"
        )
    if not 0 <= start < end:
        raise ConfigError(f"{where}: a turn needs 0 <= start_s < end_s, got {start}..{end}")
    return start, end
