"""Open tantivy indexes are bounded: a process that writes and searches 200 customers with a cap of 16
keeps its file descriptors flat, frees the writer locks of evicted customers, and still finds every
customer's mail after its index was closed."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from kustos.config import load_settings
from kustos.search import Document, SearchRequest, TantivyIndex
from kustos.search.factory import open_index

CUSTOMERS = 200
CAP = 16


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def _rss_mb() -> int:
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) // 1024 for line in fh if line.startswith("VmRSS"))


def _doc(customer: str, n: int) -> Document:
    return Document(id=f"m{n}", customer=customer, date=datetime(2024, 1, 1, tzinfo=UTC),
                    subject=f"Rechnung {n}", body=f"Lieferung nummer{n} an Kunde {customer}")


def test_two_hundred_customers_with_a_cap_of_sixteen_keep_file_descriptors_flat(tmp_path: Path) -> None:
    index = TantivyIndex(tmp_path, heap_bytes=15_000_000, lock_timeout=0.3, open_indexes=CAP)
    customers = [f"cu{n:03d}" for n in range(CUSTOMERS)]
    before = _fds()
    peak_at_cap = 0
    peak = 0
    settled: tuple[int, int] = (0, 0)  # RSS and threads once twice the cap was opened
    for n, customer in enumerate(customers):
        index.add([_doc(customer, n)])
        index.commit()
        assert index.search(SearchRequest(f"nummer{n}", customer)).total == 1
        peak = max(peak, _fds())
        if n == CAP - 1:
            peak_at_cap = peak
        if n == 2 * CAP - 1:
            settled = (_rss_mb(), _threads())
    assert len(index._indexes) == CAP and len(index._writers) <= CAP
    # 200 customers need no more descriptors than the first 16 did (plus a little for segment merges)
    assert peak - before <= (peak_at_cap - before) + 16, (before, peak_at_cap, peak)
    # memory and threads stay flat from 32 to 200 customers (without the cap: +500 MB, +1,200 threads)
    assert _rss_mb() - settled[0] < 64 and _threads() - settled[1] <= 40, (settled, _rss_mb(), _threads())
    # evicted customers are searchable again (reopened, least recently used closed instead)
    for n, customer in enumerate(customers[:40]):
        result = index.search(SearchRequest(f"nummer{n}", customer))
        assert result.total == 1 and result.hits[0].id == f"m{n}"
        peak = max(peak, _fds())
    assert peak - before <= (peak_at_cap - before) + 16
    # an evicted customer's writer lock is free: a second instance (another process) writes it at once
    other = TantivyIndex(tmp_path, heap_bytes=15_000_000, lock_timeout=0.3)
    other.add([_doc(customers[100], 1000)])
    other.commit()
    other.close()
    assert index.search(SearchRequest("nummer1000", customers[100])).total == 1
    index.close()
    assert _fds() <= before + 2


def test_uncommitted_writes_are_never_evicted(tmp_path: Path) -> None:
    index = TantivyIndex(tmp_path, heap_bytes=15_000_000, lock_timeout=0.3, open_indexes=2)
    index.add([_doc(f"cu{n}", n) for n in range(5)])  # five customers dirty at once: all stay open
    assert len(index._indexes) == 5
    index.commit()  # committed, then trimmed to the cap
    assert len(index._indexes) == 2
    assert [index.count(f"cu{n}") for n in range(5)] == [1] * 5


def test_the_cap_comes_from_the_settings(tmp_path: Path) -> None:
    settings = load_settings({"KUSTOS_HOME": str(tmp_path), "KUSTOS_SEARCH_OPEN_INDEXES": "7",
                              "KUSTOS_SEARCH_BACKEND": "tantivy"})
    index = open_index(settings)
    assert isinstance(index, TantivyIndex) and index.open_indexes == 7
    assert load_settings({"KUSTOS_HOME": str(tmp_path)}).search_open_indexes == 64
