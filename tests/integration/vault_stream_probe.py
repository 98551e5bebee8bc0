"""Child process of test_vault_stream.py: put a generated stream of N MiB, read it back.

Prints one JSON line: {"sha_in", "sha_out", "size", "rss_growth_mb", "stored"}. The stream is
deterministic pseudo-random data with repeated regions, produced block by block (never whole).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import random
import sys
from pathlib import Path

from kustos.config import Settings
from kustos.vault.factory import open_vault
from kustos.vault.index import BACKUP

MiB = 1024 * 1024


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


class Generated(io.RawIOBase):
    """``blocks`` MiB: the second half of every 16 repeats the first (dedup-able)."""

    def __init__(self, blocks: int):
        self.blocks = blocks
        self.sha = hashlib.sha256()
        self._i = 0
        self._buf = memoryview(b"")

    def readable(self) -> bool:
        return True

    def _block(self, i: int) -> bytes:
        seed = i - 8 if i % 16 >= 8 else i
        return random.Random(seed).randbytes(MiB)

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._buf:
            if self._i >= self.blocks:
                return 0
            block = self._block(self._i)
            self.sha.update(block)
            self._buf = memoryview(block)
            self._i += 1
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def main() -> None:
    home, blocks = Path(sys.argv[1]), int(sys.argv[2])
    vault = open_vault(Settings(home=home, master_key=base64.b64encode(os.urandom(32)).decode()))
    store = vault.store("acme")
    store.put(b"warm-up", "file", pool=BACKUP)  # opens the writer (lock, index, compressor)
    base = peak_rss_mb()
    stream = Generated(blocks)
    result = store.put(io.BufferedReader(stream, MiB), "file", pool=BACKUP)
    store.commit()
    out = hashlib.sha256()
    with store.open(result.id) as reader:
        while chunk := reader.read(MiB):
            out.update(chunk)
    print(json.dumps({"sha_in": stream.sha.hexdigest(), "sha_out": out.hexdigest(), "put_sha": result.sha256,
                      "size": result.size, "rss_growth_mb": round(peak_rss_mb() - base, 1),
                      "stored": vault.stats("acme")["stored_bytes"]}))


if __name__ == "__main__":
    main()
