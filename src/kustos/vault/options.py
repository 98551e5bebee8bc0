"""Tunables of a vault and the shared context handed to customer stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kustos.vault.backends.base import Backend
from kustos.vault.index import IndexCache
from kustos.vault.ledger.tsa import Timestamper

MiB = 1024 * 1024


@dataclass(frozen=True)
class VaultOptions:
    pack_size: int = 24 * MiB  # packs close at >= this size (so ≈16-32 MiB)
    chunk_threshold: int = 4 * MiB  # objects above this are split with FastCDC
    chunk_avg: int = 1 * MiB
    zstd_level: int = 5  # with dictionaries: ~30% of raw on the mail corpus (bench/vault.py)
    dict_size: int = 512 * 1024  # large dictionaries pay off on mail (shared footers, quoted text)
    train_at: int = 300  # small objects seen before the first dictionary is trained
    retrain_every: int = 2000  # then a new version from the most recent samples (0 = never)
    train_in_background: bool = False  # True: retrain on a worker thread (measured: no gain on 2 cores)
    ledger_batch: int = 10_000  # seal a Merkle batch at this many entries ...
    ledger_interval: float = 24 * 3600.0  # ... or when the oldest unsealed entry is this old
    lock_timeout: float = 60.0
    lock_ttl: float = 120.0  # backend lock objects expire this long after their last refresh
    backend_locks: str = "auto"  # writer lock objects in the backend: auto (S3 only) | on | off


@dataclass
class StoreContext:
    backend: Backend
    cache: IndexCache
    lock_dir: Path
    tsa: Timestamper
    options: VaultOptions = field(default_factory=VaultOptions)
