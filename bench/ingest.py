"""Benchmark: end-to-end archive ingest and search against notmuch and mu, same data, same run.

The bulk sets (usrp-users + spamassassin, ~15.9k messages) are written once as a
Maildir. Then, each as its own process:

* Kustos ingests the Maildir through the real pipeline (parse in two processes,
  extract, vault store + ledger, database rows, tantivy index) and runs the query
  set through the search service layer;
* ``notmuch new`` indexes it, and ``notmuch search`` runs the same queries (each
  including process start, as a user would run it);
* ``mu index`` indexes it.

Peak memory: for notmuch and mu the process's ru_maxrss; for Kustos, which forks two
parse workers sharing most pages with it, the peak of the summed PSS of the process tree
(sampled every 0.2 s; summing RSS would count shared pages up to three times). The
worker's own and its children's ru_maxrss are printed on stderr for comparison.
The last line printed is one JSON object::

    {"kustos": {"msg_s", "peak_rss_mb", "index_mb", "search_p50_ms", "search_p95_ms"},
     "notmuch": {...same keys}, "mu": {"msg_s", "peak_rss_mb", "index_mb"}}

Usage: ``python bench/ingest.py [--limit N] [--workdir DIR] [--keep]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import bulk_corpus  # bench/ is the script's directory, so these are importable
import kustos_child
from memory import TreeMemory

REPO = Path(__file__).resolve().parents[1]

# The same query strings work in Kustos and notmuch (both accept these operators).
QUERIES = [
    "usrp", "ettus", "firmware", "b210", "gnuradio", "timeout", "linux", "python",
    "fpga", "antenna", "zzyzx", "\"sample rate\"", "\"gnu radio\"", "from:ettus.com", "from:gmail.com",
    "subject:uhd", "subject:help", "usrp AND firmware", "usrp AND NOT b210", "date:2015-01-01..2015-12-31",
    "date:2002-01-01..2002-12-31 AND money", "from:ettus.com AND subject:uhd", "viagra", "unsubscribe",
]


def write_maildir(dest: Path, limit: int | None) -> tuple[int, int]:
    for sub in ("cur", "new", "tmp"):
        (dest / sub).mkdir(parents=True, exist_ok=True)
    count = total = 0
    for _, _, data in bulk_corpus.messages(limit):
        (dest / "cur" / f"{count:06d}.bench:2,S").write_bytes(data)
        count += 1
        total += len(data)
    return count, total


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def run_child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """(seconds, this child's own peak RSS in MiB via wait4, stdout)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err)
        assert proc.stdout is not None
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err.read().decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss / 1024.0, out.decode(errors="replace")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


# --- Kustos (runs in a child process) ---------------------------------------------

def kustos_worker(maildir: Path, home: Path) -> None:
    kustos_child.setup_django(home)

    from kustos.archive.services import imports  # noqa: PLC0415
    from kustos.archive.services import search as search_service  # noqa: PLC0415
    from kustos.tenants.services import customers, partners  # noqa: PLC0415

    customer = customers.create(partners.create("Bench"), "Bench customer")
    start = time.perf_counter()
    with TreeMemory() as memory:
        result = imports.import_paths(customer, "list@example.org", [maildir], workers=2)
    ingest_s = time.perf_counter() - start
    latencies = []
    totals = {}
    for query in QUERIES:
        t0 = time.perf_counter()
        res = search_service.run(customer, query, search_service.Scope(), limit=20)
        search_service.hit_rows(res, search_service.Scope())
        latencies.append((time.perf_counter() - t0) * 1000)
        totals[query] = res.total
    self_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    kids_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    print(json.dumps({"imported": result.imported, "duplicates": result.duplicates,
                      "quarantined": result.quarantined, "ingest_s": ingest_s, "latencies": latencies,
                      "totals": totals, "rss": memory.peak_kb / 1024.0, "self_maxrss": self_rss,
                      "children_maxrss": kids_rss}))


def bench_kustos(maildir: Path, work: Path, count: int) -> dict[str, Any]:
    home = work / "kustos-home"
    run_child([sys.executable, __file__, "--migrate", str(home)])
    _, _, out = run_child([sys.executable, __file__, "--worker", str(maildir), str(home)])
    inner = json.loads(out.strip().splitlines()[-1])
    return {"msg_s": round(count / inner["ingest_s"], 1), "peak_rss_mb": round(inner["rss"], 1),
            "index_mb": round(dir_mb(home / "index"), 1),
            "search_p50_ms": round(statistics.median(inner["latencies"]), 2),
            "search_p95_ms": round(percentile(inner["latencies"], 0.95), 2),
            "_self_maxrss_mb": round(inner["self_maxrss"], 1), "_children_maxrss_mb": round(inner["children_maxrss"], 1),
            "_imported": inner["imported"], "_duplicates": inner["duplicates"], "_totals": inner["totals"]}


def bench_notmuch(maildir: Path, work: Path, count: int) -> dict[str, Any] | None:
    if shutil.which("notmuch") is None:
        return None
    config = work / "notmuch-config"
    config.write_text(f"[database]\npath={maildir}\n[new]\ntags=unread;inbox;\n[search]\nexclude_tags=\n"
                      f"[maildir]\nsynchronize_flags=false\n")
    env = {**os.environ, "NOTMUCH_CONFIG": str(config)}
    seconds, rss, _ = run_child(["notmuch", "new", "--quiet"], env)
    latencies = []
    for query in QUERIES:
        t0 = time.perf_counter()
        subprocess.run(["notmuch", "search", "--limit=20", "--output=summary", query], env=env,
                       capture_output=True, check=False)
        latencies.append((time.perf_counter() - t0) * 1000)
    return {"msg_s": round(count / seconds, 1), "peak_rss_mb": round(rss, 1),
            "index_mb": round(dir_mb(maildir / ".notmuch"), 1),
            "search_p50_ms": round(statistics.median(latencies), 2),
            "search_p95_ms": round(percentile(latencies, 0.95), 2)}


def bench_mu(maildir: Path, work: Path, count: int) -> dict[str, Any] | None:
    if shutil.which("mu") is None:
        return None
    muhome = work / "mu-home"
    subprocess.run(["mu", "init", f"--maildir={maildir}", f"--muhome={muhome}"], check=True, capture_output=True)
    seconds, rss, _ = run_child(["mu", "index", f"--muhome={muhome}", "--quiet"])
    return {"msg_s": round(count / seconds, 1), "peak_rss_mb": round(rss, 1), "index_mb": round(dir_mb(muhome), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N messages")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--worker", nargs=2, metavar=("MAILDIR", "HOME"), help=argparse.SUPPRESS)
    parser.add_argument("--migrate", metavar="HOME", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.migrate:
        kustos_child.migrate(Path(args.migrate))
        return
    if args.worker:
        kustos_worker(Path(args.worker[0]), Path(args.worker[1]))
        return
    if not bulk_corpus.available():
        print(json.dumps({"skipped": "shared corpus absent"}))
        return
    work = args.workdir or Path(tempfile.mkdtemp(prefix="kustos-bench-ingest-"))
    try:
        maildir = work / "maildir"
        count, raw = write_maildir(maildir, args.limit)
        print(f"{count} messages, {raw / 1e6:.1f} MB", file=sys.stderr)
        # Order: the anchors first, so Kustos does not profit from a warm page cache they paid for.
        results: dict[str, Any] = {}
        results["notmuch"] = bench_notmuch(maildir, work, count)
        results["mu"] = bench_mu(maildir, work, count)
        results["kustos"] = bench_kustos(maildir, work, count)
        for name, res in results.items():
            if res:
                print(f"{name:8} " + "  ".join(f"{k.lstrip('_')}={v}" for k, v in res.items()
                                               if not k.startswith("_t")), file=sys.stderr)
        k, n, m = results["kustos"], results["notmuch"], results["mu"]
        if n:
            print(f"ratios: ingest kustos/notmuch {k['msg_s'] / n['msg_s']:.2f}x, "
                  f"search p95 notmuch/kustos {n['search_p95_ms'] / k['search_p95_ms']:.1f}x", file=sys.stderr)
        if m:
            print(f"ratios: ingest kustos/mu {k['msg_s'] / m['msg_s']:.2f}x", file=sys.stderr)
        print(json.dumps({name: ({kk: vv for kk, vv in res.items() if not kk.startswith("_")} if res else None)
                          for name, res in (("kustos", k), ("notmuch", n), ("mu", m))}))
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
