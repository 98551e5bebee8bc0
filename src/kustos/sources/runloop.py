"""The run loop: drive a kind's connector from stored cursors and feed a sink.

For every scope the connector offers, the loop fetches batches from the stored cursor and hands
each to the sink. The sink answers with the cursors it has made durable; only those are committed
to the cursor store. The archive sink makes each batch durable at once (vault → database), so its
cursor follows every batch; the backup sink makes batches durable with the snapshot, so it hands
all cursors back from ``finish`` after the snapshot is committed. A crash therefore re-fetches at
most what was not yet durable (deduplication makes that cheap). Framework-free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from kustos.sources.base import Batch, Connector, Cursor, Scope

Durable = list[tuple[str, Cursor]]  # (scope id, cursor) pairs whose batches are durable


class CursorStore(Protocol):
    def get(self, scope_id: str) -> Cursor | None:
        """The committed cursor of a scope (None: fetch everything)."""

    def commit(self, scope_id: str, cursor: Cursor) -> None:
        """Persist a cursor; called only for batches the sink has made durable."""


class Sink(Protocol):
    def write(self, scope: Scope, batch: Batch) -> Durable:
        """Take one batch; return the cursors that are durable now (may be empty)."""

    def finish(self) -> Durable:
        """The run fetched everything: make the rest durable and return its cursors."""


class ArchiveSink(Sink, Protocol):
    """Today's ingest: each batch's mail is archived (vault, rows, index) before ``write`` returns,
    so ``write`` returns that batch's cursor and ``finish`` returns nothing."""


class BackupSink(Sink, Protocol):
    """What the backup engine implements (issue 11, parts 2-3).

    A backup sink receives, per run: the **scope** (user, drive, site, team; ``Scope.kind`` and
    ``Scope.meta`` say which) with every batch; each **batch of items**, where an item has its
    ``source_id``, ``kind`` (mail, event, contact, task, file, listitem, page, channelmessage, ...),
    ``folder`` path, ``deleted`` marker, **metadata** in ``meta`` (eTag/cTag/content hash, timestamps,
    owners, permissions and sharing links, versions, categories) and its content either as ``data``
    (small items) or as a **content stream** (``stream()``: byte chunks, read once, chunked by FastCDC
    so memory stays flat); unchanged items (same eTag/cTag/hash) are referenced, not stored again; and
    the **cursor** of each batch (``batch.next_cursor``; ``batch.reset`` means the source re-enumerates
    and items missing from the new enumeration are gone). ``write`` stages and returns ``[]``;
    ``finish`` commits the snapshot (a tree of item versions with its parent, incl. the list of items
    that failed and why) and only then returns every staged (scope id, cursor) pair, which the loop
    commits: cursors are committed together with the snapshot that used them. ``abort`` drops what
    was staged without committing a cursor.

    Streams are opened ahead: the backup sink reads the contents of a batch's next items a few at a
    time on download threads (writing the snapshot in the batch's order), so a connector's
    ``stream()`` must be safe to call from another thread while the connector keeps fetching; its
    concurrency bound per mailbox/drive owner (Graph: four requests) stays the connector's limiter's.
    """

    def abort(self, error: str) -> None:
        """The run failed; nothing staged is committed."""


@dataclass
class RunCounts:
    fetched: int = 0
    scopes: int = 0
    committed: list[str] = field(default_factory=list)


def drive(connector: Connector, cursors: CursorStore, sink: Sink, *,
          scopes: Iterable[Scope] | None = None,
          progress: Callable[[int, Scope], None] | None = None) -> RunCounts:
    """Fetch every scope from its committed cursor into ``sink``; commit only durable cursors."""
    counts = RunCounts()

    def commit(durable: Durable) -> None:
        for scope_id, cursor in durable:
            cursors.commit(scope_id, cursor)
            counts.committed.append(scope_id)

    for scope in (connector.scopes() if scopes is None else scopes):
        counts.scopes += 1
        for batch in connector.fetch(scope, cursors.get(scope.id)):
            counts.fetched += len(batch.items)
            commit(sink.write(scope, batch))
            if progress:
                progress(counts.fetched, scope)
    commit(sink.finish())
    return counts
