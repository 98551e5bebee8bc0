"""Pack index: where every blob lives, plus the ledger fields of top-level objects.

Index files are written into the vault at ``customers/<id>/index/<group>/<commit>`` (zstd
JSON sealed with the customer key). An index file is the commit point of the blobs it lists:
blobs in packs that no index file references are uncommitted leftovers (garbage).
A local cache (one sealed file per customer, the packed rows of :mod:`kustos.vault.packed`)
avoids reading every index file at open; :func:`load_index` trusts it only for index files
that still exist and rebuilds otherwise (it is always rebuildable from the vault).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import zstandard

from kustos.vault import crypto
from kustos.vault.backends.base import Backend
from kustos.vault.entry import Entry, outlives
from kustos.vault.errors import IntegrityError, NotFound
from kustos.vault.packed import decode_files, encode_files, is_packed_cache, pack_rows

BLOB, CHUNK, TREE = "b", "c", "t"
BACKUP = "backup"  # the pool of backup objects: kept while a snapshot references them (prune)


def entry_group(e: Entry) -> str:
    """The pack/index group of an entry: ``backup`` or the retention group of its year."""
    return e.group or group_of(e.year)


def usable(e: Entry, year: int | None, group: str = "") -> bool:
    """May a put into (``year``, ``group``) reuse the stored location ``e``?

    Archive puts never reuse backup objects (prune may delete those); backup puts reuse
    anything that is kept forever.
    """
    if group == BACKUP:
        return e.year is None
    return not e.group and outlives(e.year, year)


def row(e: Entry) -> list[Any]:
    """An entry as stored; archive rows keep the original 13 fields (older readers)."""
    out = list(e)
    if not e.group:
        out.pop()
    return out


def group_of(year: int | None) -> str:
    return "keep" if year is None else str(int(year))


def index_prefix(customer_id: str) -> str:
    return f"customers/{customer_id}/index/"


def new_index_name(customer_id: str, group: str) -> str:
    return f"{index_prefix(customer_id)}{group}/{time.time_ns():020d}-{secrets.token_hex(4)}"


def encode(customer_id: str, name: str, enc_key: bytes, entries: Iterable[Entry]) -> bytes:
    raw = json.dumps({"v": 1, "entries": [row(e) for e in entries]}, separators=(",", ":")).encode()
    return crypto.seal(enc_key, zstandard.compress(raw, 3), crypto.aad("index", customer_id, name))


def decode(customer_id: str, name: str, enc_key: bytes, blob: bytes) -> list[Entry]:
    packed = crypto.open_sealed(enc_key, blob, crypto.aad("index", customer_id, name), name)
    try:
        doc = json.loads(zstandard.decompress(packed))
    except (zstandard.ZstdError, ValueError) as exc:
        raise IntegrityError(f"{name}: undecodable index ({exc})")
    return [Entry(*row) for row in doc["entries"]]


@dataclass
class IndexState:
    """Everything the index files of one customer say, merged."""

    files: dict[str, Sequence[Entry]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # index name -> why unreadable

    def all_entries(self) -> Iterable[Entry]:
        for entries in self.files.values():
            yield from entries


class IndexCache:
    """The local cache of decoded index files (``<dir>/<customer>.idx``)."""

    def __init__(self, directory: Path | None):
        self.directory = Path(directory) if directory else None

    def path(self, customer_id: str) -> Path | None:
        return self.directory / f"{customer_id}.idx" if self.directory else None

    def read(self, customer_id: str, enc_key: bytes) -> dict[str, Sequence[Entry]]:
        return self.read_state(customer_id, enc_key)[0]

    def read_state(self, customer_id: str, enc_key: bytes) -> tuple[dict[str, Sequence[Entry]], bool]:
        """The cached index files, and whether the cache should be rewritten (older format)."""
        path = self.path(customer_id)
        if path is None or not path.exists():
            return {}, False
        try:
            raw = zstandard.decompress(crypto.open_sealed(enc_key, path.read_bytes(), crypto.aad("cache", customer_id),
                                                          str(path)))
            if is_packed_cache(raw):
                return decode_files(raw), False
            doc = json.loads(raw)  # the JSON cache of older versions
            return {name: pack_rows([Entry(*r) for r in rows]) for name, rows in doc.items()}, True
        except (IntegrityError, ValueError, zstandard.ZstdError, TypeError, KeyError, IndexError):
            return {}, False  # a damaged cache is just rebuilt

    def write(self, customer_id: str, enc_key: bytes, files: dict[str, Sequence[Entry]]) -> None:
        path = self.path(customer_id)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        raw = encode_files(files)
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        tmp.write_bytes(crypto.seal(enc_key, zstandard.compress(raw, 1), crypto.aad("cache", customer_id)))
        os.replace(tmp, path)

    def drop(self, customer_id: str) -> bool:
        path = self.path(customer_id)
        if path is not None and path.exists():
            path.unlink()
            return True
        return False


def load_index(backend: Backend, cache: IndexCache, customer_id: str, enc_key: bytes,
               known: dict[str, Sequence[Entry]] | None = None, use_cache: bool = True) -> IndexState:
    """Read every index file of a customer.

    Files already decoded (``known``, from this process) or in the local cache are not
    fetched again; the cache is rewritten only by a first load that had to fetch.
    """
    first_load = not known
    cached, fetched = dict(known or {}), False
    if not known and use_cache:
        cached, fetched = cache.read_state(customer_id, enc_key)  # an older format counts as fetched
    for _ in range(3):
        names = list(backend.list(index_prefix(customer_id)))
        state = IndexState()
        vanished = False
        for name in names:
            if name in cached:
                state.files[name] = cached[name]
                continue
            try:
                state.files[name] = pack_rows(decode(customer_id, name, enc_key, backend.load(name)))
                cached[name] = state.files[name]
                fetched = True
            except NotFound:
                # Deleted after listing: a retention drop, or a prune/compaction that stored
                # its replacement after our listing: list again to see the replacement.
                vanished = True
            except IntegrityError as exc:
                state.errors[name] = str(exc)
        if not vanished:
            break
    if first_load and (fetched or set(cached) != set(state.files)):
        cache.write(customer_id, enc_key, state.files)
    return state
