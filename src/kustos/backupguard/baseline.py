"""Per-account baseline: rolling daily statistics, kept as small JSON-serialisable state.

One bucket per calendar day (runs of one day add up), the last ``WINDOW`` days. A day that
raised a finding of some kind is left out of that kind's statistics (while enough other days
remain), so an attack does not teach the baseline that attacks are normal.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from typing import Any

VERSION = 1
WINDOW = 28
METRICS = ("deleted", "modified", "ext_changed", "encrypted")


@dataclass
class Day:
    """Totals of one day: ``files`` is the account's size before the day's first run."""

    day: str
    files: int = 0
    runs: int = 0
    deleted: int = 0
    modified: int = 0
    ext_changed: int = 0
    encrypted: int = 0
    entropy_sum: float = 0.0  # entropy of modified files with a measurement (bits/byte)
    entropy_n: int = 0
    flagged: list[str] = field(default_factory=list)  # finding kinds raised that day

    def rate(self, metric: str) -> float:
        return getattr(self, metric) / max(self.files, 1)


@dataclass(frozen=True)
class Stat:
    """Mean and standard deviation of a metric over ``n`` days."""

    n: int
    mean: float
    std: float
    peak: float


@dataclass
class Baseline:
    account: str
    days: list[Day] = field(default_factory=list)
    runs: int = 0

    def history(self, today: str) -> list[Day]:
        """The days before ``today``."""
        return [d for d in self.days if d.day < today]

    def today(self, day: str, files: int) -> Day:
        """The bucket of ``day`` (created with ``files`` on the day's first run). A run dated
        before the newest bucket (a clock step back) counts into the newest bucket."""
        if self.days and self.days[-1].day >= day:
            return self.days[-1]
        bucket = Day(day=day, files=files)
        self.days.append(bucket)
        del self.days[:-WINDOW]
        return bucket

    def stat(self, metric: str, today: str, kind: str, rate: bool = True, min_days: int = 5) -> Stat:
        """Rolling statistics of ``metric`` (as a rate of the account's files, or a count) over
        the days before ``today`` that raised no ``kind`` finding (all of them while fewer than
        ``min_days`` such days exist)."""
        history = self.history(today)
        calm = [d for d in history if kind not in d.flagged]
        # Left out only while enough calm days remain: an account whose normal day always
        # crosses a floor still learns its normal.
        days = calm if len(calm) >= min_days else history
        values = [d.rate(metric) if rate else float(getattr(d, metric)) for d in days]
        if not values:
            return Stat(0, 0.0, 0.0, 0.0)
        mean = sum(values) / len(values)
        var = sum((v - mean) ** 2 for v in values) / (len(values) - 1) if len(values) > 1 else 0.0
        return Stat(len(values), mean, math.sqrt(var), max(values))

    def mean_entropy(self, today: str) -> float | None:
        days = [d for d in self.history(today) if d.entropy_n]
        n = sum(d.entropy_n for d in days)
        return sum(d.entropy_sum for d in days) / n if n else None

    def to_dict(self) -> dict[str, Any]:
        return {"v": VERSION, "account": self.account, "runs": self.runs, "days": [asdict(d) for d in self.days]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any) -> Baseline:
        if not isinstance(data, dict) or data.get("v") != VERSION:
            raise ValueError(f"invalid backup baseline: expected an object with \"v\": {VERSION}")
        account, days = data.get("account"), data.get("days")
        if not isinstance(account, str) or not isinstance(days, list):
            raise ValueError("invalid backup baseline: \"account\" must be a string and \"days\" a list")
        try:
            parsed = [_day(d) for d in days]
            runs = int(data.get("runs", 0))
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(f"invalid backup baseline of {account!r}: {exc}") from None
        return cls(account=account, days=parsed[-WINDOW:], runs=runs)

    @classmethod
    def from_json(cls, text: str | bytes) -> Baseline:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"invalid backup baseline: not JSON ({exc.msg} at {exc.pos})") from None
        return cls.from_dict(data)


def _day(d: Any) -> Day:
    if not isinstance(d, dict) or not isinstance(d.get("day"), str):
        raise ValueError("every day needs a \"day\" string")
    flagged = d.get("flagged", [])
    if not isinstance(flagged, list) or not all(isinstance(k, str) for k in flagged):
        raise ValueError(f"day {d['day']}: \"flagged\" must be a list of strings")
    counts = {k: int(d.get(k, 0)) for k in ("files", "runs", *METRICS, "entropy_n")}
    if min(counts.values()) < 0:
        raise ValueError(f"day {d['day']}: negative count")
    return Day(day=d["day"], entropy_sum=float(d.get("entropy_sum", 0.0)), flagged=list(flagged), **counts)
