"""Numbers and moments typed on the command line, checked before anything starts.

argparse turns "nan" and "inf" into floats without a word, and a NaN compares false with every
bound, so `--minutes nan` used to slip through `<= 0` and leave a meeting that never ends.
Each check refuses in one line that names the option and what is allowed.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from meetbot.errors import ConfigError


def positive(option: str, value: float, *, at_most: float) -> float:
    """`value` if it is a finite number above 0 and at most `at_most`."""
    if not (math.isfinite(value) and 0 < value <= at_most):
        raise ConfigError(
            f"{option} must be a number greater than 0 and at most {at_most:g}, got {value:g}"
        )
    return value


def count(option: str, value: int, *, at_least: int = 1, at_most: int | None = None) -> int:
    """`value` if it is a whole number in [at_least, at_most]."""
    if value < at_least or (at_most is not None and value > at_most):
        most = f" and at most {at_most}" if at_most is not None else ""
        raise ConfigError(f"{option} must be at least {at_least}{most}, got {value}")
    return value


def moment(option: str, text: str) -> datetime:
    """'2026-03-01' (midnight UTC) or an ISO time (UTC without an offset), aware."""
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        found = datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(
            f"{option} {text!r}: give a date such as 2026-03-01 or a time such as 2026-03-01T18:30"
        ) from None
    return found if found.tzinfo else found.replace(tzinfo=UTC)
