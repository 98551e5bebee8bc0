"""Downloading item contents ahead of the vault writer: a few at once, handed over in order.

The backup sink writes a batch's items into the snapshot one after the other (vault writes stay
in order), but waiting for each download before the next one starts leaves the connection idle
while the vault chunks and encrypts. :class:`Ahead` starts the downloads of the next items of a
batch on a small thread pool, at most ``window`` items ahead of the writer, and hands each one's
chunks to the writer when it gets there. Memory stays flat: every download passes through its own
bounded queue (``chunks`` pieces, a connector's chunk is at most 1 MiB), so a large file is
streamed, never buffered whole; a small file usually fits in one piece.

Concurrency per mailbox / drive owner stays bounded by the connector's own limiter (Graph: four
requests per owner); the pool only decides how many downloads may be under way. An item whose
content the writer needs but which was not started ahead (a rare change of mind) cancels every
download ahead first, so their concurrency slots are free for the writer's own request; they are
started again after that item. Framework-free.
"""

from __future__ import annotations

import queue
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

Opener = Callable[[], Iterator[bytes]]

_END = object()


class _Failure:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class Pending:
    """One download under way; :meth:`chunks` (read once, by the writer) yields its content."""

    def __init__(self, opener: Opener, chunks: int) -> None:
        self._opener = opener
        self._queue: queue.Queue[object] = queue.Queue(maxsize=max(1, chunks))
        self._cancelled = threading.Event()
        self._consumed = False

    # --- the download thread ----------------------------------------------------------------
    def run(self) -> None:
        if self._cancelled.is_set():
            return
        stream: Iterator[bytes] | None = None
        try:
            stream = iter(self._opener())
            for chunk in stream:
                if not self._put(chunk):
                    return
            self._put(_END)
        except BaseException as exc:  # noqa: BLE001 - handed to the writer, which reports the item
            self._put(_Failure(exc))
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()  # a cancelled download ends its HTTP response (and frees its slot) here

    def _put(self, piece: object) -> bool:
        while not self._cancelled.is_set():
            try:
                self._queue.put(piece, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    # --- the writer ---------------------------------------------------------------------------
    def chunks(self) -> Iterator[bytes]:
        if self._consumed:
            raise RuntimeError("a prefetched content is read once")
        self._consumed = True
        try:
            while True:
                piece = self._queue.get()
                if piece is _END:
                    return
                if isinstance(piece, _Failure):
                    raise piece.error
                assert isinstance(piece, bytes | bytearray | memoryview)
                yield bytes(piece)
        finally:
            self.cancel()  # no-op after the end; stops the download when the writer gave up

    def cancel(self) -> None:
        self._cancelled.set()
        while True:  # unblock a download waiting for room in the queue
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return


class Prefetcher:
    """The download threads of one backup run (``workers`` at once)."""

    def __init__(self, workers: int = 4, window: int = 8, chunks: int = 4) -> None:
        if workers < 1 or window < 1 or chunks < 1:
            raise ValueError("workers, window and chunks must be at least 1")
        self.workers, self.window, self.chunks = workers, window, chunks
        self._pool: ThreadPoolExecutor | None = None

    def start(self, opener: Opener) -> Pending:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="kustos-download")
        pending = Pending(opener, self.chunks)
        self._pool.submit(pending.run)  # first in, first started: the writer's next item is never starved
        return pending

    def ahead(self, openers: Sequence[Opener | None]) -> Ahead:
        return Ahead(self, openers)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class Ahead:
    """The downloads of one batch: ``openers[i]`` is item i's content opener (None: nothing to
    download). The writer calls :meth:`content` for the items it stores, in ascending order, and
    :meth:`close` at the end (cancels what it did not read)."""

    def __init__(self, prefetcher: Prefetcher, openers: Sequence[Opener | None]) -> None:
        self._prefetcher = prefetcher
        self._openers = openers
        self._wanted = [i for i, opener in enumerate(openers) if opener is not None]
        self._next = 0  # position in _wanted of the next download to start
        self._pending: dict[int, Pending] = {}
        self._handed: Pending | None = None  # the content the writer reads now
        self.started = 0

    def advance(self, position: int) -> None:
        """The writer is at item ``position``: keep up to ``window`` downloads from there on under way."""
        for index in [i for i in self._pending if i < position]:
            self._pending.pop(index).cancel()  # passed over without being read (e.g. unchanged after all)
        while self._next < len(self._wanted) and len(self._pending) < self._prefetcher.window:
            index = self._wanted[self._next]
            self._next += 1
            if index < position:
                continue
            opener = self._openers[index]
            assert opener is not None
            self._pending[index] = self._prefetcher.start(opener)
            self.started += 1

    def content(self, position: int, opener: Opener) -> Iterator[bytes]:
        """Item ``position``'s chunks: prefetched, else read here (after freeing every slot held ahead)."""
        self._release()
        pending = self._pending.pop(position, None)
        if pending is not None:
            self._handed = pending
            return pending.chunks()
        self.cancel()
        self._next = bisect_right(self._wanted, position)  # started again after this item
        return opener()

    def cancel(self) -> None:
        for pending in self._pending.values():
            pending.cancel()
        self._pending.clear()

    def close(self) -> None:
        """Stop every download of the batch, including one the writer left half read (a vault error
        ends the batch while the item's chunks are still referenced by the error's traceback)."""
        self._release()
        self.cancel()

    def _release(self) -> None:
        if self._handed is not None:
            self._handed.cancel()  # a no-op once it was read to the end
            self._handed = None
