"""Facet, count and ranking cost on a large generated index (tantivy or PostgreSQL).

    python -m kustos.search.bench.facets [--docs 200000] [--backend tantivy|postgres] [--dsn DSN]

Generates ``--docs`` synthetic documents for one customer (deterministic: words of a fixed
German/English vocabulary with Zipf-like frequencies, 50 mailboxes with 6 folders each,
400 sender domains, ten years of dates, 8 % with attachments), indexes them in bulk mode and
times each query ``--rounds`` times in four ways: the page alone (sort=date), the page plus
facets and count (what the search page asks), best-match order, best order plus facets. The
last line is one JSON object with the medians (ms).
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kustos.search.backends.postgres_index import PostgresIndex
from kustos.search.backends.tantivy_index import TantivyIndex
from kustos.search.base import SearchIndex
from kustos.search.document import Document
from kustos.search.types import SearchRequest

CUSTOMER = "bench"
WORDS = (
    "rechnung angebot lieferung termin projekt vertrag zahlung mahnung bestellung auftrag kunde "
    "lieferant besprechung protokoll bericht quartal umsatz steuer beleg gutschrift invoice meeting "
    "report order delivery payment contract schedule review budget forecast offer quote travel "
    "urlaub krankmeldung heizung wartung server backup netzwerk drucker lizenz update sicherheit "
    "müller schmidt weber hamburg berlin münchen köln frankfurt stuttgart leipzig dresden"
).split() + [f"begriff{k}" for k in range(5000)]
QUERIES = ["*", "rechnung", "angebot lieferung", "dresden", '"rechnung angebot"', "has:attachment",
           "rech*", "date:2020..2022"]


def documents(n: int, seed: int = 7) -> Iterator[Document]:
    rng = random.Random(seed)
    cumulative = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(WORDS))))
    mailboxes = [f"user{i}@bench.example" for i in range(50)]
    folders = ["INBOX", "Sent", "Archiv", "Projekte", "Projekte/2024", "Steuer"]
    domains = [f"firma{i}.example" for i in range(400)]
    start = datetime(2016, 1, 1, tzinfo=UTC)
    for i in range(n):
        box = mailboxes[rng.randrange(len(mailboxes))]
        domain = domains[min(int(rng.paretovariate(1.2)) - 1, len(domains) - 1)]
        words = rng.choices(WORDS, cum_weights=cumulative, k=40)
        attached = rng.random() < 0.08
        yield Document(
            id=f"m{i:08d}", customer=CUSTOMER, date=start + timedelta(minutes=rng.randrange(10 * 525_600)),
            mailboxes=[box], folders=[f"{box}/{rng.choice(folders)}"],
            from_=f"Absender <a{i % 997}@{domain}>", from_addr=[f"a{i % 997}@{domain}"], to=[box],
            subject=" ".join(words[:5]), body=" ".join(words[5:]) + f" zeile{i}",
            attachment_names=["beleg.pdf"] if attached else [], has_attachment=attached,
            size=2_000 + rng.randrange(100_000), sender_domain=domain, seq=i + 1,
        )


def _median_ms(index: SearchIndex, request: SearchRequest, rounds: int) -> float:
    index.search(request)  # warm-up
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        index.search(request)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def measure(index: SearchIndex, rounds: int) -> dict[str, dict[str, float | int]]:
    out: dict[str, dict[str, float | int]] = {}
    for query in QUERIES:
        row: dict[str, float | int] = {}
        for label, sort, with_facets in (("page", "date", False), ("page+facets", "date", True),
                                         ("best", "best", False), ("best+facets", "best", True)):
            request = SearchRequest(query, CUSTOMER, limit=25, sort=sort, facets=with_facets)  # type: ignore[arg-type]
            row[label] = _median_ms(index, request, rounds)
        result = index.search(SearchRequest(query, CUSTOMER, limit=0, facets=True))
        facets = result.facets
        row["total"] = result.total
        row["facet_values"] = 0 if facets is None else (
            len(facets.mailbox) + len(facets.folder) + len(facets.year) + len(facets.sender_domain) + 1)
        out[query] = row
    return out


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docs", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backend", choices=["tantivy", "postgres"], default="tantivy")
    parser.add_argument("--dsn", default="")
    parser.add_argument("--dir", type=Path, default=None, help="index directory (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        index: SearchIndex
        if args.backend == "postgres":
            if not args.dsn:
                parser.error("--dsn is required for --backend postgres")
            pg = PostgresIndex(args.dsn)
            pg.ensure_schema()
            index = pg
        else:
            index = TantivyIndex(args.dir or Path(tmp), threads=1)
        started = time.perf_counter()
        with index.bulk():
            index.add(documents(args.docs))
        indexed = time.perf_counter() - started
        if isinstance(index, PostgresIndex):
            index.maintain()
        report = {"backend": args.backend, "docs": args.docs, "index_s": round(indexed, 1),
                  "queries_ms": measure(index, args.rounds)}
        index.close()
    for query, row in report["queries_ms"].items():  # type: ignore[union-attr]
        print(f"{query:24} {row}")
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
