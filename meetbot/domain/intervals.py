"""Half-open time intervals [start, end) in session seconds: union, overlap, length.

Attendance, turns and scoring all reason about "the time during which ...", so the arithmetic
lives once, here, with the convention that empty intervals vanish.
"""

from __future__ import annotations

from collections.abc import Iterable

Interval = tuple[float, float]


def union(intervals: Iterable[Interval], *, bridge: float = 0.0) -> tuple[Interval, ...]:
    """Sorted, disjoint cover of the input; gaps of at most `bridge` seconds are closed."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if out and start - out[-1][1] <= bridge:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return tuple(out)


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> tuple[Interval, ...]:
    """The time covered by both (each input is made disjoint first)."""
    left, right = union(a), union(b)
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if end > start:
            out.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def subtract(a: Iterable[Interval], b: Iterable[Interval]) -> tuple[Interval, ...]:
    """The time covered by `a` but not by `b`."""
    out: list[Interval] = []
    holes = union(b)
    for start, end in union(a):
        cursor = start
        for h_start, h_end in holes:
            if h_end <= cursor or h_start >= end:
                continue
            if h_start > cursor:
                out.append((cursor, h_start))
            cursor = max(cursor, h_end)
        if cursor < end:
            out.append((cursor, end))
    return tuple(out)


def length(intervals: Iterable[Interval]) -> float:
    """Total seconds covered (overlaps counted once)."""
    return sum(end - start for start, end in union(intervals))
