"""Per-part baselines: an account judged per top-level folder (a Salesforce org per object).

Each part (``Account``, ``Opportunity``, ...) has its own :class:`Baseline` and its own
denominator (its items in the previous snapshot), so a large object's normal churn neither hides
a small object's mass deletion nor makes it look normal. Stored as one small JSON document::

    {"v": 1, "account": "data:00D...", "parts": {"Account": <baseline>, ...}}

A part seen for the first time starts with an empty baseline (the floors of :class:`Rules`
apply); a part gone from the account (no items before, no changes now) is forgotten.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from kustos.backupguard.baseline import VERSION, Baseline
from kustos.backupguard.changes import ChangeSet
from kustos.backupguard.detector import Finding, assess
from kustos.backupguard.rules import Rules


@dataclass
class PartBaselines:
    account: str
    parts: dict[str, Baseline] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"v": VERSION, "account": self.account,
                "parts": {name: b.to_dict() for name, b in sorted(self.parts.items())}}

    @classmethod
    def from_dict(cls, data: Any) -> PartBaselines:
        if not isinstance(data, dict) or data.get("v") != VERSION or not isinstance(data.get("parts"), dict):
            raise ValueError(f"invalid per-part baseline: expected an object with \"v\": {VERSION} and \"parts\"")
        account = data.get("account")
        if not isinstance(account, str):
            raise ValueError("invalid per-part baseline: \"account\" must be a string")
        parts: dict[str, Baseline] = {}
        for name, value in data["parts"].items():
            try:
                parts[str(name)] = Baseline.from_dict(value)
            except ValueError as exc:
                raise ValueError(f"invalid baseline of part {name!r}: {exc}") from None
        return cls(account=account, parts=parts)


@dataclass(frozen=True)
class PartAssessment:
    findings: list[Finding]
    baseline: PartBaselines


def assess_parts(changes: ChangeSet, sizes: Mapping[str, int], baseline: PartBaselines | None, day: str | date,
                 rules: Rules | None = None) -> PartAssessment:
    """Judge every part of ``changes.account`` on its own: ``sizes`` maps each top-level folder
    to its item count in the previous snapshot. ``baseline`` is not modified."""
    if baseline is not None and baseline.account != changes.account:
        raise ValueError(f"baseline of {baseline.account!r} given for account {changes.account!r}")
    known = baseline.parts if baseline else {}
    out = PartBaselines(account=changes.account)
    findings: list[Finding] = []
    for name, part in changes.split(sizes).items():
        result = assess(part, known.get(name), day, rules)
        out.parts[name] = result.baseline
        findings += result.findings
    return PartAssessment(findings, out)
