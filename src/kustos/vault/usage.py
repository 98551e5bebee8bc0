"""A customer store's usage from its index files, in memory bounded by the number of packs.

Stored bytes count each blob location (pack, offset) once. One index file lists each location
at most once, and a location appears in two files only in the window where prune has stored a
compacted index file and not yet deleted the old one. So lengths are summed per file and pack,
kept per (immutable) index file once computed, and only packs listed by several files are
de-duplicated by offset (before, every entry of the archive was put in one dict: ~300 MB at a
million objects, at the end of every ingest run).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from kustos.vault import index as idx
from kustos.vault.entry import Entry
from kustos.vault.packs import MAGIC

PackSums = dict[str, int]  # pack -> summed blob lengths in one index file


def pack_sums(rows: Iterable[Entry]) -> PackSums:
    sums: PackSums = defaultdict(int)
    for e in rows:
        sums[e.pack] += e.length
    return dict(sums)


class UsageCounter:
    def __init__(self) -> None:
        self._sums: dict[str, PackSums] = {}  # index file name -> its per-pack sums

    def stored(self, files: Mapping[str, Sequence[Entry]]) -> dict[str, Any]:
        """Stored pack bytes (archive / backup) and the number of packs of ``files``."""
        for gone in self._sums.keys() - files.keys():
            del self._sums[gone]
        holders: dict[str, list[str]] = defaultdict(list)
        for name, rows in files.items():
            sums = self._sums.get(name)
            if sums is None:
                sums = self._sums[name] = pack_sums(rows)
            for pack in sums:
                holders[pack].append(name)
        stored = {"archive": 0, "backup": 0}
        for pack, names in holders.items():
            if len(names) == 1:
                length = self._sums[names[0]][pack]
            else:  # listed by several files (a prune compaction in progress): count each offset once
                seen: dict[int, int] = {}
                for name in names:
                    seen.update((e.offset, e.length) for e in files[name] if e.pack == pack)
                length = sum(seen.values())
            pool = "backup" if pack.startswith(f"packs/{idx.BACKUP}/") else "archive"
            stored[pool] += length + len(MAGIC)
        return {"archive": stored["archive"], "backup": stored["backup"], "packs": len(holders)}
