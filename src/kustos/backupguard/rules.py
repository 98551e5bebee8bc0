"""Thresholds of the detector (defaults suit an office account; pass other values per plan)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rules:
    # Absolute floors, active from the first run: share of the account's files in one run.
    mass_share: float = 0.30
    mass_min_files: int = 50
    critical_share: float = 0.80
    # Adaptive rules, once ``baseline_days`` earlier days are known: z-score of the day's rate
    # against the rolling mean/stddev (stddev floored, so a quiet account is not hair-trigger).
    baseline_days: int = 5
    z_threshold: float = 4.0
    adaptive_min_files: int = 20
    min_sigma: float = 0.02
    rel_sigma: float = 0.25
    # Extensions.
    ransomware_min_files: int = 3
    same_extension_min_files: int = 20
    same_extension_share: float = 0.10
    # Entropy: a modified file whose content turned random (see entropy.looks_random) while it
    # used to be document-like (below ``document_entropy``, or a type that is not compressed).
    document_entropy: float = 6.5
    encrypted_min_files: int = 5
    encrypted_min_count_sigma: float = 1.0

    def __post_init__(self) -> None:
        if not 0 < self.mass_share <= 1 or not 0 < self.critical_share <= 1:
            raise ValueError("invalid rules: mass_share and critical_share lie in (0, 1]")
        if min(self.mass_min_files, self.adaptive_min_files, self.ransomware_min_files,
               self.same_extension_min_files, self.encrypted_min_files) < 1:
            raise ValueError("invalid rules: minimum file counts must be at least 1")
        if self.baseline_days < 2 or self.z_threshold <= 0:
            raise ValueError("invalid rules: baseline_days must be at least 2 and z_threshold positive")
