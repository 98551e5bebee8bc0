"""What flows through the ingest pipeline and what every step promises.

A batch is a list of ``Work`` items for ONE customer. Steps run in the order of
``pipeline.PIPELINE``; each step reads the fields earlier steps filled and fills its
own. A step must be idempotent: re-running a batch after a crash (same raw bytes)
must not create duplicates — dedup is by SHA-256 of the raw bytes, the vault
deduplicates by content id, and references are unique per (message, folder).

Durability order: vault commit (bytes + ledger) → database rows → search index. A
crash between them leaves vault objects without rows (re-ingest finds them by id)
or rows with ``indexed=False`` (``reindex_pending`` picks them up).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kustos.archive.models import Message
from kustos.tenants.models import Customer


@dataclass
class Incoming:
    """One message handed to ingest by a source (import, IMAP, SMTP, Graph, ...)."""

    raw: bytes
    mailbox: str
    folders: list[str]
    source: str
    source_ref: str = ""
    envelope_from: str = ""
    envelope_to: list[str] = field(default_factory=list)
    original: bytes | None = None
    original_kind: str | None = None
    kind: str = "message"
    # The mailbox's own receive time and flags (IMAP spelling), where the source reports them.
    received_at: datetime | None = None
    flags: list[str] = field(default_factory=list)


@dataclass
class Work:
    item: Incoming
    sha256: str
    existing: Message | None = None  # dedup: already archived for this customer
    parsed: Any = None  # kustos.mail.ParsedMessage, for new messages only
    retention_year: int | None = None
    excluded: str = ""  # ingest rules: reason this item is not archived
    retention_class_id: str = ""  # ingest rules (short_retain): the class ClassifyStep applies
    archive_id: str = ""  # the Message id, chosen before the store step so the mailref names it
    vault_id: str = ""
    original_vault_id: str = ""
    message: Message | None = None  # the row, new or existing
    new_refs: int = 0

    @classmethod
    def of(cls, item: Incoming) -> Work:
        return cls(item=item, sha256=hashlib.sha256(item.raw).hexdigest())


@dataclass
class BatchContext:
    customer: Customer
    vault_store: Any  # kustos.vault CustomerStore
    index: Any  # kustos.search SearchIndex
    parse_pool: Any = None  # concurrent.futures.Executor or None (parse inline)
    cache: dict[str, Any] = field(default_factory=dict)  # per-run lookups (mailbox/folder ids)


@dataclass
class Prepared:
    """A batch whose dedup lookup ran and whose parsing may already be under way."""

    work: list[Work]
    pending: Any = None  # futures of parse results for the new items, in order


# A run keeps the ids of its first KEPT_IDS new messages; beyond that only their sequence range
# (an import of a million messages would otherwise hold a million strings until it ends).
KEPT_IDS = 10_000


@dataclass
class BatchResult:
    imported: int = 0
    duplicates: int = 0
    excluded: int = 0
    message_ids: list[str] = field(default_factory=list)  # the first KEPT_IDS new messages
    excluded_by: dict[str, int] = field(default_factory=dict)  # ingest rule id -> items excluded
    last_id: str = ""  # the newest new message
    seq_from: int | None = None  # the per-customer sequence range of the new messages
    seq_to: int | None = None

    def add_new(self, message_id: str, seq: int) -> None:
        """Count one newly archived message."""
        self.imported += 1
        if len(self.message_ids) < KEPT_IDS:
            self.message_ids.append(message_id)
        self.last_id = message_id
        self.seq_from = seq if self.seq_from is None else min(self.seq_from, seq)
        self.seq_to = seq if self.seq_to is None else max(self.seq_to, seq)

    @property
    def ids_complete(self) -> bool:
        """``message_ids`` names every new message of the run."""
        return len(self.message_ids) == self.imported


class Step(Protocol):
    name: str

    def run(self, batch: list[Work], ctx: BatchContext) -> None:
        """Process the batch in place; raise only on failures that must abort the batch."""
