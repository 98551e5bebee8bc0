"""Child process of test_vault_prune_crash.py: prune, SIGKILLing itself at the k-th backend write.

Usage: vault_prune_child.py HOME MASTER_KEY K  (K = 0: run to the end and print the count of
backend writes, i.e. stores and deletes).
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path

from kustos.config import Settings
from kustos.vault.backends.local import LocalBackend
from kustos.vault.factory import open_vault
from tests.unit.vault.vault_helpers import SMALL

OPTIONS = replace(SMALL, lock_ttl=1.0, lock_timeout=10.0)


class KillAt(LocalBackend):
    def __init__(self, root: Path, k: int):
        super().__init__(root)
        self.k = k
        self.writes = 0

    def _tick(self) -> None:
        self.writes += 1
        if self.writes == self.k:
            os.kill(os.getpid(), signal.SIGKILL)

    def store(self, name: str, data: bytes, retain_until: datetime | None = None) -> None:
        if "/locks/" not in name:
            self._tick()
        super().store(name, data, retain_until)

    def delete(self, name: str) -> None:
        if "/locks/" not in name:
            self._tick()
        super().delete(name)


def main() -> None:
    home, key, k = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    settings = Settings(home=home, master_key=key)
    backend = KillAt(settings.vault_path, k)
    vault = open_vault(settings, OPTIONS, backend=backend)
    vault.prune("acme")
    print(backend.writes)


if __name__ == "__main__":
    main()
