"""Parsing of ``date:``/``before:``/``after:`` and ``size:`` values into ranges."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from kustos.search import limits
from kustos.search.query.ast import DateRange, SizeRange
from kustos.search.query.errors import QuerySyntaxError

_ISO = re.compile(r"^(\d{4})(?:[-/](\d{1,2})(?:[-/](\d{1,2}))?)?$")
_GERMAN = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_SIZE = re.compile(r"^(\d{1,13}(?:[.,]\d{1,6})?)\s*([kmgt]i?b?|b)?$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def _period(value: str, position: int) -> tuple[datetime, datetime]:
    """The half-open UTC interval [start, end) a partial date denotes (a year, month or day)."""
    iso = _ISO.match(value)
    german = _GERMAN.match(value)
    if iso:
        year, month, day = int(iso.group(1)), iso.group(2), iso.group(3)
    elif german:
        year, month, day = int(german.group(3)), german.group(2), german.group(1)
    else:
        raise QuerySyntaxError(f"invalid date {value!r} (use YYYY, YYYY-MM or YYYY-MM-DD)", position)
    try:
        if month is None:
            return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
        m = int(month)
        if day is None:
            start = datetime(year, m, 1, tzinfo=UTC)
            end = datetime(year + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
            return start, end
        start = datetime(year, m, int(day), tzinfo=UTC)
    except ValueError:
        raise QuerySyntaxError(f"invalid date {value!r}", position)
    return start, datetime.fromordinal(start.toordinal() + 1).replace(tzinfo=UTC)


def parse_date(value: str, position: int) -> DateRange:
    """``2024``, ``2024-03``, ``2024-03-31``, ``31.03.2024`` or a range ``a..b`` (either side optional)."""
    if ".." in value:
        left, right = value.split("..", 1)
        if not left and not right:
            raise QuerySyntaxError("date range needs at least one bound", position)
        start = _period(left, position)[0] if left else None
        end = _period(right, position + len(left) + 2)[1] if right else None
        if start is not None and end is not None and start >= end:
            raise QuerySyntaxError(f"date range {value!r} is empty", position)
        return DateRange(start, end)
    start, end = _period(value, position)
    return DateRange(start, end)


def parse_before(value: str, position: int) -> DateRange:
    """``before:D``: strictly before the first instant of D."""
    return DateRange(None, _period(value, position)[0])


def parse_after(value: str, position: int) -> DateRange:
    """``after:D``: from the first instant of D on (D itself included, as in Gmail)."""
    return DateRange(_period(value, position)[0], None)


def _bytes(value: str, position: int) -> int:
    match = _SIZE.match(value.strip())
    if not match:
        raise QuerySyntaxError(f"invalid size {value!r} (examples: 500, 10k, 1.5MB, 2G)", position)
    number = float(match.group(1).replace(",", "."))
    unit = (match.group(2) or "").lower()[:1]
    amount = int(number * _UNITS[unit])
    limits.check_size(amount, value, position)
    return amount


def parse_size(value: str, position: int) -> SizeRange:
    """``>1MB``, ``>=1MB``, ``<10k``, ``<=10k``, ``=500``, ``500`` (exact) or ``10k..1M``."""
    for op in (">=", "<=", ">", "<", "="):
        if value.startswith(op):
            amount = _bytes(value[len(op) :], position + len(op))
            return {
                ">=": SizeRange(amount, None),
                "<=": SizeRange(None, amount),
                ">": SizeRange(amount + 1, None),
                "<": SizeRange(None, max(amount - 1, 0)),
                "=": SizeRange(amount, amount),
            }[op]
    if ".." in value:
        left, right = value.split("..", 1)
        low = _bytes(left, position) if left else None
        high = _bytes(right, position + len(left) + 2) if right else None
        if low is None and high is None:
            raise QuerySyntaxError("size range needs at least one bound", position)
        return SizeRange(low, high)
    amount = _bytes(value, position)
    return SizeRange(amount, amount)
