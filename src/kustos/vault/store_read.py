"""Reading committed objects back (the read half of :class:`kustos.vault.store.CustomerStore`).

Readers never lock; an unknown id triggers one :meth:`refresh` to pick up other writers'
commits. Every blob is authenticated and checked against its id on the way out.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO

from kustos.vault.compress import Compressor
from kustos.vault.errors import IntegrityError, NotFound
from kustos.vault.ids import object_id
from kustos.vault.index import BLOB, TREE, Entry
from kustos.vault.keys import DataKey
from kustos.vault.options import StoreContext
from kustos.vault.packed import EntryMap
from kustos.vault.packs import read_blob
from kustos.vault.reader import ChunkedReader, parse_tree


class StoreReader:
    ctx: StoreContext
    key: DataKey
    customer_id: str
    compressor: Compressor
    _objects: EntryMap
    _chunks: EntryMap

    def refresh(self) -> None:
        raise NotImplementedError

    def _entry(self, oid: str) -> Entry:
        entry = self._objects.get(oid)
        if entry is None:
            self.refresh()
            entry = self._objects.get(oid)
        if entry is None:
            raise NotFound(oid)
        return entry

    def load_blob(self, entry: Entry) -> bytes:
        """Authenticate, decompress and check one blob against its id."""
        sealed = read_blob(self.ctx.backend, self.customer_id, self.key.enc_key, entry.pack, entry.offset,
                           entry.length, entry.type, entry.id)
        data = self.compressor.decompress(entry.method, sealed, entry.size)
        if entry.type != TREE and (len(data) != entry.size or object_id(self.key.id_key, data) != entry.id):
            raise IntegrityError(f"blob {entry.id} in {entry.pack}: content does not match its id")
        return data

    def load_id(self, data: bytes) -> str:
        """The object id this customer gives ``data``."""
        return object_id(self.key.id_key, data)

    def _chunk(self, cid: str) -> bytes:
        entry = self._chunks.get(cid)
        if entry is None:
            raise NotFound(cid, "chunk")
        return self.load_blob(entry)

    def tree(self, entry: Entry) -> list[tuple[str, int]]:
        return parse_tree(self.load_blob(entry))

    def open(self, oid: str) -> BinaryIO:
        """A stream of the object's bytes (chunked objects are read one chunk at a time)."""
        entry = self._entry(oid)
        if entry.type == BLOB:
            return io.BytesIO(self.load_blob(entry))
        return io.BufferedReader(ChunkedReader(entry, self.tree(entry), self._chunk))  # type: ignore[return-value]

    def get(self, oid: str) -> bytes:
        entry = self._entry(oid)
        if entry.type == BLOB:
            return self.load_blob(entry)
        data = b"".join(self._chunk(cid) for cid, _ in self.tree(entry))
        if object_id(self.key.id_key, data) != oid:
            raise IntegrityError(f"object {oid}: reassembled content does not match its id")
        return data

    def exists(self, oid: str) -> bool:
        try:
            self._entry(oid)
        except NotFound:
            return False
        return True

    def meta(self, oid: str) -> dict[str, Any]:
        """System facts plus the caller's ``meta`` given at the first put."""
        e = self._entry(oid)
        return {"id": e.id, "kind": e.kind, "size": e.size, "sha256": e.sha256, "retention_year": e.year,
                "stored_at": e.time, "chunked": e.type == TREE, "meta": dict(e.meta or {})}

    def objects(self) -> dict[str, Entry]:
        """Committed top-level objects by id (the longest-retained location)."""
        return dict(self._objects)

    def chunk_entry(self, cid: str) -> Entry | None:
        return self._chunks.get(cid)
