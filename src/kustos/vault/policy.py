"""Snapshot retention policies and ``forget`` (restic's ``forget --keep-*`` semantics).

Snapshots are taken newest first. ``last`` keeps the N most recent; each time rule
(``hourly``, ``daily``, ``weekly``, ``monthly``, ``yearly``) keeps the most recent snapshot
of each of the N most recent periods that have a snapshot. A snapshot survives when any
rule keeps it. A policy with every count 0 keeps everything (the default: unlimited).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

_PERIODS: dict[str, Callable[[datetime], str]] = {
    "hourly": lambda t: t.strftime("%Y-%m-%d %H"),
    "daily": lambda t: t.strftime("%Y-%m-%d"),
    "weekly": lambda t: "{:04d}-W{:02d}".format(*t.isocalendar()[:2]),
    "monthly": lambda t: t.strftime("%Y-%m"),
    "yearly": lambda t: t.strftime("%Y"),
}


@dataclass(frozen=True)
class Policy:
    last: int = 0
    hourly: int = 0
    daily: int = 0
    weekly: int = 0
    monthly: int = 0
    yearly: int = 0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"retention {f.name} must be a whole number >= 0, not {value!r}")

    @property
    def keeps_all(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Policy:
        """``{"last": 7, "daily": 30, ...}``; unknown keys are refused by name."""
        d = dict(d or {})
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown retention rule {unknown[0]!r} (use {', '.join(sorted(names))})")
        return cls(**d)

    def as_dict(self) -> dict[str, int]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


KEEP_ALL = Policy()


def select(policy: Policy, snapshots: Iterable[tuple[str, datetime]]) -> tuple[list[str], list[str]]:
    """Split ``(id, time)`` pairs into (keep, remove) id lists, each newest first."""
    ordered = sorted(snapshots, key=lambda s: (s[1], s[0]), reverse=True)
    if policy.keeps_all:
        return [sid for sid, _ in ordered], []
    left = {name: getattr(policy, name) for name in _PERIODS}
    last_bucket: dict[str, str | None] = {name: None for name in _PERIODS}
    keep_last = policy.last
    keep: list[str] = []
    remove: list[str] = []
    for sid, when in ordered:
        kept = False
        if keep_last > 0:
            keep_last -= 1
            kept = True
        for name, bucket_of in _PERIODS.items():
            bucket = bucket_of(when)
            if left[name] > 0 and bucket != last_bucket[name]:
                last_bucket[name] = bucket
                left[name] -= 1
                kept = True
        (keep if kept else remove).append(sid)
    return keep, remove
