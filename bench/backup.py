"""Benchmark: Kustos cloud backup of a OneDrive against restic backing up the same tree, same run.

A tree of real files from the shared corpus (API specs, MSG/PST, edge-case mail, PDFs, then
messages of the bulk mail sets) plus a few large synthetic files (50-200 MB, deterministic
random bytes) is written once into a directory (what restic reads) and seeded into one
fakecloud OneDrive (what Kustos reads). Then, each as its own child process:

* Kustos: a fresh ``KUSTOS_HOME``, a customer, a Microsoft 365 source pointing at fakecloud,
  ``kustos backup enable`` and two timed ``kustos backup run`` (first, then incremental after
  1 % of the files changed in fakecloud);
* restic: ``restic init`` and two timed ``restic backup DIR`` around the same 1 % change.

first_s / incr_s are wall times of the commands as a user sees them (``kustos backup run`` includes
the CLI's start-up and every job the command runs inline). Printed beside them, labelled: the run's
own duration as its job records it (``backup.run`` started→finished, what a scheduled backup in
``kustos serve`` costs), and the ``backup.index`` job (full-text indexing of the new snapshot) that
the command runs inline and that ``kustos serve`` runs as a job of its own.
stored_bytes is the size on disk of the Kustos vault directory or of the restic repository;
peak_rss_mb is the child's own ``ru_maxrss`` (wait4), the larger of its two runs; children are started by a small
launcher process (bench/rss_launcher.py), as a child's figure starts from its parent's peak. fakecloud
serves HTTP from a separate process on the same cores: its CPU time is part of what Kustos's
wall time pays for (restic reads a local disk), but its memory is not in Kustos's RSS figure.
The last line printed is one JSON object::

    {"kustos": {"first_s", "incr_s", "stored_bytes", "peak_rss_mb"}, "restic": {...same keys}}

Usage: ``python bench/backup.py [--limit N] [--large N] [--workdir DIR] [--keep]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import bulk_corpus  # bench/ is the script's directory, so this is importable
from rss_launcher import Launcher

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fakecloud.microsoft.blob import SyntheticContent  # noqa: E402
from fakecloud.testing import running_fakecloud  # noqa: E402

TENANT = "bench-backup.onmicrosoft.com"
USER = "bench@bench-backup.onmicrosoft.com"
ROOT = "bench"  # the folder below the OneDrive root that holds the tree
MB = 1 << 20
SKIP_SUFFIXES = (".tar.xz", ".tsv")
CHANGED_MARK = b"\n-- changed by bench/backup.py --\n"


# --- the tree -------------------------------------------------------------------------------
def corpus_files() -> list[Path]:
    """The shared corpus's loose files (everything but the bulk tarballs and the manifest), sorted."""
    root = bulk_corpus.corpus_root()
    found = [Path(d) / f for d, _dirs, files in os.walk(root) for f in files
             if not f.endswith(SKIP_SUFFIXES) and not f.startswith(".")]
    return sorted(p for p in found if p.stat().st_size > 0)


def write_small(dest: Path, limit: int) -> tuple[list[str], int]:
    """Write ``limit`` files below ``dest``: up to a fifth loose corpus files, the rest bulk mail.

    Contents go straight to disk and are never held together in this process: a child's
    ``ru_maxrss`` starts from this process's peak (fork, then exec keeps the high-water mark).
    Returns (relative paths, bytes).
    """
    root = bulk_corpus.corpus_root()
    written: list[str] = []
    total = 0

    def put(rel: str, data: bytes) -> None:
        nonlocal total
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written.append(rel)
        total += len(data)

    for loose in corpus_files()[:max(1, limit // 5)]:
        put(str(loose.relative_to(root)), loose.read_bytes())
    for set_name, member, data in bulk_corpus.messages(limit - len(written)):
        put(f"mail/{set_name}/{member}", data)
    return written, total


def large_files(count: int) -> list[tuple[str, SyntheticContent]]:
    """Deterministic incompressible files of 50-200 MB (the same bytes fakecloud generates)."""
    sizes = [(50 + (i * 67) % 151) * MB + i * 4099 for i in range(count)]
    return [(f"large/blob-{i:02d}.bin", SyntheticContent(size, f"bench-large-{i}")) for i, size in enumerate(sizes)]


def changed_indexes(count: int) -> list[int]:
    """1 % of the small files (at least one), spread over the tree."""
    step = 100
    return list(range(step // 2, count, step)) or [count // 2]


def changed(data: bytes, index: int) -> bytes:
    return data + CHANGED_MARK + f"revision {index}\n".encode()


def write_large(dest: Path, large: list[tuple[str, SyntheticContent]]) -> int:
    total = 0
    for rel, blob in large:
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as out:
            for piece in blob.chunks():
                out.write(piece)
        total += blob.size
    return total


def seed_tree(control: Any, tree: Path, small: list[str], large: list[tuple[str, SyntheticContent]]) -> None:
    """The same tree into the OneDrive (small files read back from disk; large ones synthetic)."""
    def one(rel: str) -> None:
        control.seed("ms", TENANT, USER, "file", f"/{ROOT}/{rel}", (tree / rel).read_bytes())

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, small))
    for rel, blob in large:
        control.seed("ms", TENANT, USER, "file", f"/{ROOT}/{rel}", b"", meta={"size": blob.size, "seed": blob.seed})


def apply_change(control: Any, tree: Path, small: list[str], indexes: list[int]) -> None:
    """Rewrite the same files in fakecloud (seed again) and in restic's directory."""
    for i in indexes:
        rel = small[i]
        new = changed((tree / rel).read_bytes(), i)
        control.seed("ms", TENANT, USER, "file", f"/{ROOT}/{rel}", new)
        (tree / rel).write_bytes(new)


# --- measuring ------------------------------------------------------------------------------
def dir_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def run_child(launcher: Launcher, cmd: list[str], env: dict[str, str],
              cwd: Path | None = None) -> tuple[float, float, str]:
    """Run through the launcher, reaped with wait4 for its own peak RSS; (seconds, peak RSS MiB, stdout).

    Dirty pages of earlier steps are flushed first (not timed), so no tool pays for the
    write-back of the tree or of the tool that ran before it.
    """
    os.sync()
    result = launcher.run(cmd, env, str(cwd) if cwd else None)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({result['rc']}): {result['err']}")
    return result["seconds"], result["maxrss_kib"] / 1024.0, result["out"]


class Kustos:
    """The ``kustos`` CLI on a fresh home, every command its own process."""

    def __init__(self, launcher: Launcher, home: Path) -> None:
        self.launcher = launcher
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("KUSTOS_")}
        self.env.update(KUSTOS_HOME=str(home), KUSTOS_MASTER_KEY=hashlib.sha256(b"bench/backup.py").hexdigest(),
                        KUSTOS_SOURCES_ALLOWED_NETWORKS="127.0.0.0/8,::1/128")
        self.exe = str(Path(sys.executable).with_name("kustos"))

    def cmd(self, *args: str) -> list[str]:
        return [self.exe, *args, "--json"]

    def call(self, *args: str) -> Any:
        out = run_child(self.launcher, self.cmd(*args), self.env)[2]
        return json.loads(out) if out.strip() else None

    def setup(self, settings: dict[str, Any]) -> str:
        self.call("migrate")
        partner = self.call("partner", "create", "Bench partner")["id"]
        customer = self.call("customer", "create", "--partner", str(partner), "Bench customer")["id"]
        settings_file = self.home / "graph-settings.json"
        settings_file.write_text(json.dumps(settings))
        source = self.call("source", "add", "graph", "--customer", str(customer),
                           "--settings-file", str(settings_file))["id"]
        settings_file.unlink()
        self.call("backup", "enable", "--source", str(source), "--services", "onedrive")
        return str(source)

    def run(self, source: str) -> tuple[float, float, dict[str, Any]]:
        known = set(self.jobs())
        seconds, rss, out = run_child(self.launcher, self.cmd("backup", "run", "--source", source), self.env)
        result: dict[str, Any] = json.loads(out)
        if result["failed"]:
            raise SystemExit(f"kustos backup run: {len(result['failed'])} items failed: {result['failed'][:3]}")
        result["jobs"] = {kind: sec for job_id, (kind, sec) in self.jobs().items() if job_id not in known}
        return seconds, rss, result

    def jobs(self) -> dict[str, tuple[str, float]]:
        """Every finished job as the database records it: id -> (kind, started→finished seconds)."""
        with sqlite3.connect(self.home / "kustos.sqlite3") as db:
            rows = db.execute("SELECT id, kind, started_at, finished_at FROM jobs_job "
                              "WHERE started_at IS NOT NULL AND finished_at IS NOT NULL").fetchall()
        return {str(job_id): (kind, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())
                for job_id, kind, start, end in rows}


def job_line(label: str, wall: float, result: dict[str, Any]) -> str:
    """The run's own duration as its job records it, beside the command's wall time."""
    jobs = result.get("jobs", {})
    run = jobs.get("backup.run")
    if run is None:
        return f"kustos {label}: no backup.run job recorded"
    index = jobs.get("backup.index")
    text = (f"kustos {label}, as the job records it (backup.run started→finished, no CLI start-up; what a scheduled "
            f"backup in `kustos serve` costs): {run:.2f}s (command wall time {wall:.2f}s)")
    if index is not None:
        text += (f"; it includes the backup.index job (full-text indexing) the command ran inline, {index:.2f}s, "
                 f"which `kustos serve` runs as a job of its own: backup alone {run - index:.2f}s")
    return text


def restic_env(work: Path) -> dict[str, str]:
    return dict(os.environ, RESTIC_PASSWORD="bench-passphrase", RESTIC_CACHE_DIR=str(work / "restic-cache"),
                RESTIC_REPOSITORY=str(work / "restic-repo"))


# --- main -----------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=10_000, help="number of small files (default 10000)")
    parser.add_argument("--large", type=int, default=3, help="number of large synthetic files (default 3)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    if args.limit < 1 or args.large < 0:
        parser.error("--limit must be at least 1 and --large not negative")
    if not bulk_corpus.available():
        print(f"skipped: shared corpus absent at {bulk_corpus.corpus_root()} (set KUSTOS_CORPUS)")
        return 0
    if shutil.which("restic") is None:
        print("skipped: restic not installed (apt-get install restic)")
        return 0

    work = args.workdir or Path(tempfile.mkdtemp(prefix="kustos-bench-backup-"))
    work.mkdir(parents=True, exist_ok=True)
    launcher = Launcher()  # started while this script is small: children inherit its peak RSS
    probe = launcher.run(["true"], dict(os.environ))["maxrss_kib"] / 1024.0
    print(f"peak RSS of a trivial child (the floor under every figure): {probe:.1f} MiB", flush=True)
    try:
        return bench(launcher, work, args.limit, args.large)
    finally:
        launcher.close()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def bench(launcher: Launcher, work: Path, limit: int, large_count: int) -> int:
    started = time.perf_counter()
    tree = work / "tree"
    small, total = write_small(tree, limit)
    large = large_files(large_count)
    total += write_large(tree, large)
    indexes = changed_indexes(len(small))
    print(f"tree: {len(small)} files from the corpus + {len(large)} large synthetic "
          f"({sum(b.size for _, b in large) / MB:.0f} MiB), {total / 1e6:.1f} MB in all; "
          f"{len(indexes)} files change before the incremental run", flush=True)
    print("note: fakecloud serves Graph over HTTP from its own process on the same cores; its CPU is part of "
          "Kustos's wall time (restic reads a local disk), its memory is not in Kustos's peak RSS", flush=True)

    with running_fakecloud() as fakecloud:
        control = fakecloud.control
        control.call("reset")
        settings = control.credentials("ms", TENANT)
        seed_tree(control, tree, small, large)
        print(f"seeded fakecloud OneDrive ({time.perf_counter() - started:.1f}s so far)", flush=True)

        kustos = Kustos(launcher, work / "kustos-home")
        kustos.home.mkdir()
        source = kustos.setup(settings)
        renv = restic_env(work)
        subprocess.run(["restic", "init", "--repository-version", "2"], env=renv, check=True, capture_output=True)
        restic_cmd = ["restic", "backup", "--compression", "auto", "--quiet", "."]

        k_first, k_rss1, k_res1 = kustos.run(source)
        print(f"kustos first: {k_first:.1f}s, {k_res1['items']} items, {k_res1['new_bytes'] / 1e6:.1f} MB new, "
              f"peak RSS {k_rss1:.0f} MiB", flush=True)
        print(job_line("first", k_first, k_res1), flush=True)
        r_first, r_rss1, _ = run_child(launcher, restic_cmd, renv, cwd=tree)
        print(f"restic first: {r_first:.1f}s, peak RSS {r_rss1:.0f} MiB", flush=True)

        apply_change(control, tree, small, indexes)

        k_incr, k_rss2, k_res2 = kustos.run(source)
        print(f"kustos incremental: {k_incr:.1f}s, {k_res2['items']} items, "
              f"{k_res2['new_bytes'] / 1e6:.2f} MB new, peak RSS {k_rss2:.0f} MiB", flush=True)
        print(job_line("incremental", k_incr, k_res2), flush=True)
        r_incr, r_rss2, _ = run_child(launcher, restic_cmd, renv, cwd=tree)
        print(f"restic incremental: {r_incr:.1f}s, peak RSS {r_rss2:.0f} MiB", flush=True)
        startup = run_child(launcher, kustos.cmd("backup", "snapshots", "--source", source), kustos.env)[0]

    results = {
        "kustos": {"first_s": round(k_first, 2), "incr_s": round(k_incr, 2),
                   "stored_bytes": dir_bytes(kustos.home / "vault"), "peak_rss_mb": round(max(k_rss1, k_rss2), 1)},
        "restic": {"first_s": round(r_first, 2), "incr_s": round(r_incr, 2),
                   "stored_bytes": dir_bytes(work / "restic-repo"), "peak_rss_mb": round(max(r_rss1, r_rss2), 1)},
    }
    other = dir_bytes(kustos.home) - results["kustos"]["stored_bytes"]
    print(f"kustos home outside the vault (database, queue, cache; not in stored_bytes): {other / 1e6:.1f} MB; "
          f"the kustos CLI's start-up alone (backup snapshots) takes {startup:.1f}s of each run", flush=True)
    k, r = results["kustos"], results["restic"]
    print(f"ratios: incremental time kustos/restic {k['incr_s'] / r['incr_s']:.2f}x, "
          f"first time kustos/restic {k['first_s'] / r['first_s']:.2f}x, "
          f"stored kustos/restic {k['stored_bytes'] / r['stored_bytes']:.3f}x "
          f"(aim: incremental faster than restic, stored no larger); total {time.perf_counter() - started:.0f}s",
          flush=True)
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
