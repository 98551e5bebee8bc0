"""The archive side of the run loop: stored cursors of a Source and the archive sink (ingest)."""

from __future__ import annotations

from kustos.archive.models import Source
from kustos.archive.pipeline.contract import Incoming
from kustos.archive.services.ingest import Ingestor
from kustos.sources import mailfacts
from kustos.sources.base import Batch, Cursor, Scope
from kustos.sources.kinds.fields import Kind
from kustos.sources.runloop import Durable


def source_ref(scope_id: str, item_id: str) -> str:
    """Where an item came from inside the source: ``<folder>#<uidvalidity:uid>`` for IMAP."""
    return f"{scope_id}#{item_id}"


class SourceCursors:
    """The cursors of one Source (``Source.cursors``: scope id → cursor), committed one by one."""

    def __init__(self, source: Source) -> None:
        self.source = source

    def get(self, scope_id: str) -> Cursor | None:
        return self.source.cursors.get(scope_id)

    def commit(self, scope_id: str, cursor: Cursor) -> None:
        self.source.cursors = {**self.source.cursors, scope_id: cursor}
        Source.objects.filter(id=self.source.id).update(cursors=self.source.cursors)


class IngestSink:
    """Archive sink: each batch is archived (vault, rows, index) before its cursor is handed back."""

    def __init__(self, source: Source, kind: Kind, ingestor: Ingestor) -> None:
        self.source, self.kind, self.ingestor = source, kind, ingestor
        self.imported = 0

    def write(self, scope: Scope, batch: Batch) -> Durable:
        mailbox = self.kind.mailbox_for(self.source.config, scope)
        items = [Incoming(raw=i.data, mailbox=mailbox, folders=[i.folder] if i.folder else [],
                          source=f"{self.source.kind}:{self.source.id}", source_ref=source_ref(scope.id, i.source_id),
                          received_at=mailfacts.parse(i.meta.get("received_at")),
                          flags=mailfacts.clean_flags(i.meta.get("flags") or []))
                 for i in batch.items if not i.deleted and i.data]
        if items:
            before = self.ingestor.result.imported
            self.ingestor.run_batch(items)
            self.imported += self.ingestor.result.imported - before
        return [] if batch.next_cursor is None else [(scope.id, batch.next_cursor)]

    def finish(self) -> Durable:
        return []
