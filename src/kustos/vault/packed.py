"""The in-memory pack index, compact: rows packed in bytes and an id table of row numbers.

As Python objects (a named tuple of strings, ints and a float per entry, in a dict by id) an
index entry cost ~850 bytes, so the index of a million objects alone took ~850 MB. Here:

* :class:`Rows` keeps one index file's entries packed in one ``bytes`` (~123 bytes per entry:
  id and SHA-256 as raw 32 bytes, small strings — pack, method, kind, group — as numbers into
  the file's string table). Iterating or indexing it yields ordinary :class:`Entry` values.
  Entries it cannot pack exactly (ids that are not 64 lowercase hex digits, out-of-range
  numbers) keep the file as a plain list.
* :class:`EntryMap` maps ids to entries as an open-addressing hash table of row numbers in an
  ``array('I')`` (4 bytes per slot, at most half full) over the :class:`Blocks` of rows.

The vault's index files keep their format; the local index cache (``IndexCache``, rebuilt
from the vault whenever it is missing or unreadable) stores these packed rows as they are
(:func:`encode_files`), so opening a customer does not build Python objects per entry.
"""

from __future__ import annotations

import json
import struct
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, overload

from kustos.vault.entry import Entry, preferred

# id, sha256, type, pack, method, kind, group, offset, length, size, year, seq, time, meta, flags
_ROW = struct.Struct("<32s32sHHHHHQQQiQdIB")
_NO_YEAR = -(2 ** 31)
_NO_SHA = 1  # flag: sha256 is "" (chunks)
_HEX = frozenset("0123456789abcdef")
BACKUP_GROUP = "backup"  # = index.BACKUP (index imports this module)


def _raw_hex(value: str) -> bytes:
    if len(value) != 64 or not _HEX.issuperset(value):
        raise ValueError("not 64 lowercase hex digits")
    return bytes.fromhex(value)


class Rows(Sequence[Entry]):
    """The entries of one index file, packed (see the module doc)."""

    __slots__ = ("_data", "_strings", "_metas", "max_seq", "_n")

    def __init__(self, entries: Iterable[Entry]):
        strings: dict[str, int] = {}
        metas: list[Any] = []
        buf = bytearray()
        max_seq = 0

        def sid(value: str) -> int:
            found = strings.get(value)
            if found is None:
                if not isinstance(value, str):
                    raise TypeError("not a string")
                found = strings[value] = len(strings)
            return found

        for e in entries:
            meta = 0
            if e.meta is not None:
                metas.append(e.meta)
                meta = len(metas)
            buf += _ROW.pack(_raw_hex(e.id), _raw_hex(e.sha256) if e.sha256 else bytes(32), sid(e.type),
                             sid(e.pack), sid(e.method), sid(e.kind), sid(e.group), e.offset, e.length, e.size,
                             _NO_YEAR if e.year is None else e.year, e.seq, e.time, meta,
                             0 if e.sha256 else _NO_SHA)
            if type(e.time) is not float or (e.year is not None and e.year == _NO_YEAR):
                raise ValueError("not exactly representable")
            max_seq = max(max_seq, e.seq)
        self._data = bytes(buf)
        self._strings = list(strings)
        self._metas = metas
        self._n = len(self._data) // _ROW.size
        self.max_seq = max_seq

    @classmethod
    def from_parts(cls, data: bytes, strings: list[str], metas: list[Any], top: int) -> Rows:
        if len(data) % _ROW.size:
            raise ValueError("truncated packed rows")
        rows = cls.__new__(cls)
        rows._data, rows._strings, rows._metas, rows.max_seq = data, strings, metas, top
        rows._n = len(data) // _ROW.size
        return rows

    def parts(self) -> tuple[bytes, list[str], list[Any], int]:
        return self._data, self._strings, self._metas, self.max_seq

    def _entry(self, f: tuple[Any, ...]) -> Entry:
        s = self._strings
        return Entry(f[0].hex(), s[f[2]], s[f[3]], f[7], f[8], f[9], s[f[4]], s[f[5]],
                     None if f[10] == _NO_YEAR else f[10], f[11], "" if f[14] & _NO_SHA else f[1].hex(), f[12],
                     self._metas[f[13] - 1] if f[13] else None, s[f[6]])

    def __len__(self) -> int:
        return self._n

    @overload
    def __getitem__(self, i: int) -> Entry: ...

    @overload
    def __getitem__(self, i: slice) -> list[Entry]: ...

    def __getitem__(self, i: int | slice) -> Entry | list[Entry]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError(i)
        return self._entry(_ROW.unpack_from(self._data, i * _ROW.size))

    def __iter__(self) -> Iterator[Entry]:
        for f in _ROW.iter_unpack(self._data):
            yield self._entry(f)

    def id_at(self, i: int) -> str:
        start = i * _ROW.size
        return self._data[start:start + 32].hex()

    def nbytes(self) -> int:
        return len(self._data)


def pack_rows(entries: Sequence[Entry]) -> Sequence[Entry]:
    """``entries`` packed as :class:`Rows`, or unchanged when they cannot be packed exactly."""
    if isinstance(entries, Rows):
        return entries
    try:
        return Rows(entries)
    except (ValueError, TypeError, OverflowError, struct.error):
        return entries


_CACHE_MAGIC = b"KUSTOS-PACKED-INDEX-1\n"


def is_packed_cache(raw: bytes) -> bool:
    return raw.startswith(_CACHE_MAGIC)


def encode_files(files: Mapping[str, Sequence[Entry]]) -> bytes:
    """Index files as the local cache stores them: a JSON header (name, string table, metas,
    byte count, top sequence per file; unpackable files as plain rows) and the packed bytes."""
    header: list[list[Any]] = []
    blobs: list[bytes] = []
    for name, rows in files.items():
        rows = pack_rows(rows)
        if isinstance(rows, Rows):
            data, strings, metas, top = rows.parts()
            header.append([name, strings, metas, len(data), top])
            blobs.append(data)
        else:
            header.append([name, None, [list(e) for e in rows]])
    head = json.dumps(header, separators=(",", ":")).encode()
    return b"".join([_CACHE_MAGIC, len(head).to_bytes(8, "big"), head, *blobs])


def decode_files(raw: bytes) -> dict[str, Sequence[Entry]]:
    """The inverse of :func:`encode_files`; ValueError when ``raw`` is damaged."""
    at = len(_CACHE_MAGIC)
    size = int.from_bytes(raw[at:at + 8], "big")
    at += 8
    header = json.loads(raw[at:at + size])
    at += size
    files: dict[str, Sequence[Entry]] = {}
    for item in header:
        if item[1] is None:
            files[item[0]] = [Entry(*r) for r in item[2]]
            continue
        name, strings, metas, length, top = item
        files[name] = Rows.from_parts(raw[at:at + length], strings, metas, top)
        at += length
    if at != len(raw):
        raise ValueError("packed index cache has trailing or missing bytes")
    return files


def max_seq(rows: Sequence[Entry]) -> int:
    if isinstance(rows, Rows):
        return rows.max_seq
    return max((e.seq for e in rows), default=0)


class Blocks:
    """Row blocks (one per index file) with global row numbers."""

    def __init__(self) -> None:
        self.blocks: list[Sequence[Entry]] = []
        self.starts: list[int] = []
        self.total = 0

    def add(self, rows: Sequence[Entry]) -> int:
        """Append a block; returns the global number of its first row."""
        start = self.total
        self.blocks.append(rows)
        self.starts.append(start)
        self.total += len(rows)
        return start

    def _locate(self, g: int) -> tuple[Sequence[Entry], int]:
        b = bisect_right(self.starts, g) - 1
        return self.blocks[b], g - self.starts[b]

    def id_at(self, g: int) -> str:
        rows, r = self._locate(g)
        return rows.id_at(r) if isinstance(rows, Rows) else rows[r].id

    def entry_at(self, g: int) -> Entry:
        rows, r = self._locate(g)
        return rows[r]


class EntryMap:
    """id -> Entry (the preferred location, see ``index.preferred``) over :class:`Blocks`."""

    def __init__(self, blocks: Blocks):
        self._blocks = blocks
        self._slots = array("I", bytes(4 * 64))  # global row + 1; 0 = empty
        self._count = 0
        self.total_size = 0  # summed ``size`` of the entries held (kept as they are placed)
        self.backup_count = 0  # entries held in the backup group

    def _probe(self, oid: str) -> int:
        slots, mask, id_at = self._slots, len(self._slots) - 1, self._blocks.id_at
        i = hash(oid) & mask
        while True:
            v = slots[i]
            if v == 0 or id_at(v - 1) == oid:
                return i
            i = (i + 1) & mask

    def place(self, g: int, entry: Entry) -> None:
        """Record the entry at global row ``g`` unless a better copy of its id is known."""
        i = self._probe(entry.id)
        v = self._slots[i]
        if v == 0:
            self._slots[i] = g + 1
            self._count += 1
            self._tally(entry, 1)
            if 2 * self._count > len(self._slots):
                self._grow()
        else:
            old = self._blocks.entry_at(v - 1)
            if preferred(old, entry):
                self._slots[i] = g + 1
                self._tally(old, -1)
                self._tally(entry, 1)

    def _tally(self, entry: Entry, sign: int) -> None:
        self.total_size += sign * entry.size
        self.backup_count += sign * (entry.group == BACKUP_GROUP)

    def _grow(self) -> None:
        old = self._slots
        slots = array("I", bytes(4 * 2 * len(old)))
        mask, id_at = len(slots) - 1, self._blocks.id_at
        for v in old:
            if v:
                i = hash(id_at(v - 1)) & mask
                while slots[i]:
                    i = (i + 1) & mask
                slots[i] = v
        self._slots = slots  # readers in other threads see the old table or the whole new one

    def get(self, oid: str, default: Entry | None = None) -> Entry | None:
        v = self._slots[self._probe(oid)]
        return self._blocks.entry_at(v - 1) if v else default

    def __getitem__(self, oid: str) -> Entry:
        found = self.get(oid)
        if found is None:
            raise KeyError(oid)
        return found

    def __contains__(self, oid: object) -> bool:
        return isinstance(oid, str) and self._slots[self._probe(oid)] != 0

    def __len__(self) -> int:
        return self._count

    def values(self) -> Iterator[Entry]:
        entry_at = self._blocks.entry_at
        for v in self._slots:
            if v:
                yield entry_at(v - 1)

    def keys(self) -> Iterator[str]:
        id_at = self._blocks.id_at
        for v in self._slots:
            if v:
                yield id_at(v - 1)

    __iter__ = keys

    def items(self) -> Iterator[tuple[str, Entry]]:
        for e in self.values():
            yield e.id, e

    def nbytes(self) -> int:
        return self._slots.itemsize * len(self._slots)
