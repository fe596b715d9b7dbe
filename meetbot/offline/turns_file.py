"""Who spoke when, from a hand-written turns file (offline analysis without usable audio).

The file is CSV with one turn per line, `name,start_s,end_s`; a header line and `#` comments
are allowed. Names are matched like display names (case, accents, decoration ignored).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

from meetbot.domain.events import ParticipantId, SpeechChanged
from meetbot.domain.names import key as name_key
from meetbot.domain.states import SpeechSource
from meetbot.errors import ConfigError

HEADER = ("name", "start_s", "end_s")


def read_turns(path: Path, participants: Mapping[str, ParticipantId]) -> list[SpeechChanged]:
    """Speech events of the turns in `path`; `participants` maps display names to ids."""
    by_key = {name_key(name): pid for name, pid in participants.items()}
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the turns file ({exc.strerror})") from exc
    events: list[SpeechChanged] = []
    rows = csv.reader(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells) or (number == 1 and tuple(c.lower() for c in cells) == HEADER):
            continue
        where = f"{path}:{number}"
        if len(cells) != 3:
            raise ConfigError(f"{where}: expected name,start_s,end_s, got {','.join(row)!r}")
        name, start_text, end_text = cells
        try:
            start, end = float(start_text), float(end_text)
        except ValueError:
            raise ConfigError(
                f"{where}: start_s and end_s must be seconds from the start, got "
                f"{start_text!r} and {end_text!r}"
            ) from None
        if not 0 <= start < end:
            raise ConfigError(f"{where}: a turn needs 0 <= start_s < end_s, got {start}..{end}")
        pid = by_key.get(name_key(name))
        if pid is None:
            known = ", ".join(sorted(participants)) or "none"
            raise ConfigError(
                f"{where}: {name!r} is none of the participants ({known}); use a video's file "
                "name without its extension"
            )
        events += [
            SpeechChanged(start, pid, True, SpeechSource.TURNS_FILE),
            SpeechChanged(end, pid, False, SpeechSource.TURNS_FILE),
        ]
    return sorted(events, key=lambda e: (e.at, not e.speaking))
