"""Benchmark: how ingest, memory, storage and search grow with the archive (10k → 100k → 1M).

For each size N the generator in ``scale_corpus`` writes N distinct realistic messages of one
customer (real subjects and paragraphs recombined, ten years of dates, a sender pool, real
attachments on 8 %) as a Maildir++ tree with one folder per year and direction. Then, each as
its own process tree:

* Kustos (default install: SQLite, tantivy, local vault) imports the tree through the real
  pipeline and answers a fixed set of 30 queries (terms, phrases, from:/to:, date ranges,
  has:attachment, a faceted query, deep paging) through the search service: one warm-up pass,
  then three timed passes;
* at ``--anchors-at`` (default 100k): ``notmuch new`` + the same queries through ``notmuch search``
  (process start included, as a user runs it), and ``mu index``;
* at ``--pg-at`` with ``--pg-dsn``: Kustos on PostgreSQL with the PostgreSQL search backend.

Peak memory is the peak summed PSS of the whole Kustos process tree over import and searches,
sampled from the benchmark's own process (parse workers share pages with their parent; summing
RSS would count them twice; see memory.py), or ru_maxrss for the single-process anchors.
``peak_anon_mb`` is the same without file-backed pages (tantivy's memory-mapped segments and
shared libraries, which the kernel can drop at any time).
Printed per size: msg/s, peak MB, index MB, vault MB, search p50/p95 ms; then the targets of the
scale issue and the ratios. The last line is JSON: ``{"results": [{"size", "tool", ...}], ...}``.

Usage: ``python bench/scale.py --sizes 10000,100000,1000000 [--pg-dsn postgres://...]``;
CI runs ``--sizes 5000 --anchors-at 5000``.
"""

from __future__ import annotations

import argparse
import json
import os
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
import scale_corpus
from ingest import dir_mb, percentile, run_child
from memory import run_sampled

REPO = Path(__file__).resolve().parents[1]

# (Kustos query, notmuch query, extra): the same question in both languages.
QUERIES: list[tuple[str, str, dict[str, Any]]] = [
    ("usrp", "usrp", {}), ("firmware", "firmware", {}), ("antenna", "antenna", {}),
    ("timeout", "timeout", {}), ("linux", "linux", {}), ("python", "python", {}),
    ("fpga", "fpga", {}), ("vorgang", "vorgang", {}), ("zzyzx", "zzyzx", {}),
    ("firm*", "firm*", {}),
    ('"sample rate"', '"sample rate"', {}), ('"gnu radio"', '"gnu radio"', {}),
    ('"vorgang 00000042"', '"vorgang 00000042"', {}),
    ("from:partner7.example", "from:partner7.example", {}), ("to:kunde.example", "to:kunde.example", {}),
    ("from:anna", "from:anna", {}), ("subject:usrp", "subject:usrp", {}),
    ("date:2018", "date:2018-01-01..2018-12-31", {}), ("date:2020-03", "date:2020-03-01..2020-03-31", {}),
    ("date:2017-01-01..2019-12-31 AND firmware", "date:2017-01-01..2019-12-31 AND firmware", {}),
    ("after:2025-06-01", "date:2025-06-01..", {}),
    ("has:attachment", "tag:attachment", {}), ("has:attachment AND date:2019", "tag:attachment AND date:2019-01-01..2019-12-31", {}),
    ("usrp AND NOT b210", "usrp AND NOT b210", {}), ("firmware OR fpga", "firmware OR fpga", {}),
    ("(antenna OR filter) AND date:2021", "(antenna OR filter) AND date:2021-01-01..2021-12-31", {}),
    ("from:partner3.example AND has:attachment", "from:partner3.example AND tag:attachment", {}),
    ("firmware", "firmware", {"facets": True}),
    ("usrp", "usrp", {"offset": 1000}), ("*", "*", {"offset": 5000}),
]
PASSES = 3


# --- Kustos (runs in a child process) ---------------------------------------------

def kustos_worker(maildir: Path, home: Path) -> None:
    kustos_child.setup_django(home)
    from django.db import connection  # noqa: PLC0415

    from kustos.archive.services import imports  # noqa: PLC0415
    from kustos.archive.services import search as search_service  # noqa: PLC0415
    from kustos.tenants.services import customers, partners  # noqa: PLC0415

    customer = customers.create(partners.create("Scale"), "Scale customer")
    start = time.perf_counter()
    result = imports.import_paths(customer, "archiv@kunde.example", [maildir], workers=2)
    ingest_s = time.perf_counter() - start
    scope = search_service.Scope()
    latencies: list[float] = []
    totals: dict[str, int] = {}
    for timed in range(PASSES + 1):
        for query, _, extra in QUERIES:
            t0 = time.perf_counter()
            res = search_service.run(customer, query, scope, limit=20, **extra)
            search_service.hit_rows(res, scope)
            if timed:
                latencies.append((time.perf_counter() - t0) * 1000)
            totals[query + (f" @{extra}" if extra else "")] = res.total
    db_mb = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_database_size(current_database())")
            db_mb = cur.fetchone()[0] / 1e6
    print(json.dumps({"imported": result.imported, "duplicates": result.duplicates,
                      "quarantined": result.quarantined, "ingest_s": ingest_s, "latencies": latencies,
                      "totals": totals, "db_mb": db_mb}))


def bench_kustos(maildir: Path, work: Path, count: int, env: dict[str, str] | None = None,
                 tool: str = "kustos") -> dict[str, Any]:
    home = work / f"{tool}-home"
    child_env = {**os.environ, **(env or {})}
    run_child([sys.executable, __file__, "--migrate", str(home)], child_env)
    _, memory, out = run_sampled([sys.executable, __file__, "--worker", str(maildir), str(home)], child_env)
    inner = json.loads(out.strip().splitlines()[-1])
    lat = inner["latencies"]
    return {"tool": tool, "size": count, "msg_s": round(count / inner["ingest_s"], 1),
            "peak_mb": round(memory.peak_kb / 1024, 1), "peak_anon_mb": round(memory.peak_anon_kb / 1024, 1),
            "peak_by_kind_mb": {k: round(v / 1024, 1) for k, v in memory.peak_by_kind_kb.items()},
            "index_mb": round(inner["db_mb"] if inner["db_mb"] is not None else dir_mb(home / "index"), 1),
            "vault_mb": round(dir_mb(home / "vault"), 1),
            "search_p50_ms": round(statistics.median(lat), 2), "search_p95_ms": round(percentile(lat, 0.95), 2),
            "_imported": inner["imported"], "_quarantined": inner["quarantined"], "_totals": inner["totals"]}


def bench_notmuch(maildir: Path, work: Path, count: int) -> dict[str, Any] | None:
    if shutil.which("notmuch") is None:
        return None
    config = work / "notmuch-config"
    config.write_text(f"[database]\npath={maildir}\n[new]\ntags=unread;inbox;\n[search]\nexclude_tags=\n"
                      f"[maildir]\nsynchronize_flags=false\n")
    env = {**os.environ, "NOTMUCH_CONFIG": str(config)}
    seconds, rss, _ = run_child(["notmuch", "new", "--quiet"], env)
    latencies: list[float] = []
    for timed in range(PASSES + 1):
        for _, query, extra in QUERIES:
            cmd = ["notmuch", "search", "--limit=20", "--output=summary"]
            if "offset" in extra:
                cmd.append(f"--offset={extra['offset']}")
            t0 = time.perf_counter()
            subprocess.run([*cmd, query], env=env, capture_output=True, check=False)
            if timed:
                latencies.append((time.perf_counter() - t0) * 1000)
    return {"tool": "notmuch", "size": count, "msg_s": round(count / seconds, 1), "peak_mb": round(rss, 1),
            "index_mb": round(dir_mb(maildir / ".notmuch"), 1), "vault_mb": None,
            "search_p50_ms": round(statistics.median(latencies), 2),
            "search_p95_ms": round(percentile(latencies, 0.95), 2)}


def bench_mu(maildir: Path, work: Path, count: int) -> dict[str, Any] | None:
    if shutil.which("mu") is None:
        return None
    muhome = work / "mu-home"
    subprocess.run(["mu", "init", f"--maildir={maildir}", f"--muhome={muhome}"], check=True, capture_output=True)
    seconds, rss, _ = run_child(["mu", "index", f"--muhome={muhome}", "--quiet"])
    return {"tool": "mu", "size": count, "msg_s": round(count / seconds, 1), "peak_mb": round(rss, 1),
            "index_mb": round(dir_mb(muhome), 1), "vault_mb": None, "search_p50_ms": None, "search_p95_ms": None}


# --- report --------------------------------------------------------------------------

def targets(results: list[dict[str, Any]]) -> list[str]:
    """The scale issue's targets, each with its measured figures and whether it is met."""
    kustos = {r["size"]: r for r in results if r["tool"] == "kustos"}
    out: list[str] = []

    def line(ok: bool, text: str) -> None:
        out.append(f"{'MET   ' if ok else 'MISSED'} {text}")

    sizes = sorted(kustos)
    if len(sizes) > 1:
        small, large = kustos[sizes[0]], kustos[sizes[-1]]
        ratio = large["msg_s"] / small["msg_s"]
        line(ratio >= 0.8, f"ingest rate at {sizes[-1]} within 20 % of {sizes[0]}: {large['msg_s']} vs "
                           f"{small['msg_s']} msg/s ({ratio:.2f}x)")
        peaks = [kustos[s]["peak_mb"] for s in sizes]
        line(max(peaks) <= 300 and max(peaks) <= 1.2 * min(peaks),
             f"peak memory flat and <= 300 MB: {', '.join(f'{p} MB' for p in peaks)}")
    for size in sizes:
        if size >= 1_000_000:
            line(kustos[size]["search_p95_ms"] <= 50, f"tantivy search p95 <= 50 ms at {size}: "
                                                      f"{kustos[size]['search_p95_ms']} ms")
    for anchor in (r for r in results if r["tool"] == "notmuch"):
        mine = kustos.get(anchor["size"])
        if mine:
            line(mine["search_p95_ms"] <= anchor["search_p95_ms"],
                 f"search p95 <= notmuch at {anchor['size']}: {mine['search_p95_ms']} vs {anchor['search_p95_ms']} ms")
    for anchor in (r for r in results if r["tool"] == "mu"):
        mine = kustos.get(anchor["size"])
        if mine:
            line(mine["msg_s"] >= 1.5 * anchor["msg_s"],
                 f"ingest >= 1.5x mu at {anchor['size']}: {mine['msg_s']} vs {anchor['msg_s']} msg/s "
                 f"({mine['msg_s'] / anchor['msg_s']:.2f}x)")
    for pg in (r for r in results if r["tool"] == "kustos-postgres"):
        line(pg["search_p95_ms"] <= 200, f"PostgreSQL search p95 <= 200 ms at {pg['size']}: {pg['search_p95_ms']} ms")
    return out


def print_table(results: list[dict[str, Any]]) -> None:
    cols = ["size", "tool", "msg_s", "peak_mb", "peak_anon_mb", "index_mb", "vault_mb", "search_p50_ms", "search_p95_ms"]
    print("  ".join(f"{c:>15}" for c in cols), file=sys.stderr)
    for r in results:
        print("  ".join(f"{'-' if r.get(c) is None else r[c]!s:>15}" for c in cols), file=sys.stderr)


def run_size(size: int, pool: scale_corpus.Pool, work: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    sized = work / str(size)
    maildir = sized / "maildir"
    t0 = time.perf_counter()
    count, raw = scale_corpus.write_maildir(maildir, scale_corpus.Generator(pool, seed=args.seed).messages(size))
    print(f"{size}: generated {count} messages, {raw / 1e6:.0f} MB in {time.perf_counter() - t0:.0f} s",
          file=sys.stderr)
    results: list[dict[str, Any]] = []
    if size == args.anchors_at:  # the anchors first: Kustos gets no page cache they paid for
        results += [r for r in (bench_notmuch(maildir, sized, count), bench_mu(maildir, sized, count)) if r]
    results.append(bench_kustos(maildir, sized, count))
    if size == args.pg_at and args.pg_dsn:
        results.append(bench_kustos(maildir, sized, count, {"KUSTOS_DATABASE_URL": args.pg_dsn,
                                                             "KUSTOS_SEARCH_BACKEND": "postgres"},
                                    tool="kustos-postgres"))
    for r in results:
        if r["tool"].startswith("kustos") and r["_imported"] != count:
            raise SystemExit(f"{r['tool']} imported {r['_imported']} of {count} messages "
                             f"({r['_quarantined']} quarantined)")
    if not args.keep:
        shutil.rmtree(sized, ignore_errors=True)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000", help="comma-separated message counts (default 10000)")
    parser.add_argument("--anchors-at", type=int, default=100_000, help="size at which notmuch and mu run")
    parser.add_argument("--pg-at", type=int, default=100_000, help="size at which Kustos runs on PostgreSQL")
    parser.add_argument("--pg-dsn", default=os.environ.get("KUSTOS_BENCH_PG_DSN", ""),
                        help="an empty PostgreSQL database for the PostgreSQL run")
    parser.add_argument("--seed", type=int, default=1)
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
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="kustos-bench-scale-"))
    try:
        pool = scale_corpus.load_pool()
        results: list[dict[str, Any]] = []
        for size in sizes:
            results += run_size(size, pool, work, args)
            print_table(results)
        checks = targets(results)
        for check in checks:
            print(check, file=sys.stderr)
        print(json.dumps({"results": [{k: v for k, v in r.items() if not k.startswith("_")} for r in results],
                          "targets": checks}))
    finally:
        if not args.keep and args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
