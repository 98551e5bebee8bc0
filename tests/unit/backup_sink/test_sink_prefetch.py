"""The backup sink downloads several contents at once ahead of the vault writer (bounded, in
order), reports a failing download per item, and an incremental run looks up only the changed
items' own paths in the parent snapshot instead of indexing the whole account."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from kustos.backup.prefetch import Prefetcher
from kustos.backup.sink import VaultBackupSink
from kustos.sources.base import Batch, ConnectorError, Item, Scope
from tests.unit.vault.vault_helpers import make_vault

SCOPE = Scope(id="onedrive:u1", kind="drive")


class Downloads:
    """Content streams that take a little while and count how many run at the same time."""

    def __init__(self, delay: float = 0.05) -> None:
        self.delay = delay
        self.lock = threading.Lock()
        self.active = 0
        self.most = 0
        self.opened: list[str] = []

    def stream(self, name: str, content: bytes, fail: bool = False) -> Iterator[bytes]:
        with self.lock:
            self.active += 1
            self.most = max(self.most, self.active)
            self.opened.append(name)
        try:
            time.sleep(self.delay)
            half = len(content) // 2
            yield content[:half]
            if fail:
                raise ConnectorError("the download of a file answered HTTP 500")
            yield content[half:]
        finally:
            with self.lock:
                self.active -= 1


def content(i: int, rev: int = 0) -> bytes:
    return hashlib.sha256(f"{i}/{rev}".encode()).digest() * (40 + i % 7)


def item(downloads: Downloads, i: int, rev: int = 0, fail: bool = False) -> Item:
    data = content(i, rev)
    name = f"file-{i:03d}.bin"
    return Item(source_id=f"id{i}", kind="file", folder=f"dir{i % 3}",
                meta={"name": name, "cTag": f"c{i}.{rev}", "size": len(data)},
                stream=lambda: downloads.stream(name, data, fail))


def snapshot_files(store, sid: str) -> dict[str, str]:
    return {path: entry.sha256 for path, entry in store.snapshots.walk(sid, "onedrive:u1") if entry.kind == "file"}


def test_downloads_run_several_at_once_and_the_snapshot_keeps_every_file(tmp_path: Path) -> None:
    store = make_vault(tmp_path / "home").store("c1")
    downloads = Downloads()
    sink = VaultBackupSink(store, None, {}, downloads=4)
    items = [item(downloads, i) for i in range(24)]
    started = time.monotonic()
    sink.write(SCOPE, Batch(items[:12], {"link": "a"}))
    sink.write(SCOPE, Batch(items[12:], {"link": "b"}))
    sink.finish()
    elapsed = time.monotonic() - started
    assert sink.failed == []
    assert downloads.most >= 3, f"at most {downloads.most} download(s) at once"
    assert 2 <= downloads.most <= 4  # bounded by the sink's download count
    assert elapsed < 24 * 0.05  # one at a time would take 1.2 s of waiting alone
    files = snapshot_files(store, sink.snapshot)
    assert files == {f"dir{i % 3}/file-{i:03d}.bin": hashlib.sha256(content(i)).hexdigest() for i in range(24)}


def test_a_failing_download_is_listed_and_the_other_files_are_stored(tmp_path: Path) -> None:
    store = make_vault(tmp_path / "home").store("c1")
    downloads = Downloads(delay=0.01)
    sink = VaultBackupSink(store, None, {}, downloads=4)
    items = [item(downloads, i, fail=(i == 5)) for i in range(10)]
    sink.write(SCOPE, Batch(items, {"link": "a"}))
    cursors = sink.finish()
    assert [(f["source_id"], f["path"]) for f in sink.failed] == [("id5", "dir2/file-005.bin")]
    assert "HTTP 500" in sink.failed[0]["error"]
    assert cursors == []  # the scope with a failed item is fetched again next time
    files = snapshot_files(store, sink.snapshot)
    assert sorted(files) == sorted(f"dir{i % 3}/file-{i:03d}.bin" for i in range(10) if i != 5)


def test_an_incremental_run_reads_only_the_changed_paths_of_the_parent(tmp_path: Path) -> None:
    store = make_vault(tmp_path / "home").store("c1")
    downloads = Downloads(delay=0)
    first = VaultBackupSink(store, None, {})
    first.write(SCOPE, Batch([item(downloads, i) for i in range(300)], {"link": "a"}))
    first.finish()

    walked: list[str] = []
    real_walk = store.snapshots.walk

    def counting_walk(*args, **kwargs):
        for path, entry in real_walk(*args, **kwargs):
            walked.append(path)
            yield path, entry

    store.snapshots.walk = counting_walk
    downloads.opened.clear()
    second = VaultBackupSink(store, first.snapshot, {})
    changed = [item(downloads, i, rev=1) for i in (7, 150, 299)]
    same = item(downloads, 42)  # reported again by the delta with the same cTag: referenced
    second.write(SCOPE, Batch([*changed, same], {"link": "b"}))
    second.finish()
    assert walked == []  # the parent account (300 items) was not indexed
    assert sorted(downloads.opened) == ["file-007.bin", "file-150.bin", "file-299.bin"]
    assert second.counts == {"stored": 3, "unchanged": 1, "removed": 0}
    store.snapshots.walk = real_walk
    files = snapshot_files(store, second.snapshot)
    assert len(files) == 300
    assert files["dir1/file-007.bin"] == hashlib.sha256(content(7, 1)).hexdigest()
    assert files["dir0/file-006.bin"] == hashlib.sha256(content(6)).hexdigest()


def test_a_large_download_is_held_back_by_its_bounded_queue() -> None:
    produced: list[int] = []

    def opener() -> Iterator[bytes]:
        for n in range(100):
            produced.append(n)
            yield b"x" * 1024

    prefetcher = Prefetcher(workers=2, window=2, chunks=3)
    pending = prefetcher.start(opener)
    time.sleep(0.3)
    assert len(produced) <= 4  # three queued plus the one waiting for room
    pieces = list(pending.chunks())
    assert len(pieces) == 100 and len(produced) == 100
    prefetcher.close()


def test_an_abandoned_download_is_stopped() -> None:
    closed = threading.Event()

    def opener() -> Iterator[bytes]:
        try:
            while True:
                yield b"y" * 1024
        finally:
            closed.set()

    prefetcher = Prefetcher(workers=1, window=1, chunks=2)
    pending = prefetcher.start(opener)
    chunks = pending.chunks()
    assert next(chunks) == b"y" * 1024
    chunks.close()  # the writer gave up on the item (e.g. the vault refused it)
    assert closed.wait(5), "the download kept running"
    prefetcher.close()


def test_an_item_not_started_ahead_frees_the_slots_first_and_the_rest_starts_again() -> None:
    """When the writer needs an item it did not download ahead, every download ahead is stopped (their
    concurrency slots are free for the writer's own request) and started again after that item."""
    opened: list[str] = []
    closed: list[str] = []

    def opener(name: str, pieces: int = 1) -> Iterator[bytes]:
        def stream() -> Iterator[bytes]:
            opened.append(name)
            try:
                for _ in range(pieces):
                    yield name.encode()
            finally:
                closed.append(name)
        return stream

    prefetcher = Prefetcher(workers=2, window=2, chunks=1)
    ahead = prefetcher.ahead([opener("a"), None, opener("c", pieces=50)])
    ahead.advance(0)
    assert b"".join(ahead.content(0, opener("a"))) == b"a"
    ahead.advance(1)  # "c" is under way (held back by its one-piece queue)
    deadline = time.monotonic() + 5
    while "c" not in opened and time.monotonic() < deadline:
        time.sleep(0.01)
    assert b"".join(ahead.content(1, opener("b"))) == b"b"  # read here, after "c" was stopped
    deadline = time.monotonic() + 5
    while "c" not in closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "c" in closed
    ahead.advance(2)
    assert b"".join(ahead.content(2, opener("c", pieces=50))) == b"c" * 50
    assert opened.count("c") == 2
    ahead.close()
    prefetcher.close()


def test_a_vault_error_mid_item_stops_its_download_and_the_run_can_be_aborted(tmp_path: Path) -> None:
    """An error that is not the item's (the vault refusing a write) ends the batch while the item's
    content is half read: its download is stopped, so aborting the run does not wait for it."""
    store = make_vault(tmp_path / "home").store("c1")
    stopped = threading.Event()

    def endless() -> Iterator[bytes]:
        try:
            while True:
                yield b"z" * 65536
        finally:
            stopped.set()

    sink = VaultBackupSink(store, None, {}, downloads=2)
    calls = {"n": 0}
    real_put = store.put

    def failing_put(data, *args, **kwargs):
        calls["n"] += 1
        data.read(100_000)  # part of the content, then the vault gives up
        raise RuntimeError("the vault backend is gone")

    store.put = failing_put
    items = [Item(source_id="big", kind="file", meta={"name": "big.bin", "cTag": "c"}, stream=endless)]
    try:
        sink.write(SCOPE, Batch(items, {"link": "a"}))
    except RuntimeError as exc:
        error = exc  # the traceback keeps the half-read content alive while the run is aborted
        assert stopped.wait(5), "the download of the abandoned item kept running"
        finished = threading.Event()
        threading.Thread(target=lambda: (sink.abort(str(error)), finished.set()), daemon=True).start()
        assert finished.wait(5), "aborting the run waited for a download nobody reads"
    else:
        raise AssertionError("the vault error was swallowed")
    finally:
        store.put = real_put
    assert calls["n"] == 1
