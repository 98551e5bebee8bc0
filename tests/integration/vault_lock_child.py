"""Child process of test_vault_s3_locks.py: one "machine" (own KUSTOS_HOME) using an S3 vault.

Usage: python -m tests.integration.vault_lock_child CONFIG_JSON MODE [ARG]
  write N     put N shared + N own objects in commits of 5, print the ids as JSON
  hold SECS   hold a snapshot builder (shared repository lock) for SECS seconds, then commit
  die         take the exclusive repository lock and SIGKILL itself while holding it
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from kustos.config import Settings
from kustos.vault.factory import open_vault
from kustos.vault.replock import REPO
from kustos.vault.vault import Vault
from tests.unit.vault.vault_helpers import SMALL, mail


def vault_from(cfg: dict[str, Any]) -> Vault:
    settings = Settings(home=Path(cfg["home"]), master_key=cfg["key"], vault_url=cfg["url"],
                        s3_endpoint_url=cfg["endpoint_url"], s3_region=cfg["region"],
                        s3_access_key=cfg["access_key"], s3_secret_key=cfg["secret_key"])
    return open_vault(settings, replace(SMALL, lock_ttl=float(cfg.get("ttl", 3.0)), lock_timeout=60.0,
                                       backend_locks=cfg.get("backend_locks", "auto")))


def main() -> None:
    cfg, mode = json.loads(sys.argv[1]), sys.argv[2]
    vault = vault_from(cfg)
    store = vault.store("acme")
    if mode == "write":
        n, worker = int(sys.argv[3]), int(cfg["worker"])
        ids = []
        for i in range(n):
            ids.append(store.put(mail(i), "mail").id)  # the same content in every worker
            ids.append(store.put(mail(10_000 * (worker + 1) + i), "mail").id)
            if i % 5 == 4:
                store.commit()
        store.commit()
        print(json.dumps(ids))
    elif mode == "hold":
        with store.snapshots.builder(meta={"plan": "p"}) as b:
            b.put("anna", "held.txt", b"held", "file")
            print("holding", flush=True)
            time.sleep(float(sys.argv[3]))
            print(b.commit(), flush=True)
    elif mode == "die":
        lock = store.backend_lock(REPO, exclusive=True)
        lock.acquire()
        print("locked", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    main()
