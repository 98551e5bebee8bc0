"""zstd compression with per-customer trained dictionaries.

Small objects (mails, metadata) are compressed whole; once ``train_at`` sample objects
have been seen and no dictionary exists yet, and again after every ``retrain_every``
further samples (recent mail trains a better dictionary than old mail: measured ~5%
smaller), a dictionary is trained from the recent samples, stored in the vault at
``customers/<id>/dicts/<version>`` (sealed with the customer key) and used for every later
small object. The method recorded per object is ``"n"`` (stored), ``"z"`` (plain zstd) or
``"d<version>"`` (zstd with that dictionary), so old dictionaries stay readable; GC keeps
every dictionary referenced by an index entry.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

import zstandard

from kustos.vault import crypto
from kustos.vault.backends.base import Backend
from kustos.vault.errors import IntegrityError, NotFound

SAMPLE_MAX = 256 * 1024  # objects above this are not used as training samples
SAMPLE_PREFIX = 16 * 1024  # only a prefix of each sample is kept (training time grows with it)
SAMPLE_STRIDE = 4
SAMPLE_BYTES = 48 * 1024 * 1024  # training starts early when the samples reach this (bounds memory)


def dict_name(customer_id: str, version: int) -> str:
    return f"customers/{customer_id}/dicts/{version:06d}"


#: Decompressors (each holding its dictionary) kept for reading objects of older dictionaries.
KEEP_DECOMPRESSORS = 16

class Compressor:
    """Compresses and decompresses one customer's objects; not thread-safe for writing."""

    def __init__(self, backend: Backend, customer_id: str, enc_key: bytes, *, level: int = 3,
                 dict_size: int = 1024 * 1024, train_at: int = 1000, retrain_every: int = 3000,
                 background: bool = False):
        self.backend = backend
        self.customer_id = customer_id
        self.enc_key = enc_key
        self.level = level
        self.dict_size = dict_size
        self.train_at = train_at
        self.retrain_every = retrain_every
        self._plain_c = zstandard.ZstdCompressor(level=level)
        self._plain_d = zstandard.ZstdDecompressor()
        self._dicts: dict[int, zstandard.ZstdCompressionDict] = {}
        self._comp: dict[int, zstandard.ZstdCompressor] = {}
        self._decomp: dict[int, zstandard.ZstdDecompressor] = {}
        self._bulk: dict[int, zstandard.ZstdCompressor] = {}  # used by bulk jobs only
        self.current: int = 0  # latest dictionary version, 0 = none
        self._samples: list[bytes | bytearray | memoryview] = []
        self._sample_bytes = 0
        self._seen = 0  # small objects seen since the last training
        # Training can run on a worker thread (zstd releases the GIL) while objects keep being
        # compressed with the previous dictionary; the result is installed by the writer thread.
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="zstd-train") if background else None
        self._training: Future[bytes] | None = None

    # --- dictionaries ---------------------------------------------------------------
    def versions(self) -> list[int]:
        prefix = f"customers/{self.customer_id}/dicts/"
        return sorted(int(n[len(prefix):]) for n in self.backend.list(prefix) if n[len(prefix):].isdigit())

    def load_latest(self) -> None:
        versions = self.versions()
        latest = versions[-1] if versions else 0
        if latest != self.current:  # another writer trained meanwhile: start over from it
            self.current = latest
            self._samples, self._sample_bytes, self._seen = [], 0, 0

    def _retire_old(self) -> None:
        """Only the current dictionary compresses. A new one (retrained every ``retrain_every``
        objects) retires the compressors of the older ones and their dictionaries, whose
        precomputed tables cost megabytes each: kept, they grew an import by ~4 KB per message.
        A reader that needs an old dictionary loads it again."""
        for table in (self._comp, self._bulk):
            for version in [v for v in table if v != self.current]:
                del table[version]
        for version in [v for v in self._dicts if v != self.current]:
            del self._dicts[version]

    def _dict(self, version: int) -> zstandard.ZstdCompressionDict:
        if version not in self._dicts:
            name = dict_name(self.customer_id, version)
            try:
                blob = self.backend.load(name)
            except NotFound:
                raise IntegrityError(f"compression dictionary {version} of {self.customer_id} is missing")
            packed = crypto.open_sealed(self.enc_key, blob, crypto.aad("dict", self.customer_id, str(version)), name)
            try:
                raw = zstandard.decompress(packed)
            except zstandard.ZstdError as exc:
                raise IntegrityError(f"{name}: undecodable dictionary ({exc})")
            self._dicts[version] = zstandard.ZstdCompressionDict(raw, dict_type=zstandard.DICT_TYPE_FULLDICT)
        return self._dicts[version]

    def _fit(self, samples: list[bytes | bytearray | memoryview]) -> bytes:
        # Fixed fastCOVER parameters (k, d) skip the slow parameter search; accel=4 trains
        # ~30% faster at the same ratio (measured on the mail corpus).
        trained = zstandard.train_dictionary(self.dict_size, samples, level=self.level, k=4096, d=8,
                                             split_point=0.9, accel=4)
        return bytes(trained.as_bytes())

    def _install(self, raw: bytes) -> None:
        version = self.current + 1
        packed = zstandard.compress(raw, 9)  # dictionaries hold text: they shrink ~3x
        sealed = crypto.seal(self.enc_key, packed, crypto.aad("dict", self.customer_id, str(version)))
        self.backend.store(dict_name(self.customer_id, version), sealed)
        self._dicts[version] = zstandard.ZstdCompressionDict(raw, dict_type=zstandard.DICT_TYPE_FULLDICT)
        self.current = version

    def _poll(self, wait: bool = False) -> None:
        """Install a finished background dictionary (stored before first use)."""
        job = self._training
        if job is None or not (wait or job.done()):
            return
        self._training = None
        try:
            self._install(job.result())
        except zstandard.ZstdError:
            pass  # too few distinct samples: go on with the current dictionary

    def finish_training(self) -> None:
        """Wait for a background training and install its dictionary."""
        self._poll(wait=True)

    def observe(self, data: bytes) -> None:
        """Offer a small object as a training sample; trains when enough were seen.

        Only every ``SAMPLE_STRIDE``-th object is kept: training time falls ~6x while the
        dictionary compresses the following mail within 1% as well (measured).
        """
        self._poll()
        due_at = self.retrain_every if self.current else self.train_at
        if len(data) > SAMPLE_MAX or due_at <= 0:
            return
        self._seen += 1
        if self._seen % SAMPLE_STRIDE == 0 and self._sample_bytes < SAMPLE_BYTES:
            sample = data[:SAMPLE_PREFIX]
            self._samples.append(sample)
            self._sample_bytes += len(sample)
        if (self._seen < due_at and self._sample_bytes < SAMPLE_BYTES) or self._training is not None:
            return
        samples, self._samples, self._sample_bytes, self._seen = self._samples, [], 0, 0
        # The first dictionary matters most (nothing better exists yet): train it inline.
        if self._pool is not None and self.current:
            self._training = self._pool.submit(self._fit, samples)
            return
        try:
            self._install(self._fit(samples))
        except zstandard.ZstdError:
            pass  # too few distinct samples: go on without

    # --- objects ----------------------------------------------------------------------
    def compress(self, data: bytes, use_dict: bool = True) -> tuple[str, bytes]:
        """Return (method, payload); falls back to stored bytes when compression does not help."""
        if use_dict and self.current:
            comp = self._comp.get(self.current)
            if comp is None:
                self._retire_old()
                dictionary = self._dict(self.current)
                dictionary.precompute_compress(level=self.level)  # else it is re-digested per call
                comp = zstandard.ZstdCompressor(level=self.level, dict_data=dictionary)
                self._comp[self.current] = comp
            method, out = f"d{self.current}", comp.compress(data)
        else:
            method, out = "z", self._plain_c.compress(data)
        if len(out) >= len(data):
            return "n", data
        return method, out

    def compress_many(self, items: list[bytes], threads: int = -1) -> list[tuple[str, bytes]]:
        """Like :meth:`compress` for many small objects, using ``threads`` cores (-1 = all)."""
        return self.bulk_job(items, threads)()

    def bulk_job(self, items: list[bytes], threads: int = -1) -> Callable[[], list[tuple[str, bytes]]]:
        """A compression of many small objects with the current dictionary, runnable on another
        thread: it uses a compressor reserved for bulk jobs (zstd compressors are not
        thread-safe), so the caller may go on hashing and training meanwhile."""
        version = self.current
        comp = self._bulk.get(version)
        if comp is None:
            self._retire_old()
            if version:
                dictionary = self._dict(version)
                dictionary.precompute_compress(level=self.level)
                comp = zstandard.ZstdCompressor(level=self.level, dict_data=dictionary)
            else:
                comp = zstandard.ZstdCompressor(level=self.level)
            self._bulk[version] = comp
        method = f"d{version}" if version else "z"

        def run() -> list[tuple[str, bytes]]:
            if len(items) < 8:
                outs = [comp.compress(x) for x in items]
            else:
                inputs: list[bytes | bytearray | memoryview] = list(items)
                buffers = comp.multi_compress_to_buffer(inputs, threads=threads)
                outs = [buffers[i].tobytes() for i in range(len(buffers))]
            return [("n", x) if len(o) >= len(x) else (method, o) for x, o in zip(items, outs, strict=True)]

        return run

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
                if len(self._decomp) >= KEEP_DECOMPRESSORS:
                    self._decomp = {}  # start over (rebinding is atomic for readers on other threads)
                self._decomp[version] = decomp
            return decomp.decompress(payload, max_output_size=size)
        except (zstandard.ZstdError, ValueError) as exc:
            raise IntegrityError(f"decompression failed ({method}): {exc}")
