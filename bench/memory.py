"""Peak memory of a process tree, sampled from outside it.

PSS (proportional set size) divides shared pages among the processes that map them, so the
sum over a parent and its forked workers counts every page once; RSS would count shared pages
once per process. ``Pss_Anon`` leaves out file-backed pages (memory-mapped index files, shared
libraries), which the kernel can drop at any time. Sampling runs in a thread of the measuring
process, not of the measured one, so a busy measured process cannot starve it.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path


class TreeMemory:
    """Peak summed RSS, PSS and anonymous PSS (KiB) of ``pid`` and all its descendants."""

    def __init__(self, pid: int | None = None, interval: float = 0.1) -> None:
        self.pid = os.getpid() if pid is None else pid
        self.interval = interval
        self.peak_rss_kb = self.peak_kb = self.peak_anon_kb = 0
        self.peak_by_kind_kb: dict[str, int] = {}  # kind (see process_kind) -> peak summed PSS
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                for task in Path(f"/proc/{pid}/task").iterdir():
                    todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        return pids

    @staticmethod
    def _rollup(pid: int) -> tuple[int, int, int]:
        rss = pss = anon = 0
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                key, _, value = line.partition(":")
                if key == "Rss":
                    rss = int(value.split()[0])
                elif key == "Pss":
                    pss = int(value.split()[0])
                elif key == "Pss_Anon":
                    anon = int(value.split()[0])
        except OSError:
            pass
        return rss, pss, anon

    def process_kind(self, pid: int) -> str:
        """``main`` (the measured process), ``forkserver``, ``resource_tracker`` or ``worker``."""
        if pid == self.pid:
            return "main"
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return "worker"
        for kind in (b"forkserver", b"resource_tracker"):
            if kind in cmdline:
                return kind.decode()
        return "worker"

    def sample(self) -> None:
        pids = self._tree()
        values = [self._rollup(pid) for pid in pids]
        by_kind: dict[str, int] = {}
        for pid, value in zip(pids, values, strict=True):
            kind = self.process_kind(pid)
            by_kind[kind] = by_kind.get(kind, 0) + value[1]
        for kind, kb in by_kind.items():
            self.peak_by_kind_kb[kind] = max(self.peak_by_kind_kb.get(kind, 0), kb)
        self.peak_rss_kb = max(self.peak_rss_kb, sum(v[0] for v in values))
        self.peak_kb = max(self.peak_kb, sum(v[1] for v in values))
        self.peak_anon_kb = max(self.peak_anon_kb, sum(v[2] for v in values))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run_sampled(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, TreeMemory, str]:
    """Run ``cmd`` to its end while sampling its process tree: (seconds, peaks, stdout)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err)
        with TreeMemory(proc.pid) as memory:
            out, _ = proc.communicate()
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err.read().decode(errors='replace')[-2000:]}")
    return seconds, memory, out.decode(errors="replace")
