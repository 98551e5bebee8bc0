"""zstd compression with per-customer trained dictionaries.

Small objects (mails, metadata) are compressed whole; once ``train_at`` sample objects
have been seen by a writer and no dictionary exists yet (or ``retrain_at`` for the next
version), a dictionary is trained from them, stored in the vault at
``customers/<id>/dicts/<version>`` (sealed with the customer key) and used for every later
small object. The method recorded per object is ``"n"`` (stored), ``"z"`` (plain zstd) or
``"d<version>"`` (zstd with that dictionary), so old dictionaries stay readable; GC keeps
every dictionary referenced by an index entry.
"""

from __future__ import annotations

import zstandard

from kustos.vault import crypto
from kustos.vault.backends.base import Backend
from kustos.vault.errors import IntegrityError, NotFound

SAMPLE_MAX = 256 * 1024  # objects above this are not used as training samples
SAMPLE_PREFIX = 8 * 1024  # only a prefix is kept: bounds memory, headers matter most


def dict_name(customer_id: str, version: int) -> str:
    return f"customers/{customer_id}/dicts/{version:06d}"


class Compressor:
    """Compresses and decompresses one customer's objects; not thread-safe for writing."""

    def __init__(self, backend: Backend, customer_id: str, enc_key: bytes, *, level: int = 3,
                 dict_size: int = 128 * 1024, train_at: tuple[int, ...] = (500, 4000)):
        self.backend = backend
        self.customer_id = customer_id
        self.enc_key = enc_key
        self.level = level
        self.dict_size = dict_size
        self.train_at = train_at
        self._plain_c = zstandard.ZstdCompressor(level=level)
        self._plain_d = zstandard.ZstdDecompressor()
        self._dicts: dict[int, zstandard.ZstdCompressionDict] = {}
        self._comp: dict[int, zstandard.ZstdCompressor] = {}
        self._decomp: dict[int, zstandard.ZstdDecompressor] = {}
        self.current: int = 0  # latest dictionary version, 0 = none
        self._samples: list[bytes | bytearray | memoryview] = []
        self._sample_total = 0

    # --- dictionaries ---------------------------------------------------------------
    def versions(self) -> list[int]:
        prefix = f"customers/{self.customer_id}/dicts/"
        return sorted(int(n[len(prefix):]) for n in self.backend.list(prefix) if n[len(prefix):].isdigit())

    def load_latest(self) -> None:
        versions = self.versions()
        self.current = versions[-1] if versions else 0
        # Count samples from the threshold that produced the latest dictionary.
        n = min(len(versions), len(self.train_at))
        self._sample_total = self.train_at[n - 1] if n else 0

    def _dict(self, version: int) -> zstandard.ZstdCompressionDict:
        if version not in self._dicts:
            name = dict_name(self.customer_id, version)
            try:
                blob = self.backend.load(name)
            except NotFound:
                raise IntegrityError(f"compression dictionary {version} of {self.customer_id} is missing")
            raw = crypto.open_sealed(self.enc_key, blob, crypto.aad("dict", self.customer_id, str(version)), name)
            self._dicts[version] = zstandard.ZstdCompressionDict(raw, dict_type=zstandard.DICT_TYPE_FULLDICT)
        return self._dicts[version]

    def _train(self) -> None:
        version = self.current + 1
        trained = zstandard.train_dictionary(self.dict_size, self._samples, level=self.level)
        raw = trained.as_bytes()
        sealed = crypto.seal(self.enc_key, raw, crypto.aad("dict", self.customer_id, str(version)))
        self.backend.store(dict_name(self.customer_id, version), sealed)
        self._dicts[version] = zstandard.ZstdCompressionDict(raw, dict_type=zstandard.DICT_TYPE_FULLDICT)
        self.current = version
        self._samples = []

    def observe(self, data: bytes) -> None:
        """Offer a small object as a training sample; trains when a threshold is reached."""
        if len(data) > SAMPLE_MAX or self._sample_total >= self.train_at[-1]:
            return
        self._samples.append(data[:SAMPLE_PREFIX])
        self._sample_total += 1
        if self._sample_total in self.train_at:
            try:
                self._train()
            except zstandard.ZstdError:
                self._samples = []  # too few distinct samples: keep going without one

    # --- objects ----------------------------------------------------------------------
    def compress(self, data: bytes, use_dict: bool = True) -> tuple[str, bytes]:
        """Return (method, payload); falls back to stored bytes when compression does not help."""
        if use_dict and self.current:
            comp = self._comp.get(self.current)
            if comp is None:
                comp = zstandard.ZstdCompressor(level=self.level, dict_data=self._dict(self.current))
                self._comp[self.current] = comp
            method, out = f"d{self.current}", comp.compress(data)
        else:
            method, out = "z", self._plain_c.compress(data)
        if len(out) >= len(data):
            return "n", data
        return method, out

    def decompress(self, method: str, payload: bytes, size: int) -> bytes:
        if method == "n":
            return payload
        try:
            if method == "z":
                return self._plain_d.decompress(payload, max_output_size=size)
            version = int(method[1:])
            decomp = self._decomp.get(version)
            if decomp is None:
                decomp = zstandard.ZstdDecompressor(dict_data=self._dict(version))
                self._decomp[version] = decomp
            return decomp.decompress(payload, max_output_size=size)
        except (zstandard.ZstdError, ValueError) as exc:
            raise IntegrityError(f"decompression failed ({method}): {exc}")
