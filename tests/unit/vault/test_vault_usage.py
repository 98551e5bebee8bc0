"""Stored bytes from index files: each blob location once, even while prune compacts index files."""

from __future__ import annotations

from kustos.vault import index as idx
from kustos.vault.entry import Entry
from kustos.vault.packed import BACKUP_GROUP
from kustos.vault.packs import MAGIC
from kustos.vault.usage import UsageCounter


def entry(pack: str, offset: int, length: int) -> Entry:
    return Entry(f"{pack}{offset}".ljust(64, "0")[:64], "b", pack, offset, length, length * 3, "z", "message",
                 None, 1, "", 0.0, None)


ARCHIVE_A, ARCHIVE_B, BACKUP = "packs/keep/a", "packs/2034/b", "packs/backup/c"


def test_each_location_counts_once_per_pool_with_the_pack_header():
    files = {"i1": [entry(ARCHIVE_A, 8, 100), entry(ARCHIVE_A, 108, 50)],
             "i2": [entry(ARCHIVE_B, 8, 70), entry(BACKUP, 8, 30)]}
    usage = UsageCounter().stored(files)
    assert usage == {"archive": 220 + 2 * len(MAGIC), "backup": 30 + len(MAGIC), "packs": 3}


def test_a_pack_listed_by_an_old_and_a_compacted_index_file_is_not_counted_twice():
    old = [entry(ARCHIVE_A, 8, 100), entry(ARCHIVE_A, 108, 50)]
    compacted = [entry(ARCHIVE_A, 8, 100), entry(ARCHIVE_A, 108, 50), entry(ARCHIVE_B, 8, 70)]
    counter = UsageCounter()
    both = counter.stored({"old": old, "new": compacted})
    assert both == {"archive": 220 + 2 * len(MAGIC), "backup": 0, "packs": 2}
    assert counter.stored({"new": compacted}) == both  # the old file deleted: same figures


def test_sums_follow_the_files_as_they_come_and_go():
    counter = UsageCounter()
    assert counter.stored({"i1": [entry(ARCHIVE_A, 8, 10)]})["archive"] == 10 + len(MAGIC)
    grown = counter.stored({"i1": [entry(ARCHIVE_A, 8, 10)], "i2": [entry(ARCHIVE_B, 8, 5)]})
    assert grown["archive"] == 15 + 2 * len(MAGIC) and grown["packs"] == 2
    assert counter.stored({"i2": [entry(ARCHIVE_B, 8, 5)]}) == {"archive": 5 + len(MAGIC), "backup": 0, "packs": 1}


def test_the_id_table_keeps_raw_bytes_and_backup_count_as_entries_are_placed(vault):
    assert BACKUP_GROUP == idx.BACKUP
    store = vault.store("cust1")
    for n in range(30):
        store.put(f"message {n} ".encode() * (n + 1), kind="message")
    store.put(b"backup object", kind="file", pool=idx.BACKUP)
    store.commit()
    objects = list(store._objects.values())
    usage = store.usage()
    assert usage["raw_bytes"] == sum(e.size for e in objects) > 0
    assert usage["backup_objects"] == sum(e.group == idx.BACKUP for e in objects) == 1
