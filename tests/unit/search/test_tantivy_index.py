"""tantivy-specific behaviour: directories, locking, visibility across instances, dates."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kustos.config import Settings
from kustos.search import Document, IndexBusy, InvalidCustomer, InvalidDocument, SearchRequest, TantivyIndex
from kustos.search.backends.tantivy_index import SchemaMismatch
from kustos.search.factory import open_index


def doc(doc_id: str, customer: str = "c1", **kw: object) -> Document:
    return Document(id=doc_id, customer=customer, date=kw.pop("date", datetime(2024, 1, 1, tzinfo=UTC)), **kw)  # type: ignore[arg-type]


@pytest.fixture
def index(tmp_path: Path) -> TantivyIndex:
    return TantivyIndex(tmp_path, heap_bytes=15_000_000, lock_timeout=0.3)


def test_one_directory_per_customer(index: TantivyIndex, tmp_path: Path) -> None:
    index.add([doc("a", "c1", body="x"), doc("b", "c2", body="x")])
    index.commit()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c1", "c2"]
    assert (index.count("c1"), index.count("c2"), index.count("c3")) == (1, 1, 0)
    index.destroy("c2")
    assert not (tmp_path / "c2").exists() and index.count("c2") == 0


@pytest.mark.parametrize("customer", ["", "../x", "a/b", "..", "x" * 200, ".hidden"])
def test_rejects_unsafe_customer_ids(index: TantivyIndex, customer: str) -> None:
    with pytest.raises(InvalidCustomer):
        index.search(SearchRequest("*", customer or "-"))
    with pytest.raises((InvalidCustomer, InvalidDocument)):
        index.add([doc("a", customer)])


def test_naive_dates_rejected(index: TantivyIndex) -> None:
    with pytest.raises(InvalidDocument, match="timezone-aware"):
        index.add([doc("a", date=datetime(2024, 1, 1))])


def test_out_of_range_dates_are_clamped(index: TantivyIndex) -> None:
    index.add([doc("old", date=datetime(102, 5, 1, tzinfo=UTC), body="x")])
    index.commit()
    facets = index.search(SearchRequest("*", "c1", facets=True)).facets
    assert facets is not None and facets.year == {1678: 1}


def test_second_writer_gets_index_busy_until_first_closes(index: TantivyIndex, tmp_path: Path) -> None:
    other = TantivyIndex(tmp_path, heap_bytes=15_000_000, lock_timeout=0.3)
    index.add([doc("a", body="hello")])
    index.commit()
    with pytest.raises(IndexBusy, match="locked by another writer"):
        other.add([doc("b", body="hello")])
    index.close()
    other.add([doc("b", body="hello")])
    other.commit()
    assert other.count("c1") == 2


def test_release_writer_after_commit_lets_processes_take_turns(tmp_path: Path) -> None:
    one = TantivyIndex(tmp_path, heap_bytes=15_000_000, hold_writer=False)
    two = TantivyIndex(tmp_path, heap_bytes=15_000_000, hold_writer=False, lock_timeout=2)
    for i in range(3):
        one.add([doc(f"one{i}")])
        one.commit()
        two.add([doc(f"two{i}")])
        two.commit()
    assert one.count("c1") == 6


def test_commits_of_another_instance_become_visible(index: TantivyIndex, tmp_path: Path) -> None:
    reader = TantivyIndex(tmp_path)
    index.add([doc("a", body="hello")])
    index.commit()
    assert reader.search(SearchRequest("hello", "c1")).total == 1
    index.add([doc("b", body="hello")])
    index.commit()
    deadline = time.monotonic() + 5
    while reader.search(SearchRequest("hello", "c1")).total != 2:
        assert time.monotonic() < deadline, "reader never saw the second commit"
        time.sleep(0.05)


def test_schema_version_mismatch_asks_for_rebuild(index: TantivyIndex, tmp_path: Path) -> None:
    index.add([doc("a")])
    index.commit()
    index.close()
    (tmp_path / "c1" / "kustos-schema-version").write_text("0")
    with pytest.raises(SchemaMismatch, match="rebuild"):
        TantivyIndex(tmp_path).count("c1")


def test_factory_opens_tantivy_under_home(tmp_path: Path) -> None:
    index = open_index(Settings(home=tmp_path))
    assert isinstance(index, TantivyIndex) and index.base_dir == tmp_path / "index"


def test_threads_share_the_writer(index: TantivyIndex) -> None:
    def write(n: int) -> None:
        index.add([doc(f"t{n}-{i}", body="threaded") for i in range(20)])
        index.commit()

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(8)))
    assert index.count("c1") == 160
    assert index.search(SearchRequest("threaded", "c1", limit=0)).total == 160
