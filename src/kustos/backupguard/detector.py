"""The detector: a change set plus the account's baseline -> findings and the updated baseline.

Floors work from the first run; once ``Rules.baseline_days`` earlier days are known, mass
deletion/modification and extension changes are judged by z-score against the rolling mean and
stddev of the account's own days instead (a busy account's normal day is normal).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kustos.backupguard.baseline import Baseline, Day
from kustos.backupguard.changes import Change, ChangeSet
from kustos.backupguard.entropy import looks_random
from kustos.backupguard.filetypes import high_entropy_type, ransomware_extension
from kustos.backupguard.rules import Rules

MASS_DELETION = "mass_deletion"
MASS_MODIFICATION = "mass_modification"
EXTENSION_CHANGE = "extension_change"
ENCRYPTED_CONTENT = "encrypted_content"
KINDS = (MASS_DELETION, MASS_MODIFICATION, EXTENSION_CHANGE, ENCRYPTED_CONTENT)
SEVERITIES = ("warning", "high", "critical")


@dataclass(frozen=True)
class Finding:
    account: str
    kind: str
    severity: str
    detail: str
    count: int  # files concerned in this run
    part: str = ""  # the top-level folder judged on its own (a Salesforce object), "" for the account

    def to_dict(self) -> dict[str, Any]:
        return {"account": self.account, "kind": self.kind, "severity": self.severity,
                "detail": self.detail, "count": self.count, **({"part": self.part} if self.part else {})}


@dataclass(frozen=True)
class Assessment:
    findings: list[Finding]
    baseline: Baseline

    @property
    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings}


def assess(changes: ChangeSet, baseline: Baseline | None, day: str | date, rules: Rules | None = None) -> Assessment:
    """Judge one run of ``changes.account`` on ``day`` (the run's date; ``YYYY-MM-DD``).

    ``baseline`` is not modified; the returned one includes this run."""
    rules = rules or Rules()
    today = _day(day)
    if baseline is not None and baseline.account != changes.account:
        raise ValueError(f"baseline of {baseline.account!r} given for account {changes.account!r}")
    bl = Baseline.from_dict(baseline.to_dict()) if baseline else Baseline(account=changes.account)
    files = changes.files_before
    modified = changes.modified
    # Records (JSON resources) have no user-chosen extension and no document content to encrypt:
    # only deletions and modifications count for them.
    renamed_ext = [c for c in modified if c.renamed and c.extension != c.previous_extension and not c.is_record]
    ransom = [c for c in (*changes.added, *renamed_ext) if ransomware_extension(c.path) and not c.is_record]
    encrypted = [c for c in modified if turned_random(c, rules) and not c.is_record]
    measured = [c.entropy for c in modified if c.entropy is not None]
    mean_before = bl.mean_entropy(today)

    bucket = bl.today(today, files)
    bucket.runs += 1
    bucket.deleted += len(changes.deleted)
    bucket.modified += len(modified)
    bucket.ext_changed += len(renamed_ext)
    bucket.encrypted += len(encrypted)
    bucket.entropy_sum += sum(measured)
    bucket.entropy_n += len(measured)
    bl.runs += 1

    noun = f"{changes.unit} of {changes.part}" if changes.part else changes.unit
    candidates = [
        _mass(MASS_DELETION, "deleted", "deleted", len(changes.deleted), bl, bucket, files, rules, noun, changes.unit),
        _mass(MASS_MODIFICATION, "modified", "modified", len(modified), bl, bucket, files, rules, noun, changes.unit),
        _extensions(renamed_ext, ransom, bl, bucket, files, rules),
        _encrypted(encrypted, bl, bucket, mean_before, rules),
    ]
    findings = [Finding(changes.account, kind, severity, detail, count, changes.part)
                for kind, severity, detail, count in (c for c in candidates if c is not None)]
    for f in findings:
        if f.kind not in bucket.flagged:
            bucket.flagged.append(f.kind)
    return Assessment(findings, bl)


def turned_random(c: Change, rules: Rules) -> bool:
    """A modified file whose content now looks random although it used to be document-like:
    its previous entropy was low, or (unknown) its type is not a compressed format."""
    if c.op != "modified" or c.entropy is None or not looks_random(c.entropy, c.sample_size):
        return False
    if c.renamed and high_entropy_type(c.path) and not ransomware_extension(c.path):
        return False  # report.txt -> report.txt.gz: compressed by the user
    if c.previous_entropy is not None:
        return c.previous_entropy < rules.document_entropy
    return not high_entropy_type(c.previous_path or c.path)


Candidate = tuple[str, str, str, int] | None


def _mass(kind: str, metric: str, verb: str, count: int, bl: Baseline, bucket: Day, files: int, rules: Rules,
          noun: str = "files", unit: str = "files") -> Candidate:
    share = count / max(files, 1)
    severity = "critical" if share >= rules.critical_share else "high"
    st = bl.stat(metric, bucket.day, kind, min_days=rules.baseline_days)
    if st.n >= rules.baseline_days:
        if count < rules.adaptive_min_files:
            return None
        z = _z(bucket.rate(metric), st.mean, st.std, rules)
        if z < rules.z_threshold:
            return None
        total = getattr(bucket, metric)
        return (kind, severity, f"{total} of {bucket.files} {noun} ({bucket.rate(metric):.0%}) {verb} today; "
                f"usually {st.mean:.1%} ± {st.std:.1%} a day (z = {z:.1f} over {st.n} days)", count)
    if count < rules.mass_min_files or share <= rules.mass_share:
        return None
    return (kind, severity, f"{count} of {files} {noun} ({share:.0%}) {verb} in one run "
            f"(more than {rules.mass_share:.0%} with at least {rules.mass_min_files} {unit})", count)


def _extensions(renamed: list[Change], ransom: list[Change], bl: Baseline, bucket: Day, files: int,
                rules: Rules) -> Candidate:
    reasons: list[str] = []
    severity = "high"
    if len(ransom) >= rules.ransomware_min_files:
        exts = ", ".join(f".{e} ({n})" for e, n in Counter(c.extension for c in ransom).most_common(3))
        reasons.append(f"{len(ransom)} files got a known ransomware extension: {exts}")
        severity = "critical"
    if renamed:
        ext, n = Counter(c.extension for c in renamed).most_common(1)[0]
        if n >= rules.same_extension_min_files and n >= rules.same_extension_share * files:
            label = f".{ext}" if ext else "no extension"
            reasons.append(f"{n} of {files} files renamed to the same new extension {label}")
    st = bl.stat("ext_changed", bucket.day, EXTENSION_CHANGE, min_days=rules.baseline_days)
    if st.n >= rules.baseline_days and len(renamed) >= rules.adaptive_min_files:
        z = _z(bucket.rate("ext_changed"), st.mean, st.std, rules)
        if z >= rules.z_threshold:
            reasons.append(f"{bucket.ext_changed} extension changes today, usually {st.mean:.1%} "
                           f"of files a day (z = {z:.1f} over {st.n} days)")
    if not reasons:
        return None
    return (EXTENSION_CHANGE, severity, "; ".join(reasons), max(len(renamed), len(ransom)))


def _encrypted(encrypted: list[Change], bl: Baseline, bucket: Day, mean_before: float | None,
               rules: Rules) -> Candidate:
    n = len(encrypted)
    if n < rules.encrypted_min_files:
        return None
    st = bl.stat("encrypted", bucket.day, ENCRYPTED_CONTENT, rate=False, min_days=rules.baseline_days)
    if st.n >= rules.baseline_days:
        sigma = max(st.std, rules.encrypted_min_count_sigma)
        if (bucket.encrypted - st.mean) / sigma < rules.z_threshold:
            return None
    avg = sum(c.entropy or 0.0 for c in encrypted) / n
    usual = f"; modified files usually average {mean_before:.1f} bits/byte" if mean_before is not None else ""
    return (ENCRYPTED_CONTENT, "critical", f"{n} modified files now look encrypted ({avg:.2f} bits/byte, "
            f"were document-like){usual}", n)


def _z(x: float, mean: float, std: float, rules: Rules) -> float:
    return (x - mean) / max(std, rules.rel_sigma * mean, rules.min_sigma)


def _day(day: str | date) -> str:
    if isinstance(day, datetime):
        return day.date().isoformat()
    if isinstance(day, date):
        return day.isoformat()
    try:
        return date.fromisoformat(day).isoformat()
    except (TypeError, ValueError):
        raise ValueError(f"invalid run day {day!r}: use YYYY-MM-DD") from None
