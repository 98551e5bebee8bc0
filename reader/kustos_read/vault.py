"""Reading one customer's part of a vault: index files, packs, dictionaries (FORMAT.md §2-§6)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import blake3
import zstandard
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kustos_read.backend import Backend, ReadError
from kustos_read.keyfile import CustomerKey

BLOB, CHUNK, TREE = "b", "c", "t"


class Damaged(Exception):
    """An object failed authentication, decompression or its hash check."""


def aad(*parts: str) -> bytes:
    return "\x00".join(("kustos/v1",) + parts).encode()


def open_sealed(key: bytes, blob: bytes, associated: bytes, what: str) -> bytes:
    if len(blob) < 28:
        raise Damaged(f"{what}: ciphertext truncated ({len(blob)} bytes)")
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], associated)
    except InvalidTag:
        raise Damaged(f"{what}: authentication failed (damaged or wrong key)")


@dataclass(frozen=True)
class Entry:
    id: str
    type: str
    pack: str
    offset: int
    length: int
    size: int
    method: str
    kind: str
    year: int | None
    seq: int
    sha256: str
    time: float
    meta: dict[str, Any] | None
    group: str = ""

    @classmethod
    def from_row(cls, row: list[Any]) -> Entry:
        return cls(*row)


class CustomerVault:
    def __init__(self, backend: Backend, key: CustomerKey):
        self.backend = backend
        self.key = key
        self.cid = key.customer
        self.prefix = f"customers/{self.cid}/"
        self.entries: list[Entry] = []  # every location of every blob
        self.index_errors: dict[str, str] = {}
        self._dicts: dict[int, zstandard.ZstdCompressionDict] = {}
        self._check_key()
        self._load_index()
        self.objects: dict[str, Entry] = {}
        self.chunks: dict[str, Entry] = {}
        for e in self.entries:
            table = self.chunks if e.type == CHUNK else self.objects
            old = table.get(e.id)
            if old is None or (old.group and not e.group):
                table[e.id] = e

    def _check_key(self) -> None:
        try:
            doc = json.loads(self.backend.load(self.prefix + "key"))
        except ReadError:
            raise ReadError(f"the vault has no customer {self.cid!r} (customers/{self.cid}/key is missing)")
        if doc.get("key_id") != self.key.key_id:
            raise ReadError(f"the key file holds key {self.key.key_id} but the vault uses {doc.get('key_id')} "
                            f"for customer {self.cid}")

    def _load_index(self) -> None:
        for name in self.backend.list(self.prefix + "index/"):
            try:
                raw = open_sealed(self.key.enc_key, self.backend.load(name), aad("index", self.cid, name), name)
                doc = json.loads(zstandard.ZstdDecompressor().decompress(raw, max_output_size=1 << 31))
            except (Damaged, ValueError, zstandard.ZstdError) as exc:
                self.index_errors[name] = str(exc)
                continue
            self.entries.extend(Entry.from_row(r) for r in doc["entries"])

    # --- blobs ---------------------------------------------------------------------
    def _dict(self, version: int) -> zstandard.ZstdCompressionDict:
        if version not in self._dicts:
            name = f"{self.prefix}dicts/{version:06d}"
            try:
                sealed = self.backend.load(name)
            except ReadError:
                raise Damaged(f"compression dictionary {name} is missing")
            raw = open_sealed(self.key.enc_key, sealed, aad("dict", self.cid, str(version)), name)
            self._dicts[version] = zstandard.ZstdCompressionDict(
                zstandard.ZstdDecompressor().decompress(raw, max_output_size=1 << 28),
                dict_type=zstandard.DICT_TYPE_FULLDICT)
        return self._dicts[version]

    def _decompress(self, e: Entry, payload: bytes) -> bytes:
        if e.method == "n":
            return payload
        try:
            if e.method == "z":
                return zstandard.ZstdDecompressor().decompress(payload, max_output_size=max(e.size, 1))
            if e.method.startswith("d"):
                d = zstandard.ZstdDecompressor(dict_data=self._dict(int(e.method[1:])))
                return d.decompress(payload, max_output_size=max(e.size, 1))
        except (zstandard.ZstdError, ValueError) as exc:
            raise Damaged(f"blob {e.id} in {e.pack}: decompression failed ({exc})")
        raise Damaged(f"blob {e.id}: unknown compression method {e.method!r}")

    def load_blob(self, e: Entry) -> bytes:
        """One blob: read, authenticate, decompress, check the id (trees: size only via chunks)."""
        try:
            sealed = self.backend.load(self.prefix + e.pack, e.offset, e.length)
        except ReadError as exc:
            raise Damaged(str(exc))
        data = self._decompress(e, open_sealed(self.key.enc_key, sealed, aad("blob", self.cid, e.type, e.id),
                                               f"blob {e.id} in {e.pack}"))
        if e.type != TREE and (len(data) != e.size or blake3.blake3(data, key=self.key.id_key).hexdigest() != e.id):
            raise Damaged(f"blob {e.id} in {e.pack}: content does not match its id")
        return data

    def get(self, oid: str) -> bytes:
        """A whole object, checked against its id and SHA-256."""
        e = self.objects.get(oid)
        if e is None:
            raise Damaged(f"object {oid} is not in the index")
        if e.type == BLOB:
            data = self.load_blob(e)
        else:
            parts = []
            for cid, _size in json.loads(self.load_blob(e))["chunks"]:
                chunk = self.chunks.get(cid)
                if chunk is None:
                    raise Damaged(f"object {oid}: chunk {cid} is not in the index")
                parts.append(self.load_blob(chunk))
            data = b"".join(parts)
            if blake3.blake3(data, key=self.key.id_key).hexdigest() != oid:
                raise Damaged(f"object {oid}: reassembled content does not match its id")
        if e.sha256 and hashlib.sha256(data).hexdigest() != e.sha256:
            raise Damaged(f"object {oid}: SHA-256 does not match the index")
        return data

    # --- mail ----------------------------------------------------------------------
    def mailrefs(self) -> list[dict[str, Any]]:
        """Every arrival record (mailbox, folders, ...) in commit order."""
        out = []
        for e in sorted((e for e in self.objects.values() if e.kind == "mailrefs"), key=lambda e: e.seq):
            out.extend(json.loads(self.get(e.id))["mailrefs"])
        return out
