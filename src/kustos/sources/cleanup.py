"""Mailbox cleanup at the mail server: the contract between the archive and a kind's cleaner.

The archive side (``kustos.archive.services.mailbox_cleanup``) decides WHICH messages may go:
only those whose exact bytes are in the vault, hashed, sealed and indexed, older than the rule's
age. A kind's cleaner (``Kind.build_mailbox_cleaner``) only carries the decision out at the
server, item by item, after confirming that the server's message is still the archived one
(IMAP: the same UIDVALIDITY; Graph and Gmail: the same item id and, where the message has one,
the same Message-ID). Anything it cannot confirm it keeps, with the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class CleanupItem:
    """One archived message the archive allows to be deleted at the server."""

    ref: str  # MessageRef.source_ref as stored at ingest: "<scope id>#<item id>"
    scope_id: str  # the part before the last "#"
    item_id: str  # the part after it (IMAP "<uidvalidity>:<uid>", Graph/Gmail the message id)
    sha256: str  # of the archived bytes
    size: int  # archived bytes
    message_id: str = ""  # the Message-ID header without <>, "" when the message has none


@dataclass(frozen=True)
class CleanupOutcome:
    """What happened to one item at the server."""

    ref: str
    deleted: bool  # deleted (or moved to the trash); in a dry run: would be
    freed_bytes: int = 0  # the server's size of the message when deleted, else 0
    reason: str = ""  # why it was kept, e.g. "gone on the server", "UIDVALIDITY changed"


class MailboxCleaner(Protocol):
    """Deletes confirmed messages at the server; never raises for one item, only for the connection."""

    def delete(self, items: Sequence[CleanupItem], *, to_trash: bool, dry_run: bool) -> list[CleanupOutcome]:
        """One outcome per item, in order. ``to_trash``: move to Deleted Items / Trash instead of
        deleting. ``dry_run``: confirm each item exactly as for a deletion, change nothing."""
        ...
