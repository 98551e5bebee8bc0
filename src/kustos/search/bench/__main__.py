"""Index the bulk corpus and time queries: index msg/s, query p50/p95 (ms).

    python -m kustos.search.bench [--limit N] [--backend tantivy|postgres] [--dsn DSN]

Parsing (compat32, stdlib) is timed separately from indexing. Every query runs once to
warm up and then ``--rounds`` times; latencies are per search() call (parse query,
search, snippets for 20 hits). The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import psycopg

from kustos.search.backends.postgres_index import PostgresIndex
from kustos.search.backends.postgres_schema import TABLE
from kustos.search.backends.tantivy_index import TantivyIndex
from kustos.search.base import SearchIndex
from kustos.search.bench.corpus import raw_messages, to_document
from kustos.search.bench.notmuch import run_notmuch
from kustos.search.bench.queries import BENCH_QUERIES
from kustos.search.document import Document
from kustos.search.types import SearchRequest, SortOrder

CUSTOMER = "bench"
MAILBOX = "archive@bench.example"


def _index(backend: SearchIndex, docs: list[Document], batch: int, bulk: bool) -> float:
    start = time.perf_counter()
    if bulk:
        with backend.bulk():
            backend.add(docs)
    else:
        for i in range(0, len(docs), batch):
            backend.add(docs[i : i + batch])
            backend.commit()
    return time.perf_counter() - start


def _queries(
    backend: SearchIndex, rounds: int, facets: bool, sort: SortOrder
) -> tuple[list[float], dict[str, tuple[int, float]]]:
    latencies: list[float] = []
    per_query: dict[str, tuple[int, float]] = {}
    for query in BENCH_QUERIES:
        request = SearchRequest(query, CUSTOMER, limit=20, facets=facets, sort=sort)
        total = backend.search(request).total
        mine = []
        for _ in range(rounds):
            start = time.perf_counter()
            backend.search(request)
            mine.append((time.perf_counter() - start) * 1000)
        latencies += mine
        per_query[query] = (total, statistics.median(mine))
    return latencies, per_query


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def _table_mb(dsn: str) -> float:
    with psycopg.connect(dsn) as conn:
        found = conn.execute(f"SELECT pg_total_relation_size('{TABLE}')").fetchone()
    return (found[0] if found else 0) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path(os.environ.get("KUSTOS_CORPUS", "../shared/corpus")))
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--backend", choices=["tantivy", "postgres"], default="tantivy")
    parser.add_argument("--dsn", default=os.environ.get("KUSTOS_TEST_DATABASE_URL", ""))
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--facets", action="store_true", help="also compute facets in every query")
    parser.add_argument("--bulk", action="store_true", help="index in bulk mode (one commit)")
    parser.add_argument("--notmuch", action="store_true", help="also run notmuch on the same messages")
    parser.add_argument("--reuse", action="store_true", help="postgres: keep an already complete index")
    parser.add_argument("--sort", choices=["date", "relevance"], default="date")
    args = parser.parse_args()

    raws = list(raw_messages(args.corpus, args.limit))
    start = time.perf_counter()
    docs = [to_document(CUSTOMER, MAILBOX, name, raw, i) for i, (name, raw) in enumerate(raws, 1)]
    parse_s = time.perf_counter() - start

    with tempfile.TemporaryDirectory(prefix="kustos-search-bench-") as tmp:
        backend: SearchIndex
        if args.backend == "tantivy":
            backend = TantivyIndex(Path(tmp))
        else:
            pg = PostgresIndex(args.dsn)
            pg.ensure_schema()
            backend = pg
            if not (args.reuse and pg.count(CUSTOMER) == len(docs)):
                pg.clear(CUSTOMER)
                pg.commit()
        index_s = _index(backend, docs, args.batch, args.bulk) if backend.count(CUSTOMER) != len(docs) else float("nan")
        messages = len(docs)
        # A searching process does not hold 16k parsed messages: drop them so Python's
        # cyclic GC does not stall queries walking them (it did: 30-70 ms pauses).
        del docs
        gc.collect()
        if isinstance(backend, PostgresIndex):
            backend.maintain()  # what autovacuum does soon after a load; timed apart from indexing
        if args.backend == "tantivy":
            # Searches run in another process than indexing (web vs worker): wait for the
            # writer's merges and search through a fresh instance.
            backend.close()
            backend = TantivyIndex(Path(tmp))
        latencies, per_query = _queries(backend, args.rounds, args.facets, args.sort)
        index_mb = _size_mb(Path(tmp)) if args.backend == "tantivy" else _table_mb(args.dsn)
        count = backend.count(CUSTOMER)
        backend.close()

    for query, (total, median) in per_query.items():
        print(f"{total:7d} hits {median:8.2f} ms  {query}")
    figures: dict[str, object] = {
        "backend": args.backend,
        "messages": messages,
        "indexed": count,
        "parse_msg_s": round(messages / parse_s, 1),
        "index_msg_s": round(messages / index_s, 1),
        "index_mb": round(index_mb, 1),
        "queries": len(BENCH_QUERIES),
        "search_p50_ms": round(statistics.median(latencies), 2),
        "search_p95_ms": round(_pct(latencies, 0.95), 2),
        "search_max_ms": round(max(latencies), 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "sort": args.sort,
        "facets": args.facets,
    }
    if args.notmuch:
        with tempfile.TemporaryDirectory(prefix="kustos-notmuch-bench-") as tmp:
            nm_index_s, nm_latencies, nm_counts = run_notmuch([raw for _, raw in raws], Path(tmp), args.rounds)
        for query, total in nm_counts.items():
            print(f"{total:7d} hits (notmuch)  {query}")
        figures["notmuch"] = {
            "index_msg_s": round(len(raws) / nm_index_s, 1),
            "search_p50_ms": round(statistics.median(nm_latencies), 2),
            "search_p95_ms": round(_pct(nm_latencies, 0.95), 2),
        }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
