"""The compact in-memory pack index: exact round trip, id lookups, preference between copies,
and its size per object (the Python-object index cost ~850 bytes per object)."""

from __future__ import annotations

import hashlib
import json
import tracemalloc

import zstandard

from kustos.vault import crypto
from kustos.vault.index import BACKUP, BLOB, CHUNK, TREE, Entry, IndexCache, row
from kustos.vault.packed import (
    Blocks,
    EntryMap,
    Rows,
    decode_files,
    encode_files,
    is_packed_cache,
    max_seq,
    pack_rows,
)


def _id(i: int, salt: str = "id") -> str:
    return hashlib.sha256(f"{salt}{i}".encode()).hexdigest()


def _entry(i: int, **kw) -> Entry:
    base = dict(id=_id(i), type=BLOB, pack=f"packs/2030/{i // 1000:04d}", offset=i * 917, length=900 + i % 50,
                size=4000 + i, method="d3", kind="mail", year=2030, seq=i + 1, sha256=_id(i, "sha"),
                time=1_700_000_000.25 + i, meta=None)
    base.update(kw)
    return Entry(**base)


def test_rows_give_back_exactly_the_entries_packed():
    entries = [
        _entry(1),
        _entry(2, meta={"archive_id": "ms_abc", "n": [1, 2]}),
        _entry(3, type=CHUNK, kind="chunk", sha256="", seq=0, year=None, method="z"),
        _entry(4, type=TREE, size=10 ** 12, year=None, group=BACKUP, pack="packs/backup/x"),
        _entry(5, year=1970, offset=2 ** 40),
    ]
    rows = Rows(entries)
    assert list(rows) == entries
    assert [rows[i] for i in range(len(rows))] == entries
    assert rows[-1] == entries[-1] and rows[1:3] == entries[1:3]
    assert rows.id_at(3) == entries[3].id
    assert rows[1].meta == {"archive_id": "ms_abc", "n": [1, 2]} and rows[2].sha256 == "" and rows[3].group == BACKUP
    assert max_seq(rows) == 6 and max_seq(entries) == 6
    assert rows.nbytes() < 130 * len(entries)


def test_entries_that_cannot_be_packed_exactly_stay_a_list():
    odd = [_entry(1), _entry(2, id="not-a-hex-id")]
    assert pack_rows(odd) is odd
    upper = [_entry(1, id=_id(1).upper())]
    assert pack_rows(upper) is upper
    negative = [_entry(1, offset=-1)]
    assert pack_rows(negative) is negative
    whole_seconds = [_entry(1, time=1_700_000_000)]  # an int time would come back as a float
    assert pack_rows(whole_seconds) is whole_seconds


def test_entry_map_finds_every_id_and_prefers_the_longest_kept_archive_copy():
    blocks = Blocks()
    objects = EntryMap(blocks)
    first = Rows([_entry(i) for i in range(3000)])
    start = blocks.add(first)
    for i, e in enumerate(first):
        objects.place(start + i, e)
    # a plain (unpackable) block mixed in, plus second copies of ids 0..9: kept longer (keep),
    # kept shorter (2025), and a backup copy (never preferred over an archive copy)
    odd = [_entry(9000, id="odd-id")]
    again = Rows([_entry(i, year=None, pack="packs/keep/a") for i in range(5)]
                 + [_entry(i, year=2025, pack="packs/2025/a") for i in range(5, 10)])
    backup = Rows([_entry(i, year=None, group=BACKUP, pack="packs/backup/a") for i in range(10, 15)])
    for block in (odd, again, backup):
        start = blocks.add(block)
        for i, e in enumerate(block):
            objects.place(start + i, e)
    assert len(objects) == 3001
    for i in range(3000):
        assert objects[_id(i)].id == _id(i)
    assert [objects[_id(i)].pack for i in (0, 4, 5, 9, 10, 14, 15)] == [
        "packs/keep/a", "packs/keep/a", "packs/2030/0000", "packs/2030/0000", "packs/2030/0000", "packs/2030/0000",
        "packs/2030/0000"]
    assert objects.get("odd-id") == odd[0] and "odd-id" in objects
    assert objects.get(_id(5000)) is None and _id(5000) not in objects
    assert set(objects.keys()) == {_id(i) for i in range(3000)} | {"odd-id"}
    assert {e.id for e in objects.values()} == set(objects)
    assert dict(objects.items())[_id(7)].seq == 8


def test_the_index_costs_a_bounded_number_of_bytes_per_object():
    n = 20_000
    entries = [_entry(i, pack=f"packs/2030/{i // 400:04d}") for i in range(n)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        blocks = Blocks()
        objects, chunks = EntryMap(blocks), EntryMap(blocks)
        for k in range(0, n, 500):  # one index file per commit of 500 objects
            rows = Rows(entries[k:k + 500])
            start = blocks.add(rows)
            for i, e in enumerate(entries[k:k + 500]):
                (chunks if e.type == CHUNK else objects).place(start + i, e)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(objects) == n and objects[_id(n - 1)] == entries[-1]
    per_object = held / n
    assert per_object < 150, per_object  # ~123 B of packed row + the id table; was ~850 B


def test_the_local_cache_stores_packed_rows_and_reads_them_back_exactly(tmp_path):
    files = {"customers/acme/index/2030/1": Rows([_entry(i) for i in range(50)]),
             "customers/acme/index/keep/2": [_entry(1, id="odd-id", year=None)],  # unpackable: plain rows
             "customers/acme/index/backup/3": Rows([_entry(i, group=BACKUP, year=None, meta={"p": i})
                                                     for i in range(60, 70)])}
    raw = encode_files(files)
    assert is_packed_cache(raw)
    back = decode_files(raw)
    assert {n: list(es) for n, es in back.items()} == {n: list(es) for n, es in files.items()}
    assert isinstance(back["customers/acme/index/2030/1"], Rows) and max_seq(back["customers/acme/index/2030/1"]) == 50
    cache = IndexCache(tmp_path)
    key = bytes(range(32))
    cache.write("acme", key, files)
    assert {n: list(es) for n, es in cache.read("acme", key).items()} == {n: list(es) for n, es in files.items()}
    path = tmp_path / "acme.idx"
    path.write_bytes(path.read_bytes()[:-5])  # damaged: rebuilt from the vault, never trusted
    assert cache.read("acme", key) == {}


def test_a_cache_written_by_an_older_version_is_still_read(tmp_path):
    key = bytes(range(32))
    files = {"customers/acme/index/2030/1": [_entry(i) for i in range(5)],
             "customers/acme/index/keep/2": [_entry(9, year=None, meta={"a": 1})]}
    old = json.dumps({n: [row(e) for e in es] for n, es in files.items()}, separators=(",", ":")).encode()
    (tmp_path / "acme.idx").write_bytes(crypto.seal(key, zstandard.compress(old, 1), crypto.aad("cache", "acme")))
    back = IndexCache(tmp_path).read("acme", key)
    assert {n: list(es) for n, es in back.items()} == files
