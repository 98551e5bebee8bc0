"""Anomaly detection for backups (framework-free; no Django).

After each snapshot the backup engine calls, per account::

    sets = changes_between(store, previous_sid, new_sid)          # or build ChangeSet itself
    result = assess(sets["anna"], Baseline.from_json(saved) if saved else None, day="2026-12-06")
    result.findings   # [Finding(kind, severity, detail, count, account)]
    save(result.baseline.to_json())

Sinks measure entropy while streaming with :class:`EntropyEstimator` (``feed(chunk)``) and may
keep it in the item's metadata as ``entropy``/``entropy_sample`` for the next comparison.
Finding kinds: mass_deletion, mass_modification, extension_change, encrypted_content.
An account whose top-level folders are separate things (a Salesforce org's objects) is judged per
folder with :func:`assess_parts` and :class:`PartBaselines` (each folder its own baseline).
"""

from kustos.backupguard.baseline import Baseline
from kustos.backupguard.changes import RECORDS, Change, ChangeSet
from kustos.backupguard.detector import (
    ENCRYPTED_CONTENT,
    EXTENSION_CHANGE,
    KINDS,
    MASS_DELETION,
    MASS_MODIFICATION,
    Assessment,
    Finding,
    assess,
)
from kustos.backupguard.entropy import EntropyEstimator, looks_random, shannon_entropy
from kustos.backupguard.partitions import PartAssessment, PartBaselines, assess_parts
from kustos.backupguard.rules import Rules
from kustos.backupguard.vaultdiff import changes_between

__all__ = ["ENCRYPTED_CONTENT", "EXTENSION_CHANGE", "KINDS", "MASS_DELETION", "MASS_MODIFICATION", "RECORDS",
           "Assessment", "Baseline", "Change", "ChangeSet", "EntropyEstimator", "Finding", "PartAssessment",
           "PartBaselines", "Rules", "assess", "assess_parts", "changes_between", "looks_random", "shannon_entropy"]
