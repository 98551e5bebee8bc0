"""The notmuch anchor for the search benchmark: same messages, equivalent queries.

Writes the messages as a Maildir in a temp dir, runs ``notmuch new`` and times
``notmuch search --limit=20`` (a process per query, as a user or script would run it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

from kustos.search.bench.queries import NOTMUCH_QUERIES


class NotmuchMissing(RuntimeError):
    def __init__(self) -> None:
        super().__init__("notmuch is not installed (apt-get install notmuch)")


def run_notmuch(raws: list[bytes], root: Path, rounds: int) -> tuple[float, list[float], dict[str, int]]:
    """(index seconds, per-call latencies in ms, hit count per query)."""
    binary = shutil.which("notmuch")
    if binary is None:
        raise NotmuchMissing()
    maildir = root / "mail"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    for i, raw in enumerate(raws):
        (maildir / "cur" / f"{i:06d}.bench:2,S").write_bytes(raw)
    config = root / "notmuch-config"
    config.write_text(f"[database]\npath={maildir}\n[new]\ntags=\n[search]\nexclude_tags=\n")
    env = {**os.environ, "NOTMUCH_CONFIG": str(config)}
    start = time.perf_counter()
    subprocess.run([binary, "new", "--quiet"], env=env, check=True, capture_output=True)
    index_s = time.perf_counter() - start
    latencies: list[float] = []
    counts: dict[str, int] = {}
    for query in NOTMUCH_QUERIES:
        found = subprocess.run([binary, "count", "--output=messages", query], env=env, capture_output=True, text=True)
        counts[query] = int(found.stdout.strip() or 0)
        for _ in range(rounds):
            start = time.perf_counter()
            subprocess.run([binary, "search", "--limit=20", query], env=env, capture_output=True, check=False)
            latencies.append((time.perf_counter() - start) * 1000)
    return index_s, latencies, counts
