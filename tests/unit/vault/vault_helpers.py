"""Vault test helpers: small-pack vaults on temporary homes, mail-like data."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from kustos.config import Settings
from kustos.vault.factory import open_vault
from kustos.vault.options import VaultOptions
from kustos.vault.vault import Vault

SMALL = VaultOptions(pack_size=32 * 1024, chunk_threshold=128 * 1024, chunk_avg=16 * 1024,
                     train_at=40, retrain_every=160, train_in_background=False, dict_size=16 * 1024, ledger_batch=1000, lock_timeout=1.0)


def make_settings(home: Path, **kw: str) -> Settings:
    return Settings(home=home, master_key=kw.pop("master_key", base64.b64encode(os.urandom(32)).decode()), **kw)


def make_vault(home: Path, options: VaultOptions = SMALL, **kw: str) -> Vault:
    return open_vault(make_settings(home, **kw), options)


def mail(i: int, size: int = 2000) -> bytes:
    """A mail-like message, deterministic in ``i``."""
    head = (f"From: user{i % 17}@example.org\r\nTo: list@example.org\r\nSubject: thread {i % 23} part {i}\r\n"
            f"Message-ID: <{i}.{i * 7919}@example.org>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n")
    body = "".join(f"line {j} of message {i}: the quick brown fox {i * j % 101}\r\n" for j in range(size // 50))
    return (head + body).encode()
