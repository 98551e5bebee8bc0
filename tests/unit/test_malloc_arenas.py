"""The process caps glibc's malloc arenas at start (kustos.core.malloc)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

CHILD = textwrap.dedent("""
    import os, sys, threading
    sys.path.insert(0, {src!r})
    from kustos.core import malloc
    applied = malloc.limit_arenas()
    # Eight threads allocating at once: without a cap glibc gives most of them an arena.
    barrier = threading.Barrier(8)
    def work():
        barrier.wait()
        keep = [bytearray(4096) for _ in range(20000)]
        barrier.wait()
    threads = [threading.Thread(target=work) for _ in range(8)]
    [t.start() for t in threads]; [t.join() for t in threads]
    # Non-main arenas are mapped as 64 MiB-aligned heaps: count anonymous mappings of that reservation.
    # Non-main arenas live in anonymous heaps aligned to their 64 MiB reservation.
    heaps = 0
    for line in open("/proc/self/maps"):
        fields = line.split()
        start = int(fields[0].split("-")[0], 16)
        if len(fields) < 6 and start % (64 << 20) == 0:
            heaps += 1
    print(applied, heaps)
""")


def _run(env_extra: dict[str, str]) -> tuple[str, int]:
    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {"PATH": "/usr/bin:/bin", **env_extra}
    out = subprocess.run([sys.executable, "-c", CHILD.format(src=src)], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0], int(out[1])


def test_the_cap_is_applied_and_bounds_the_arenas() -> None:
    applied, heaps = _run({})
    assert applied == "True"
    assert heaps <= 1  # at most one arena besides the main heap


def test_an_operator_setting_wins() -> None:
    applied, heaps = _run({"MALLOC_ARENA_MAX": "8"})
    assert applied == "False"
    assert heaps >= 3  # the same threads spread over more arenas: the count above is the cap's doing
